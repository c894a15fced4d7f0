/**
 * Worker thread entry: renders the jobs the pool sends, writing files below the run's temporary folder, and
 * answers with their records. Each job's randomness comes from its own seeded stream, so which worker renders
 * it does not matter.
 * @internal
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { AssetStore, type SharedAssets } from './asset-cache.js';
import { Composer } from './composer.js';
import type { SynthConfig } from './config.js';
import { OutputWriter } from './output-writer.js';
import { datasetPart } from './suites/registry.js';
import type { ImageRecord, Job, RenderContext } from './suites/types.js';

export interface WorkerInit {
  seed: number;
  config: SynthConfig;
  root: string;
  assets: SharedAssets;
}

export type WorkerRequest = { type: 'batch'; id: number; jobs: Job[] };
export type WorkerReply =
  | { type: 'done'; id: number; records: ImageRecord[][] }
  | { type: 'error'; id: number; message: string; stack?: string };

const port = parentPort;
if (!port) throw new Error('render-worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const composer = new Composer(init.config.image_size, new AssetStore(init.assets));
const contexts = new Map<string, RenderContext>();

function contextFor(partName: string): RenderContext {
  let ctx = contexts.get(partName);
  if (!ctx) {
    const part = datasetPart(partName);
    ctx = {
      seed: init.seed,
      config: init.config,
      composer,
      out: new OutputWriter(join(init.root, part.root), init.config.jpeg_quality),
    };
    contexts.set(partName, ctx);
  }
  return ctx;
}

port.on('message', (request: WorkerRequest) => {
  void (async () => {
    try {
      const records: ImageRecord[][] = [];
      for (const job of request.jobs) records.push(await datasetPart(job.part).render(job, contextFor(job.part)));
      port.postMessage({ type: 'done', id: request.id, records } satisfies WorkerReply);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ type: 'error', id: request.id, message: e.message, stack: e.stack } satisfies WorkerReply);
    }
  })();
});
