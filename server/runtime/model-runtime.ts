/**
 * What the batcher needs from an inference backend. The onnxruntime worker pool implements it; tests and future
 * backends (another runtime, a remote one) can plug in behind the same interface.
 */

export interface TensorMetadata {
  name: string;
  /** Element type as onnxruntime names it (float32, int64, ...). */
  type: string;
  /** Dimensions; a string or -1 is a symbolic (dynamic) dimension. */
  shape: (number | string)[];
}

/**
 * A batch of images as 8-bit interleaved RGB (N x H x W x 3), sent to the runtime as bytes: the runtime turns it
 * into the model's NCHW float32 input, (v / 255 - mean) / std per channel, on its own thread.
 */
export interface PixelBatch {
  kind: 'rgb8';
  pixels: Uint8Array;
  mean: readonly number[];
  std: readonly number[];
}

/** A batch as the batcher hands it over: the float32 tensor itself, or images still to be normalised. */
export type BatchInput = Float32Array | PixelBatch;

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

export interface RunResult {
  outputs: Record<string, OutputTensor>;
  /** Time inside the session's run(), measured in the worker. */
  inferenceMs: number;
}

export interface CloseOptions {
  /**
   * Answer the callers of batches still running with this error now, instead of waiting for their results. The
   * runs themselves still finish before their sessions are released.
   */
  cancelRunning?: Error;
}

export interface ModelRuntime {
  /** Where the sessions run: "cpu" or "cuda:N". */
  readonly device: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** How many batches can run at once (the number of sessions). */
  readonly concurrency: number;
  /**
   * Runs one batch of `dims` (NCHW): `input` is the float32 tensor, or the images' RGB bytes to normalise first.
   * The buffer may be transferred (detached).
   */
  run(inputName: string, input: BatchInput, dims: number[]): Promise<RunResult>;
  /** Why the runtime can no longer run anything (its workers died and could not be replaced); undefined if it can. */
  readonly failure?: string;
  /** Takes no new runs, waits for the running ones, then releases the sessions. */
  close(options?: CloseOptions): Promise<void>;
}
