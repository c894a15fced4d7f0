/**
 * The three speed targets for this 2-core machine, as ratios inside one run (a ratio survives a slower or
 * busier machine far better than an absolute number does):
 * - gRPC reaches at least 0.85 of the in-process pipeline's throughput at concurrency 64 (JPEG inputs);
 * - dynamic batching gives at least 1.5x the throughput of batch size 1 at concurrency 64 (tensor inputs);
 * - p99 latency at concurrency 8 stays under 3x p50 (gRPC, JPEG inputs).
 */
import { median } from './latency-stats.js';
import { aggregate, type Aggregate, type RunRecord } from './results.js';
import { scenarioKey, type Scenario } from './scenarios.js';

export interface TargetOutcome {
  name: string;
  description: string;
  comparison: '>=' | '<';
  threshold: number;
  /** Undefined when a scenario it needs was not run (e.g. --concurrency without 64). */
  value?: number;
  pass?: boolean;
  /** How the value was computed, with the numbers. */
  detail: string;
}

interface TargetSpec {
  name: string;
  description: string;
  comparison: '>=' | '<';
  threshold: number;
  needs: Scenario[];
  compute: (a: Aggregate[]) => { value: number; detail: string };
}

const fmt = (v: number, digits = 1) => v.toFixed(digits);

/**
 * On one 2-core machine the gRPC client shares the cores with the server, and the in-process pipeline has no client
 * to pay for. CPU per request separates the two: the in-process pipeline's CPU over the server's alone is the
 * ratio a CPU-bound server would reach with its clients elsewhere. Shown beside the measured ratio, not instead.
 */
function cpuBreakdown(grpc: Aggregate, local: Aggregate): string {
  if (grpc.serverCpuMsPerRequest === undefined) return '';
  return (
    `; CPU per request: in-process ${fmt(local.benchCpuMsPerRequest, 2)} ms, gRPC server ` +
    `${fmt(grpc.serverCpuMsPerRequest, 2)} ms + client ${fmt(grpc.benchCpuMsPerRequest, 2)} ms; ` +
    `server alone ${fmt(local.benchCpuMsPerRequest / grpc.serverCpuMsPerRequest, 2)}`
  );
}

export const TARGETS: TargetSpec[] = [
  {
    name: 'grpc-vs-in-process',
    description: 'gRPC / in-process throughput, JPEG, concurrency 64',
    comparison: '>=',
    threshold: 0.85,
    needs: [
      { pipeline: 'grpc', input: 'jpeg', concurrency: 64 },
      { pipeline: 'in-process', input: 'jpeg', concurrency: 64 },
    ],
    compute: ([grpc, local]) => ({
      value: grpc.throughput / local.throughput,
      detail: `${fmt(grpc.throughput)} / ${fmt(local.throughput)} req/s${cpuBreakdown(grpc, local)}`,
    }),
  },
  {
    name: 'batching-gain',
    description: 'batching on / off throughput, tensor, gRPC, concurrency 64',
    comparison: '>=',
    threshold: 1.5,
    needs: [
      { pipeline: 'grpc', input: 'tensor', concurrency: 64 },
      { pipeline: 'grpc-unbatched', input: 'tensor', concurrency: 64 },
    ],
    compute: ([on, off]) => ({
      value: on.throughput / off.throughput,
      detail: `${fmt(on.throughput)} / ${fmt(off.throughput)} req/s (mean batch ${fmt(on.meanBatchSize)})`,
    }),
  },
  {
    name: 'tail-latency',
    description: 'p99 / p50 latency, gRPC, JPEG, concurrency 8',
    comparison: '<',
    threshold: 3,
    needs: [{ pipeline: 'grpc', input: 'jpeg', concurrency: 8 }],
    compute: ([grpc]) => ({
      value: grpc.p99Ms / grpc.p50Ms,
      detail: `p99 ${fmt(grpc.p99Ms, 2)} ms / p50 ${fmt(grpc.p50Ms, 2)} ms`,
    }),
  },
];

/**
 * Each ratio is computed within each repeat (its two sides ran back to back) and the median of those is the
 * value: a ratio of two medians could pair a fast repeat of one side with a slow one of the other.
 */
export function evaluateTargets(records: RunRecord[]): TargetOutcome[] {
  const overall = aggregate(records);
  const repeats = [...new Set(records.map((r) => r.repeat))].map((n) =>
    aggregate(records.filter((r) => r.repeat === n)),
  );
  return TARGETS.map((target) => {
    const base = {
      name: target.name,
      description: target.description,
      comparison: target.comparison,
      threshold: target.threshold,
    };
    const missing = target.needs.filter((s) => !overall.has(scenarioKey(s))).map(scenarioKey);
    if (missing.length > 0) return { ...base, detail: `not measured: needs ${missing.join(', ')}` };
    const perRepeat = repeats
      .filter((a) => target.needs.every((s) => a.has(scenarioKey(s))))
      .map((a) => target.compute(target.needs.map((s) => a.get(scenarioKey(s))!)).value);
    const value = median(perRepeat);
    const { detail } = target.compute(target.needs.map((s) => overall.get(scenarioKey(s))!));
    const spread = perRepeat.length > 1 ? `per repeat ${perRepeat.map((v) => fmt(v, 2)).join(', ')}; medians: ` : '';
    const pass = target.comparison === '>=' ? value >= target.threshold : value < target.threshold;
    return { ...base, value, pass, detail: `${spread}${detail}` };
  });
}
