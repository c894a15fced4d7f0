/**
 * Per model version request statistics, the one source that both KServe v2 ModelStatistics (gRPC and HTTP
 * /stats) and the Prometheus /metrics read, so the two always agree. Front ends record each request once, when
 * it finishes; the batcher's own counters (images that reached the model, executions, queue length) are read
 * from it directly at report time.
 */
import { status } from '@grpc/grpc-js';
import { ServiceError } from '../errors.js';

/** Count and total duration, as Triton's StatisticDuration. */
export interface Duration {
  count: number;
  ns: number;
}

export interface VersionStatistics {
  model: string;
  version: number;
  success: Duration;
  fail: Duration;
  queue: Duration;
  /** Decode and preprocessing (Triton's compute_input). */
  computeInput: Duration;
  computeInfer: Duration;
  computeOutput: Duration;
  /** Date.now() of the last successful request; 0: none. */
  lastInference: number;
  /** Images answered with a point (the model has a point head and the request got it). */
  pointOutputs: number;
}

/**
 * The timings of one finished request. A request of several images reports, for each stage, its longest image
 * (the request's critical path), so a request always counts once whatever its size.
 */
export interface RequestTimings {
  totalMs: number;
  queueMs: number;
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

const ns = (ms: number) => Math.round(ms * 1e6);
const add = (d: Duration, ms: number) => {
  d.count += 1;
  d.ns += ns(ms);
};
const zero = (): Duration => ({ count: 0, ns: 0 });

/** The reason label of a failed request: its status code in lower case (invalid_argument, not_found, ...). */
export function failureReason(error: unknown): string {
  const code = error instanceof ServiceError ? error.code : status.INTERNAL;
  return (status[code] ?? 'internal').toLowerCase();
}

export class InferenceStatistics {
  private readonly versions = new Map<string, VersionStatistics>();
  private readonly rejectedByReason = new Map<string, number>();
  /** Called with every image decode's duration in seconds (the Prometheus histogram listens). */
  onDecode?: (seconds: number) => void;

  /** The record of one version (zeros for a version not yet used; reading does not create it). */
  get(model: string, version: number): VersionStatistics {
    return this.versions.get(`${model}\u0000${version}`) ?? InferenceStatistics.empty(model, version);
  }

  private static empty(model: string, version: number): VersionStatistics {
    return {
      model,
      version,
      success: zero(),
      fail: zero(),
      queue: zero(),
      computeInput: zero(),
      computeInfer: zero(),
      computeOutput: zero(),
      lastInference: 0,
      pointOutputs: 0,
    };
  }

  /** The record of one version, created on first use. */
  private version(model: string, version: number): VersionStatistics {
    const key = `${model}\u0000${version}`;
    let entry = this.versions.get(key);
    if (!entry) {
      entry = InferenceStatistics.empty(model, version);
      this.versions.set(key, entry);
    }
    return entry;
  }

  recordSuccess(model: string, version: number, timings: RequestTimings, pointOutputs: number): void {
    const entry = this.version(model, version);
    add(entry.success, timings.totalMs);
    add(entry.queue, timings.queueMs);
    add(entry.computeInput, timings.preprocessMs);
    add(entry.computeInfer, timings.inferenceMs);
    add(entry.computeOutput, timings.postprocessMs);
    entry.lastInference = Date.now();
    entry.pointOutputs += pointOutputs;
  }

  /** A failed request: for its model version when it got that far, and by reason in every case. */
  recordFailure(target: { model: string; version: number } | undefined, totalMs: number, error: unknown): void {
    if (target) add(this.version(target.model, target.version).fail, totalMs);
    const reason = failureReason(error);
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
  }

  recordDecode(ms: number): void {
    this.onDecode?.(ms / 1000);
  }

  all(): VersionStatistics[] {
    return [...this.versions.values()];
  }

  rejected(): Map<string, number> {
    return new Map(this.rejectedByReason);
  }
}
