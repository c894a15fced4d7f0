/**
 * Dynamic batching for one model version, with Triton's semantics: requests wait in a bounded FIFO; whenever a
 * session is free, the largest batch available (up to maxBatchSize) is sent if the queue holds a full batch or its
 * oldest request has waited maxQueueDelayMs; otherwise it waits for whichever comes first. A full queue rejects
 * with RESOURCE_EXHAUSTED. Requests whose deadline has passed or whose client cancelled are dropped before they
 * reach the model, so abandoned work costs no inference. A model whose batch dimension is fixed gets every batch
 * padded with zero items to that size; only the real items' rows are handed back.
 */
import { cancelled, deadlineExceeded, resourceExhausted, ServiceError } from '../errors.js';
import type { ModelRuntime } from '../runtime/model-runtime.js';

export interface BatchingOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  /** The model's fixed batch dimension, when it has one: every run gets exactly this many items (padded). */
  fixedBatchSize?: number;
}

export interface SubmitOptions {
  /** Absolute deadline in Date.now() milliseconds; Infinity for none. */
  deadline?: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

export interface ItemResult {
  /** This item's slice of every output (the batch axis removed). */
  outputs: Record<string, Float32Array>;
  batchSize: number;
  queueMs: number;
  inferenceMs: number;
}

/** Time and timers, injectable so tests can drive the batching delay without real waiting. */
export interface BatcherClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: BatcherClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface QueuedItem {
  input: Float32Array;
  enqueuedAt: number;
  deadline: number;
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve: (result: ItemResult) => void;
  reject: (error: Error) => void;
}

export interface BatcherStats {
  /** Requests that reached the model. */
  inferences: number;
  /** Batches run (inferences / executions = mean batch size). */
  executions: number;
  dropped: { deadline: number; cancelled: number; queueFull: number };
  queued: number;
  inFlight: number;
}

export class DynamicBatcher {
  private readonly queue: QueuedItem[] = [];
  private inFlight = 0;
  private timer?: unknown;
  private readonly counters = { inferences: 0, executions: 0, deadline: 0, cancelled: 0, queueFull: 0 };

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly inputName: string,
    /** Dimensions of one item without the batch axis, e.g. [3, H, W]. */
    private readonly itemDims: readonly number[],
    private readonly options: BatchingOptions,
    /** Names the queue in error messages, e.g. `model "x" version 2`. */
    private readonly label: string,
    private readonly clock: BatcherClock = REAL_CLOCK,
  ) {}

  get itemSize(): number {
    return this.itemDims.reduce((a, b) => a * b, 1);
  }

  submit(input: Float32Array, options: SubmitOptions = {}): Promise<ItemResult> {
    if (input.length !== this.itemSize) {
      return Promise.reject(new Error(`batcher: item has ${input.length} elements, expected ${this.itemSize}`));
    }
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    if (this.queue.length >= this.options.maxQueueSize) {
      this.counters.queueFull += 1;
      return Promise.reject(
        resourceExhausted(
          `${this.label}: the queue is full (${this.options.maxQueueSize} requests waiting); retry later, ` +
            `or raise --max-queue-size`,
        ),
      );
    }
    return new Promise<ItemResult>((resolve, reject) => {
      const item: QueuedItem = {
        input,
        enqueuedAt: this.clock.now(),
        deadline: options.deadline ?? Infinity,
        signal: options.signal,
        resolve,
        reject,
      };
      if (options.signal) {
        // A cancelled request leaves the queue at once, so it holds no place that a live request could use.
        item.onAbort = () => {
          const index = this.queue.indexOf(item);
          if (index >= 0) {
            this.queue.splice(index, 1);
            this.counters.cancelled += 1;
            reject(abortError(options.signal!));
          }
        };
        options.signal.addEventListener('abort', item.onAbort, { once: true });
      }
      this.queue.push(item);
      this.pump();
    });
  }

  stats(): BatcherStats {
    const { inferences, executions, deadline, cancelled: cancelledCount, queueFull } = this.counters;
    return {
      inferences,
      executions,
      dropped: { deadline, cancelled: cancelledCount, queueFull },
      queued: this.queue.length,
      inFlight: this.inFlight,
    };
  }

  /** Rejects everything still queued (server shutdown or model unload). */
  close(reason: Error): void {
    this.clock.clearTimeout(this.timer);
    for (const item of this.queue.splice(0)) this.settle(item, () => item.reject(reason));
  }

  private dropExpired(): void {
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const item = this.queue[i];
      if (item.signal?.aborted) {
        this.queue.splice(i, 1);
        this.counters.cancelled += 1;
        this.settle(item, () => item.reject(abortError(item.signal!)));
      } else if (item.deadline <= now) {
        this.queue.splice(i, 1);
        this.counters.deadline += 1;
        this.settle(item, () => item.reject(deadlineExceeded(`${this.label}: deadline passed while queued`)));
      }
    }
  }

  private pump(): void {
    while (this.inFlight < this.runtime.concurrency && this.queue.length > 0) {
      this.dropExpired();
      if (this.queue.length === 0) break;
      const waited = this.clock.now() - this.queue[0].enqueuedAt;
      if (this.queue.length < this.options.maxBatchSize && waited < this.options.maxQueueDelayMs) {
        if (!this.timer) {
          this.timer = this.clock.setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, this.options.maxQueueDelayMs - waited);
        }
        break;
      }
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      void this.dispatch(this.queue.splice(0, this.options.maxBatchSize));
    }
  }

  private async dispatch(batch: QueuedItem[]): Promise<void> {
    this.inFlight += 1;
    const size = this.itemSize;
    const dispatchedAt = this.clock.now();
    try {
      // The zero padding rows of a fixed-size batch are run and their outputs dropped.
      const runSize = Math.max(batch.length, this.options.fixedBatchSize ?? 0);
      const tensor = new Float32Array(runSize * size);
      batch.forEach((item, i) => tensor.set(item.input, i * size));
      const result = await this.runtime.run(this.inputName, tensor, [runSize, ...this.itemDims]);
      this.counters.executions += 1;
      this.counters.inferences += batch.length;
      const perItem = batch.map(() => ({}) as Record<string, Float32Array>);
      for (const [name, output] of Object.entries(result.outputs)) {
        if (output.dims[0] !== runSize) {
          throw new Error(`output "${name}" has batch dimension ${output.dims[0]}, expected ${runSize}`);
        }
        const stride = output.data.length / runSize;
        perItem.forEach((outputs, i) => (outputs[name] = output.data.subarray(i * stride, (i + 1) * stride)));
      }
      batch.forEach((item, i) =>
        this.settle(item, () =>
          item.resolve({
            outputs: perItem[i],
            batchSize: batch.length,
            queueMs: dispatchedAt - item.enqueuedAt,
            inferenceMs: result.inferenceMs,
          }),
        ),
      );
    } catch (error) {
      for (const item of batch) this.settle(item, () => item.reject(error as Error));
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }

  private settle(item: QueuedItem, action: () => void): void {
    if (item.onAbort) item.signal?.removeEventListener('abort', item.onAbort);
    action();
  }
}

/** The status for an aborted request: the abort's own reason when it is one (shutdown), else CANCELLED. */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof ServiceError ? signal.reason : cancelled('request cancelled by the client');
}
