/**
 * Spreads render jobs over worker threads and gathers their records in job order. Jobs go out in small batches
 * (a few dozen images each) so both cores stay busy to the end without a message per image.
 */
import { Worker } from 'node:worker_threads';
import type { ImageRecord, Job } from './suites/types.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './render-worker.js';

/** Images per batch: large enough to amortise messaging, small enough to balance the tail. */
const BATCH_OUTPUTS = 24;

function batches(jobs: readonly Job[]): Array<{ start: number; jobs: Job[] }> {
  const out: Array<{ start: number; jobs: Job[] }> = [];
  let current: Job[] = [];
  let start = 0;
  let outputs = 0;
  jobs.forEach((job, i) => {
    if (current.length === 0) start = i;
    current.push(job);
    outputs += job.outputs;
    if (outputs >= BATCH_OUTPUTS) {
      out.push({ start, jobs: current });
      current = [];
      outputs = 0;
    }
  });
  if (current.length > 0) out.push({ start, jobs: current });
  return out;
}

// Compiled, the worker is render-worker.js beside this file; under tsx (tests from source) it is the .ts file.
const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './render-worker.ts' : './render-worker.js',
  import.meta.url,
);

/**
 * Renders every job on `threads` workers; `onProgress` gets the number of images finished so far. An abort
 * terminates the workers before rejecting, so no worker writes anything after the caller cleans up.
 */
export async function renderAll(
  jobs: readonly Job[],
  init: WorkerInit,
  threads: number,
  onProgress: (done: number) => void,
  abort?: AbortSignal,
): Promise<ImageRecord[][]> {
  const queue = batches(jobs);
  const results: ImageRecord[][] = new Array<ImageRecord[]>(jobs.length);
  const workers = Array.from(
    { length: Math.max(1, Math.min(threads, queue.length)) },
    () => new Worker(workerUrl, { workerData: init }),
  );
  let done = 0;
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: Error): void => {
        if (!failed) {
          failed = true;
          reject(err);
        }
      };
      abort?.throwIfAborted();
      abort?.addEventListener('abort', () => fail(new Error('interrupted')), { once: true });
      const feed = (worker: Worker): void => {
        if (failed) return;
        if (next >= queue.length) {
          if (running === 0) resolve();
          return;
        }
        const batch = queue[next];
        const id = next++;
        running++;
        worker.postMessage({ type: 'batch', id, jobs: batch.jobs } satisfies WorkerRequest);
      };
      for (const worker of workers) {
        worker.on('message', (reply: WorkerReply) => {
          running--;
          if (reply.type === 'error') {
            const err = new Error(reply.message);
            err.stack = reply.stack;
            fail(err);
            return;
          }
          const batch = queue[reply.id];
          reply.records.forEach((records, k) => {
            results[batch.start + k] = records;
            done += records.length;
          });
          onProgress(done);
          feed(worker);
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0) fail(new Error(`a render worker exited with code ${code}`));
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
