/**
 * Closed-loop load: `concurrency` virtual users, each sending its next request as soon as its previous answer
 * arrives (what a pool of synchronous clients does; ghz and wrk2's closed mode work the same way). A warm-up
 * period comes first, then a measured window that ends after `durationS` or `maxRequests` answers, whichever is
 * first. Answers completed inside the window count; their latency is send-to-answer as the caller sees it.
 *
 * Any failed request stops the run with its error: a benchmark that silently counted errors as fast answers
 * would report a broken server as a quick one.
 */
import { setMaxListeners } from 'node:events';
import type { PredictResponse } from '../../proto/generated/luab/v1/inference.js';
import type { Sample } from './latency-stats.js';

/**
 * Sends the request for input `index`; rejects on any failure. Aborting `signal` (when the run fails) should end
 * the call; a call that ignores it needs its own deadline, or a stuck run waits for it.
 */
export type BenchCall = (index: number, signal: AbortSignal) => Promise<PredictResponse>;

export interface ClosedLoopOptions {
  concurrency: number;
  warmupS: number;
  durationS: number;
  maxRequests: number;
  /** No answer at all for this long means the pipeline is stuck: the run fails instead of hanging. */
  stallTimeoutMs: number;
  /** Called when the measured window opens and when it closes (e.g. to read CPU counters). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface ClosedLoopResult {
  samples: Sample[];
  /** Length of the measured window. */
  seconds: number;
}

function toSample(response: PredictResponse, latencyMs: number): Sample {
  const t = response.timings;
  if (!t) throw new Error(`response for id "${response.id}" has no timings`);
  if (response.classes.length === 0) throw new Error(`response for id "${response.id}" has no classes`);
  return {
    latencyMs,
    batchSize: t.batchSize,
    preprocessMs: t.preprocessMs,
    queueMs: t.queueMs,
    inferenceMs: t.inferenceMs,
  };
}

export async function runClosedLoop(
  call: BenchCall,
  inputCount: number,
  options: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  if (inputCount <= 0) throw new Error('closed loop: no inputs');
  const abort = new AbortController();
  // Every request in flight may listen on the one signal (the batcher does, until it settles the request).
  setMaxListeners(options.concurrency + 10, abort.signal);
  const start = performance.now();
  const windowStart = start + options.warmupS * 1000;
  let windowEnd = windowStart + options.durationS * 1000;
  let stop = false;
  let next = 0;
  let lastAnswer = start;
  let failure: Error | undefined;
  const samples: Sample[] = [];

  const user = async () => {
    while (!stop) {
      const index = next++ % inputCount;
      const sent = performance.now();
      const response = await call(index, abort.signal);
      const answered = performance.now();
      lastAnswer = answered;
      if (answered > windowEnd) break;
      if (answered >= windowStart) {
        samples.push(toSample(response, answered - sent));
        if (samples.length >= options.maxRequests) windowEnd = answered;
      }
    }
    closeWindow();
  };
  let windowClosed = false;
  const closeWindow = () => {
    stop = true;
    if (windowClosed) return;
    windowClosed = true;
    options.onWindowEnd?.();
  };
  const fail = (error: unknown) => {
    failure ??= error as Error;
    stop = true;
    abort.abort();
  };
  const opening = setTimeout(() => options.onWindowStart?.(), options.warmupS * 1000);

  const watchdog = setInterval(() => {
    const silentMs = performance.now() - lastAnswer;
    if (silentMs > options.stallTimeoutMs) {
      fail(new Error(`no answer for ${Math.round(silentMs)} ms at concurrency ${options.concurrency}: stuck`));
    }
  }, 250);
  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => user().catch(fail)));
  } finally {
    clearInterval(watchdog);
    clearTimeout(opening);
  }
  if (failure) throw failure;
  return { samples, seconds: (windowEnd - windowStart) / 1000 };
}
