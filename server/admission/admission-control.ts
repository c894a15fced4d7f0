/**
 * Admission control: the one place that decides, before any decode, whether a request may enter the server.
 * Two bounds, both answered with RESOURCE_EXHAUSTED at once and a message naming the limit and its flag:
 * - per model, the requests admitted (waiting for a decode slot + decoding + queued + running), so a burst for
 *   one model cannot fill the server with work it will only reject later, after paying for the decode;
 * - server-wide, the bytes of the requests admitted (the encoded images or tensors they hold), so a burst of large
 *   images cannot exhaust memory before the per-model queue bounds are even reached;
 * - per model, when a wait budget is set (--max-queue-wait-ms), the expected wait of a new request: the requests
 *   already admitted ahead of it divided by the model's measured service rate (service-rate.ts). Under overload the
 *   count bound is always full, so it alone lets every accepted request wait bound / throughput; the budget keeps
 *   that wait near the budget instead, whatever the bound (docs/benchmarks.md, "Serving under overload").
 * A request that is admitted holds a {@link Admission} until it is answered and must release it.
 */
import { resourceExhausted } from '../errors.js';
import { ServiceRate } from './service-rate.js';

export interface Admission {
  /**
   * Gives the request's place and bytes back; safe to call more than once. `served` false (failed, cancelled, or
   * an admission rolled back) leaves it out of the model's service rate: only answers count as the model's work
   * done, so failures and cancellations never make the rate look faster than the model serves.
   */
  release(served?: boolean): void;
}

/**
 * Never below one stream of the project's client at its default window (LuabClient.predictStream keeps 64 items in
 * flight): a client that streams and waits for its answers (backpressure) must not meet refusals from a server at
 * its defaults (test/fuzz.test.ts streams so against a model with max batch size 8).
 */
export const CLIENT_STREAM_WINDOW = 64;

/**
 * The per-model bound when --max-admitted-per-model is 0: what the version can work on within about two batch runs
 * of each session, every decode slot busy, one full batch running on each session and one full batch waiting behind
 * it, so a session that finishes finds a full batch ready (throughput kept for inference-bound models); at least
 * {@link CLIENT_STREAM_WINDOW}; never more than the version can hold (its queue + a batch per session + the decode
 * slots). An admitted request waits about this bound divided by the model's throughput (Little's law), so the bound
 * is what sets accepted latency under overload: the earlier default (the whole queue, 1024 + ...) let accepted
 * requests wait seconds (docs/benchmarks.md, "Serving under overload").
 */
export function defaultAdmittedLimit(
  batching: { maxQueueSize: number; maxBatchSize: number },
  sessions: number,
  decodeSlots: number,
): number {
  const holds = batching.maxQueueSize + sessions * batching.maxBatchSize + decodeSlots;
  return Math.min(holds, Math.max(CLIENT_STREAM_WINDOW, decodeSlots + 2 * sessions * batching.maxBatchSize));
}

/** What one model version may have admitted, as {@link AdmissionControl.admit} checks it. */
export interface ModelLimits {
  /** The most requests admitted at once (the hard cap). */
  maxAdmitted: number;
  /** The longest expected wait (ms) a new request may face; 0: no wait budget. */
  maxWaitMs: number;
  /** Admitted requests from which the model is saturated (its decode slots + a full batch per session). */
  saturatedAt: number;
}

export interface AdmissionStats {
  bytes: number;
  perModel: Record<string, number>;
}

export class AdmissionControl {
  private bytes = 0;
  private readonly perModel = new Map<string, number>();
  /** Kept while a model has nothing admitted: the next burst is judged by the rate the model last showed. */
  private readonly rates = new Map<string, ServiceRate>();

  /**
   * @param maxBytes the server-wide budget for the bytes of admitted requests.
   * @param now the clock (ms) the service rates are measured with; tests pass their own.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Admits a request for `model` holding `bytes`, or throws RESOURCE_EXHAUSTED naming the limit that was hit. */
  admit(model: string, bytes: number, limits: ModelLimits): Admission {
    const admitted = this.perModel.get(model) ?? 0;
    if (admitted >= limits.maxAdmitted) {
      throw resourceExhausted(
        `model "${model}": ${admitted} requests are already admitted (decoding, queued or running), the limit ` +
          `(--max-admitted-per-model); retry later`,
      );
    }
    let rate = this.rates.get(model);
    if (!rate) this.rates.set(model, (rate = new ServiceRate(this.now)));
    if (limits.maxWaitMs > 0) {
      const waitMs = this.expectedWaitMs(model, admitted);
      if (waitMs !== undefined && waitMs > limits.maxWaitMs) {
        throw resourceExhausted(
          `model "${model}": expected wait ${Math.round(waitMs)} ms (${admitted} requests admitted ahead at ` +
            `${rate.perSecond()!.toFixed(1)} per second) exceeds the budget of ${limits.maxWaitMs} ms ` +
            `(--max-queue-wait-ms); retry later`,
        );
      }
    }
    // One request larger than the whole budget is still admitted when nothing else is in, so that a budget set
    // below the message limit cannot make some valid requests impossible.
    if (this.bytes > 0 && this.bytes + bytes > this.maxBytes) {
      throw resourceExhausted(
        `server memory budget for requests: ${this.bytes} bytes in use + ${bytes} would exceed ${this.maxBytes} ` +
          `(--max-request-memory-bytes); retry later`,
      );
    }
    rate.change(admitted, limits.saturatedAt, false);
    this.perModel.set(model, admitted + 1);
    this.bytes += bytes;
    let released = false;
    return {
      release: (served = true) => {
        if (released) return;
        released = true;
        this.bytes -= bytes;
        const before = this.perModel.get(model) ?? 1;
        rate.change(before, limits.saturatedAt, served);
        const left = before - 1;
        if (left === 0) this.perModel.delete(model);
        else this.perModel.set(model, left);
      },
    };
  }

  /**
   * How long a request admitted now for `model` would wait: the `ahead` requests already admitted divided by the
   * model's measured service rate; undefined while the model has not been seen saturated (nothing to judge by).
   */
  expectedWaitMs(model: string, ahead = this.perModel.get(model) ?? 0): number | undefined {
    const perSecond = this.rates.get(model)?.perSecond();
    return perSecond === undefined ? undefined : (1000 * ahead) / perSecond;
  }

  stats(): AdmissionStats {
    return { bytes: this.bytes, perModel: Object.fromEntries(this.perModel) };
  }
}
