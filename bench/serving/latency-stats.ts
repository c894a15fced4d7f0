/**
 * Latency statistics of the benchmarks' own closed loops (the in-process limit of bench/side-by-side.ts,
 * bench/fault-load.ts); the served systems' percentiles come from ghz.
 */

export interface Sample {
  latencyMs: number;
  batchSize: number;
  preprocessMs: number;
  queueMs: number;
  inferenceMs: number;
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

/** The median of a few repeated measurements (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
