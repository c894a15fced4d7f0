/**
 * Summaries of one measured window: throughput, latency percentiles, and the server-side timings the responses
 * carry (mean batch size, preprocess / queue / inference time), which say where a request's time went.
 */

export interface Sample {
  latencyMs: number;
  batchSize: number;
  preprocessMs: number;
  queueMs: number;
  inferenceMs: number;
}

export interface LatencySummary {
  requests: number;
  seconds: number;
  throughput: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanBatchSize: number;
  meanPreprocessMs: number;
  meanQueueMs: number;
  meanInferenceMs: number;
}

/**
 * Percentile by linear interpolation between closest ranks (numpy's default), on an ascending array. Written here
 * rather than taken from a histogram library: the samples of one window (at most a few hundred thousand) fit in
 * memory, so the exact value costs one sort, and the project has no such dependency.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be in [0, 100], got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function summarise(samples: Sample[], seconds: number): LatencySummary {
  if (samples.length === 0) throw new Error('no request completed in the measured window');
  const latencies = Float64Array.from(samples, (s) => s.latencyMs).sort();
  return {
    requests: samples.length,
    seconds,
    throughput: samples.length / seconds,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1],
    meanBatchSize: mean(samples.map((s) => s.batchSize)),
    meanPreprocessMs: mean(samples.map((s) => s.preprocessMs)),
    meanQueueMs: mean(samples.map((s) => s.queueMs)),
    meanInferenceMs: mean(samples.map((s) => s.inferenceMs)),
  };
}

/** The median of a few repeated measurements (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
