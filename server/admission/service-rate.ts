/**
 * A model's measured service rate: requests it finishes per second while it is saturated, as an exponentially
 * weighted ratio over its recent departures, O(1) per event. The admission control's wait budget divides the
 * requests already admitted by it to estimate how long a new request would wait.
 *
 * Only time during which the model had at least `saturatedAt` requests admitted counts (the work it does at once:
 * its decode slots and a full batch per session). Below that the model is not the bottleneck and the time between
 * departures is the arrival gap or one request's latency, not its capacity: counting it would under-estimate the
 * rate and refuse a burst after a quiet spell that the model would serve in one round.
 */

/** About how many recent departures the estimate weighs (a few batches of the default size). */
export const RATE_WINDOW = 32;

export class ServiceRate {
  /** Departures counted while saturated, each weighted down by (1 - 1/window) at every later one. */
  private departures = 0;
  /** Saturated time (ms) behind those departures, weighted the same way. */
  private busyMs = 0;
  /** Saturated time since the last counted departure. */
  private pendingMs = 0;
  private lastChange = Number.NaN;

  constructor(
    private readonly now: () => number,
    private readonly decay = 1 - 1 / RATE_WINDOW,
  ) {}

  /**
   * The model's admitted count is about to change; `before` is the count held since the previous change,
   * `saturatedAt` the count from which the model is saturated. `departure`: a request answered (counted in the
   * rate); an arrival, or a request that left unanswered, only closes the interval (its saturated time still counts).
   */
  change(before: number, saturatedAt: number, departure: boolean): void {
    const now = this.now();
    const saturated = before >= saturatedAt && before > 0;
    if (saturated && !Number.isNaN(this.lastChange)) this.pendingMs += Math.max(0, now - this.lastChange);
    this.lastChange = now;
    if (!departure) return;
    if (saturated) {
      this.departures = this.departures * this.decay + 1;
      this.busyMs = this.busyMs * this.decay + this.pendingMs;
      this.pendingMs = 0;
    }
  }

  /** Requests per second while saturated; undefined until one departure was seen saturated. */
  perSecond(): number | undefined {
    if (this.departures === 0) return undefined;
    return this.busyMs > 0 ? (1000 * this.departures) / this.busyMs : Infinity;
  }
}
