/**
 * Admission control: the one place that decides, before any decode, whether a request may enter the server.
 * Two bounds, both answered with RESOURCE_EXHAUSTED at once and a message naming the limit and its flag:
 * - per model, the requests admitted (waiting for a decode slot + decoding + queued + running), so a burst for
 *   one model cannot fill the server with work it will only reject later, after paying for the decode;
 * - server-wide, the bytes of the requests admitted (the encoded images or tensors they hold), so a burst of large
 *   images cannot exhaust memory before the per-model queue bounds are even reached.
 * A request that is admitted holds a {@link Admission} until it is answered and must release it.
 */
import { resourceExhausted } from '../errors.js';

export interface Admission {
  /** Gives the request's place and bytes back; safe to call more than once. */
  release(): void;
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

export interface AdmissionStats {
  bytes: number;
  perModel: Record<string, number>;
}

export class AdmissionControl {
  private bytes = 0;
  private readonly perModel = new Map<string, number>();

  /** @param maxBytes the server-wide budget for the bytes of admitted requests. */
  constructor(private readonly maxBytes: number) {}

  /**
   * Admits a request for `model` holding `bytes`, or throws RESOURCE_EXHAUSTED naming the limit that was hit.
   * @param modelLimit the most requests `model` may have admitted at once.
   */
  admit(model: string, bytes: number, modelLimit: number): Admission {
    const admitted = this.perModel.get(model) ?? 0;
    if (admitted >= modelLimit) {
      throw resourceExhausted(
        `model "${model}": ${admitted} requests are already admitted (decoding, queued or running), the limit ` +
          `(--max-admitted-per-model); retry later`,
      );
    }
    // One request larger than the whole budget is still admitted when nothing else is in, so that a budget set
    // below the message limit cannot make some valid requests impossible.
    if (this.bytes > 0 && this.bytes + bytes > this.maxBytes) {
      throw resourceExhausted(
        `server memory budget for requests: ${this.bytes} bytes in use + ${bytes} would exceed ${this.maxBytes} ` +
          `(--max-request-memory-bytes); retry later`,
      );
    }
    this.perModel.set(model, admitted + 1);
    this.bytes += bytes;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.bytes -= bytes;
        const left = (this.perModel.get(model) ?? 1) - 1;
        if (left === 0) this.perModel.delete(model);
        else this.perModel.set(model, left);
      },
    };
  }

  stats(): AdmissionStats {
    return { bytes: this.bytes, perModel: Object.fromEntries(this.perModel) };
  }
}
