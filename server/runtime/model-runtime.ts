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
  /** Runs one batch: `input` is the NCHW float32 tensor of `dims`. The buffer may be transferred (detached). */
  run(inputName: string, input: Float32Array, dims: number[]): Promise<RunResult>;
  /** Why the runtime can no longer run anything (its workers died and could not be replaced); undefined if it can. */
  readonly failure?: string;
  /** Takes no new runs, waits for the running ones, then releases the sessions. */
  close(options?: CloseOptions): Promise<void>;
}
