/**
 * Helpers of the evaluation tests: a real `luab serve` child process (killable with any signal, restartable on
 * the same port), the synth dataset made once per file, and predictions.jsonl read back for comparisons.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PredictionLine } from '../../eval/types.js';
import { LUAB } from './luab-cli.js';
import { REPO_ROOT } from './paths.js';

export const FIXTURE_MODULE = join(REPO_ROOT, 'dist', 'test', 'helpers', 'eval-fixture-suite.js');

/** `luab synth --small` into a fresh temporary folder (about 10 s). */
export function makeSynth(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'luab-eval-synth-')), 'synth');
  execFileSync(process.execPath, [LUAB, 'synth', '--small', '--out', out, '--quiet'], { stdio: 'pipe' });
  return out;
}

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  address: string;
  /** Sends the signal and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the process has written to stderr (its JSON log) so far. */
  log(): string;
}

/**
 * Starts `node bin/luab.js serve` (port 0 unless given) and resolves with the port it logged as bound.
 * @param args extra flags (`--eval-dir DIR`)
 */
export function startServe(args: string[] = [], port = 0, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return startListening(
    [
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      '0',
      '--device',
      'cpu',
      '--log-level',
      'info',
      ...args,
    ],
    'luab server listening',
    env,
  );
}

/** Starts `luab eval-server` on a free port against the given inference endpoint. */
export function startEvalServer(evalDir: string, endpoint: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  return startListening(
    ['eval-server', '--host', '127.0.0.1', '--port', '0', '--eval-dir', evalDir, '--endpoint', endpoint],
    'luab eval-server listening',
    env,
  );
}

function startListening(args: string[], listening: string, env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, [LUAB, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let log = '';
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      log += `${line}\n`;
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === listening && entry.address) {
          const bound = Number(entry.address.split(':').pop());
          resolve({
            child,
            port: bound,
            address: `127.0.0.1:${bound}`,
            kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              await exited;
            },
            log: () => log,
          });
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`luab ${args[0]} exited (${code}) before listening:\n${log}`)));
  });
}

/** Complete lines of a predictions file (a torn tail is left out). */
export function readLines(path: string): PredictionLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PredictionLine);
}

export const lineKey = (l: PredictionLine) => `${l.suite}/${l.variant}/${l.path}`;

/** The lines keyed by suite/variant/path, without what may differ between runs (latency); throws on a duplicate. */
export function byKey(lines: PredictionLine[]): Map<string, Omit<PredictionLine, 'latencyMs'>> {
  const map = new Map<string, Omit<PredictionLine, 'latencyMs'>>();
  for (const line of lines) {
    const key = lineKey(line);
    if (map.has(key)) throw new Error(`${key} appears twice`);
    const { latencyMs: _latency, ...rest } = line;
    void _latency;
    map.set(key, rest);
  }
  return map;
}

/**
 * Resolves as soon as `condition` holds (checked every 25 ms: a wait for a state, not a fixed sleep); fails loudly
 * after timeoutMs.
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const countLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0);
