/** One run's record, and the median over repeats of each scenario, which the table and the targets use. */
import { median, type LatencySummary } from './latency-stats.js';
import { scenarioKey, type PlannedRun, type Scenario } from './scenarios.js';

export interface RunRecord extends PlannedRun {
  summary: LatencySummary;
  /** CPU time per answered request in the measured window: the benchmark process (load generator, and for the
   * in-process pipeline everything), and the server child (all its threads); undefined where not measured. */
  benchCpuMsPerRequest: number;
  serverCpuMsPerRequest?: number;
  /** Share of the machine's CPU (all cores) that other processes used during the window; undefined without /proc. */
  otherCpuShare?: number;
  /** 1, or more when the run was measured again because the machine was busy. */
  attempts?: number;
}

export interface Aggregate extends Scenario {
  repeats: number;
  throughput: number;
  throughputMin: number;
  throughputMax: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanBatchSize: number;
  meanPreprocessMs: number;
  meanQueueMs: number;
  meanInferenceMs: number;
  benchCpuMsPerRequest: number;
  serverCpuMsPerRequest?: number;
  /** The largest share over the repeats: one disturbed repeat is worth a warning. */
  otherCpuShare?: number;
}

export function aggregate(records: RunRecord[]): Map<string, Aggregate> {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = scenarioKey(record);
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  const result = new Map<string, Aggregate>();
  for (const [key, runs] of groups) {
    const of = (pick: (s: LatencySummary) => number) => median(runs.map((r) => pick(r.summary)));
    const throughputs = runs.map((r) => r.summary.throughput);
    const server = runs.map((r) => r.serverCpuMsPerRequest).filter((v): v is number => v !== undefined);
    const others = runs.map((r) => r.otherCpuShare).filter((v): v is number => v !== undefined);
    result.set(key, {
      pipeline: runs[0].pipeline,
      input: runs[0].input,
      concurrency: runs[0].concurrency,
      repeats: runs.length,
      throughput: median(throughputs),
      throughputMin: Math.min(...throughputs),
      throughputMax: Math.max(...throughputs),
      p50Ms: of((s) => s.p50Ms),
      p90Ms: of((s) => s.p90Ms),
      p99Ms: of((s) => s.p99Ms),
      meanBatchSize: of((s) => s.meanBatchSize),
      meanPreprocessMs: of((s) => s.meanPreprocessMs),
      meanQueueMs: of((s) => s.meanQueueMs),
      meanInferenceMs: of((s) => s.meanInferenceMs),
      benchCpuMsPerRequest: median(runs.map((r) => r.benchCpuMsPerRequest)),
      serverCpuMsPerRequest: server.length === runs.length ? median(server) : undefined,
      otherCpuShare: others.length === runs.length ? Math.max(...others) : undefined,
    });
  }
  return result;
}
