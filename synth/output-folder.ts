/**
 * Output safety. A run writes into `<DIR>.partial-<pid>` beside DIR and renames it to DIR only when everything,
 * manifest.json last, is written: an interrupted run never looks complete, and readers may treat manifest.json as
 * the completion marker. An existing DIR is only replaced when it is a finished synth run and --force is given.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export const GENERATOR = 'luab-synth';
/** Bumped when the same seed and parameters would produce different files. */
export const GENERATOR_VERSION = 1;

export const MANIFEST_FILE = 'manifest.json';

/** Identifies a run's output: generator version, seed and every parameter. */
export function fingerprint(seed: number, config: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ generator: GENERATOR, version: GENERATOR_VERSION, seed, config }))
    .digest('hex');
}

/** The output folder is not usable as asked; the CLI prints the message and exits 1. */
export class OutputFolderError extends Error {}

export type ExistingRun =
  { kind: 'absent' } | { kind: 'same'; seed: number } | { kind: 'other'; seed: unknown; fingerprint: unknown };

/** What DIR holds now. Anything but an absent/empty folder or a synth run is refused outright. */
export function inspectExisting(dir: string, wanted: string): ExistingRun {
  if (!existsSync(dir)) return { kind: 'absent' };
  if (!statSync(dir).isDirectory())
    throw new OutputFolderError(`${dir} exists and is not a folder; choose another --out.`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return { kind: 'absent' };
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifest: { generator?: unknown; fingerprint?: unknown; seed?: unknown } | undefined;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch {
    manifest = undefined;
  }
  if (!manifest || manifest.generator !== GENERATOR) {
    throw new OutputFolderError(
      `${dir} is not empty and holds no luab synth run (no ${MANIFEST_FILE} of ours); refusing to write there. Choose another --out.`,
    );
  }
  if (manifest.fingerprint === wanted) return { kind: 'same', seed: Number(manifest.seed) };
  return { kind: 'other', seed: manifest.seed, fingerprint: manifest.fingerprint };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temporary folder beside DIR for this run; leftovers of dead runs for the same DIR are removed. */
export function createStaging(dir: string): string {
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const prefix = `${basename(target)}.partial-`;
  for (const entry of readdirSync(parent)) {
    const pid = Number(entry.slice(prefix.length));
    if (entry.startsWith(prefix) && Number.isInteger(pid) && !processAlive(pid))
      rmSync(join(parent, entry), { recursive: true, force: true });
  }
  const staging = join(parent, `${prefix}${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  return staging;
}

/** Moves the finished staging folder to DIR, replacing what `inspectExisting` allowed to replace. */
export function publish(staging: string, dir: string): void {
  const target = resolve(dir);
  if (existsSync(target)) {
    const old = `${target}.replaced-${process.pid}`;
    renameSync(target, old);
    renameSync(staging, target);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(staging, target);
  }
}

export function discard(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
}
