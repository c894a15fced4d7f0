/**
 * Dynamic batching for one model version: Triton's semantics with an idle fast path. Requests wait in a bounded
 * FIFO. A request that arrives while a session is free is sent at once, with whatever else is queued (up to
 * maxBatchSize): waiting maxQueueDelayMs for company that is not coming only added latency at low load. A request
 * that arrives while every session is busy (load) batches as Triton does: when a session frees up, the largest
 * batch available is sent if the queue holds a full batch or its oldest request has waited maxQueueDelayMs;
 * otherwise it waits for whichever comes first. Under load the queue fills while the sessions run, so batches form
 * without any waiting. Images join as they finish decoding: an item is either the model's float32 tensor or the
 * image's RGB bytes, which the runtime normalises on its own thread (see PixelItem). A full queue rejects
 * with RESOURCE_EXHAUSTED. Requests whose deadline has passed or whose client cancelled are dropped before they
 * reach the model, so abandoned work costs no inference. A model whose batch dimension is fixed gets every batch
 * padded with zero items to that size; only the real items' rows are handed back.
 */
import { cancelled, deadlineExceeded, resourceExhausted, ServiceError } from '../errors.js';
import { normaliseInto } from '../preprocess/image-preprocessor.js';
import type { BatchInput, ModelRuntime } from '../runtime/model-runtime.js';

/** How image bytes become the model's input: (v / 255 - mean) / std per channel. */
export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * One decoded image as the model input's interleaved RGB bytes (H x W x 3) with its normalisation. A batch made
 * only of such items (with the same normalisation object) goes to the runtime as bytes, a quarter of the float32
 * tensor's size, and is normalised there, off the main thread.
 */
export interface PixelItem {
  pixels: Uint8Array;
  normalisation: Normalisation;
}

/** What a request hands the batcher: the model's float32 input for one item, or a decoded image's bytes. */
export type BatchItem = Float32Array | PixelItem;

const itemLength = (input: BatchItem) => (input instanceof Float32Array ? input.length : input.pixels.length);

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
  input: BatchItem;
  enqueuedAt: number;
  /** Every session was busy when it arrived: it may wait maxQueueDelayMs for a fuller batch. */
  arrivedUnderLoad: boolean;
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

  submit(input: BatchItem, options: SubmitOptions = {}): Promise<ItemResult> {
    if (itemLength(input) !== this.itemSize) {
      return Promise.reject(new Error(`batcher: item has ${itemLength(input)} elements, expected ${this.itemSize}`));
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
        arrivedUnderLoad: this.inFlight >= this.runtime.concurrency,
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
      const head = this.queue[0];
      const waited = this.clock.now() - head.enqueuedAt;
      // The idle fast path: a queued request that arrived while a session was free goes now, with the others
      // (they may have been waiting for the delay to pass while the session they will run on sat idle).
      const mayWait =
        this.queue.length < this.options.maxBatchSize && this.queue.every((item) => item.arrivedUnderLoad);
      if (mayWait && waited < this.options.maxQueueDelayMs) {
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
      const input = packBatch(batch, runSize, size);
      const result = await this.runtime.run(this.inputName, input, [runSize, ...this.itemDims]);
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

/**
 * The batch's input, one buffer made for this run (the runtime may transfer it): the images' bytes when every item
 * is an image with the same normalisation, else the float32 tensor (images among tensors normalised into it here).
 */
function packBatch(batch: QueuedItem[], runSize: number, size: number): BatchInput {
  const first = batch[0].input;
  if (!(first instanceof Float32Array)) {
    const { normalisation } = first;
    if (batch.every((item) => !(item.input instanceof Float32Array) && item.input.normalisation === normalisation)) {
      const pixels = new Uint8Array(runSize * size);
      batch.forEach((item, i) => pixels.set((item.input as PixelItem).pixels, i * size));
      return { kind: 'rgb8', pixels, mean: normalisation.mean, std: normalisation.std };
    }
  }
  const tensor = new Float32Array(runSize * size);
  batch.forEach(({ input }, i) => {
    if (input instanceof Float32Array) tensor.set(input, i * size);
    else normaliseInto(tensor, i * size, input.pixels, input.normalisation);
  });
  return tensor;
}

/** The status for an aborted request: the abort's own reason when it is one (shutdown), else CANCELLED. */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof ServiceError ? signal.reason : cancelled('request cancelled by the client');
}
