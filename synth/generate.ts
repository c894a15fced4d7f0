/**
 * Generates a whole run: plan every part, render on worker threads into a staging folder, write sidecars,
 * classes.json, contact sheets and the manifest, then publish the folder under its final name.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { prepareAssets } from './asset-cache.js';
import { loadBackgroundIndex } from './backgrounds.js';
import { CLASSES } from './classes.js';
import type { SynthConfig } from './config.js';
import { writeContactSheet } from './contact-sheet.js';
import { buildIconCatalogue } from './icons.js';
import { buildManifest } from './manifest.js';
import {
  createStaging,
  discard,
  fingerprint,
  inspectExisting,
  MANIFEST_FILE,
  OutputFolderError,
  publish,
} from './output-folder.js';
import { OutputWriter } from './output-writer.js';
import { allocatePools } from './pools.js';
import { createProgress } from './progress.js';
import { enabledParts } from './suites/registry.js';
import type { ImageRecord, PartSummary, PlanContext } from './suites/types.js';
import { renderAll } from './worker-pool.js';

export interface GenerateOptions {
  out: string;
  seed: number;
  config: SynthConfig;
  workers: number;
  force: boolean;
  showProgress: boolean;
}

export interface GenerateResult {
  status: 'generated' | 'already-present';
  dir: string;
  images: number;
  seconds: number;
}

/** Plans the run; throws ConfigError before anything is written when pools, scenes or icon sets do not work out. */
export function planContext(
  seed: number,
  config: SynthConfig,
): PlanContext & { backgrounds: ReturnType<typeof loadBackgroundIndex> } {
  const backgrounds = loadBackgroundIndex();
  return {
    seed,
    config,
    backgrounds,
    pools: allocatePools(backgrounds.photos, config.backgrounds, seed),
    icons: buildIconCatalogue(config.icons.heldout_sets),
    photos: new Map(backgrounds.photos.map((p) => [p.id, p])),
  };
}

/**
 * Turns SIGINT/SIGTERM into an abort of the run: the workers are terminated and the staging folder removed by
 * the normal error path, then the signal is raised again so the process ends as interrupted (no stray writes can
 * recreate the folder, as they could if it were removed from inside the signal handler).
 */
function abortOnSignal(): { signal: AbortSignal; received: () => NodeJS.Signals | undefined; dispose: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    received = signal;
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.removeListener('SIGINT', handler);
      process.removeListener('SIGTERM', handler);
    },
  };
}

export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const dir = resolve(options.out);
  const { seed, config } = options;
  const print = fingerprint(seed, config);
  const existing = inspectExisting(dir, print);
  if (existing.kind === 'same' && !options.force) return { status: 'already-present', dir, images: 0, seconds: 0 };
  if (existing.kind === 'other' && !options.force) {
    throw new OutputFolderError(
      `${dir} already holds another synth run (its seed ${String(existing.seed)}, other parameters than this seed ${seed} run); ` +
        'use --force to replace it, or choose another --out.',
    );
  }

  const ctx = planContext(seed, config);
  const parts = enabledParts(config.suites.enabled);
  const jobs = parts.flatMap((p) => p.plan(ctx));
  const total = jobs.reduce((s, j) => s + j.outputs, 0);

  // Listen before the staging folder exists: a signal with no listener ends the process on the spot.
  const interrupt = abortOnSignal();
  let staging: string;
  try {
    staging = createStaging(dir);
  } catch (err) {
    interrupt.dispose();
    throw err;
  }
  const checkpoint = (): void => interrupt.signal.throwIfAborted();
  const progress = createProgress(options.showProgress);
  try {
    const assets = await prepareAssets(jobs, ctx.photos, config.image_size);
    progress.start(total);
    checkpoint();
    const results = await renderAll(
      jobs,
      { seed, config, root: staging, assets },
      options.workers,
      (done) => progress.update(done),
      interrupt.signal,
    );
    progress.stop();

    const byPart = new Map<string, ImageRecord[]>(parts.map((p) => [p.name, []]));
    jobs.forEach((job, i) => byPart.get(job.part)?.push(...results[i]));
    const summaries: Record<string, PartSummary> = {};
    const sheets: string[] = [];
    await mkdir(join(staging, 'contact_sheets'), { recursive: true });
    for (const part of parts) {
      checkpoint();
      const records = byPart.get(part.name) ?? [];
      summaries[part.name] = await part.finish(records, {
        config,
        out: new OutputWriter(join(staging, part.root), config.jpeg_quality),
        plan: ctx,
      });
      if (config.contact_sheet_images > 0) {
        const sheet = `contact_sheets/${part.name}.png`;
        await writeContactSheet(
          part.sheet(records, config.contact_sheet_images),
          join(staging, part.root),
          join(staging, sheet),
          `${part.name} (seed ${seed})`,
        );
        sheets.push(sheet);
      }
    }
    await writeFile(
      join(staging, 'classes.json'),
      `${JSON.stringify(
        CLASSES.map((c) => ({ index: c.index, name: c.name, wnid: c.wnid })),
        null,
        1,
      )}\n`,
    );
    const manifest = buildManifest({
      seed,
      fingerprint: print,
      config,
      pools: ctx.pools,
      icons: ctx.icons,
      backgrounds: ctx.backgrounds,
      parts: summaries,
      contactSheets: sheets,
    });
    checkpoint();
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    publish(staging, dir);
  } catch (err) {
    progress.stop();
    discard(staging);
    const signal = interrupt.received();
    interrupt.dispose();
    if (signal) process.kill(process.pid, signal); // end as the signal would have ended us
    throw err;
  } finally {
    interrupt.dispose();
  }
  return { status: 'generated', dir, images: total, seconds: (performance.now() - started) / 1000 };
}
