/**
 * ModelRuntime on onnxruntime-node: N worker threads, one session each. The batcher dispatches at most
 * `concurrency` batches at once, so a run normally finds an idle worker; if not, it waits in a short FIFO.
 * A worker that dies (it should not: errors are caught in the worker) fails its batch and is replaced.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ModelRuntime, RunResult, TensorMetadata } from './model-runtime.js';
import type { WorkerDevice } from './execution-provider.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './inference-worker.js';

const WORKER_URL = new URL('./inference-worker.js', import.meta.url);

interface Pending {
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
}

interface ReadyInfo {
  device: string;
  cudaFallbackReason?: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

class InferenceWorker {
  private pending?: Pending & { id: number };
  private nextId = 0;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly onExit: (worker: InferenceWorker, error: Error) => void,
  ) {
    worker.on('message', (reply: WorkerReply) => this.handle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`inference worker exited with code ${code}`)));
  }

  /** Starts a worker and waits until its session is created. */
  static start(
    init: WorkerInit,
    onExit: (worker: InferenceWorker, error: Error) => void,
  ): Promise<[InferenceWorker, ReadyInfo]> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { workerData: init });
      const onFirst = (reply: WorkerReply) => {
        worker.off('error', onError);
        if (reply.type === 'ready') {
          resolve([new InferenceWorker(worker, onExit), reply]);
        } else {
          void worker.terminate();
          reject(new Error(reply.type === 'failed' ? reply.message : `unexpected first message ${reply.type}`));
        }
      };
      const onError = (error: Error) => {
        worker.off('message', onFirst);
        reject(error);
      };
      worker.once('message', onFirst);
      worker.once('error', onError);
    });
  }

  /** Idle and alive: can take a batch now. */
  get available(): boolean {
    return this.pending === undefined && !this.exited;
  }

  run(inputName: string, input: Float32Array, dims: number[]): Promise<RunResult> {
    if (!this.available) throw new Error('inference worker is busy or gone');
    const id = ++this.nextId;
    return new Promise<RunResult>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      const request: WorkerRequest = { type: 'run', id, inputName, input, dims };
      this.worker.postMessage(request, [input.buffer as ArrayBuffer]);
    });
  }

  private handle(reply: WorkerReply): void {
    const pending = this.pending;
    if (!pending || (reply.type !== 'result' && reply.type !== 'error') || reply.id !== pending.id) return;
    this.pending = undefined;
    if (reply.type === 'error') {
      pending.reject(new Error(`onnxruntime: ${reply.message}`));
      return;
    }
    const outputs: RunResult['outputs'] = {};
    for (const output of reply.outputs) outputs[output.name] = { data: output.data, dims: output.dims };
    pending.resolve({ outputs, inferenceMs: reply.inferenceMs });
  }

  private fail(error: Error): void {
    if (this.exited) return;
    this.exited = true;
    this.pending?.reject(error);
    this.pending = undefined;
    this.onExit(this, error);
  }

  async terminate(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
  }
}

export interface OnnxWorkerPoolOptions {
  modelPath: string;
  workers: number;
  intraOpThreads: number;
  device: WorkerDevice;
  log: Logger;
}

export class OnnxWorkerPool implements ModelRuntime {
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly options: OnnxWorkerPoolOptions,
    /** How every worker of this pool is started (on the device the first one settled on). */
    private readonly init: WorkerInit,
    private readonly workers: InferenceWorker[],
    private readonly info: ReadyInfo,
  ) {}

  /**
   * Starts the workers. The first one decides the device (CUDA, or the CPU fallback) and the rest are started on
   * that device, so a fallback is decided and reported once per pool.
   */
  static async create(options: OnnxWorkerPoolOptions): Promise<OnnxWorkerPool> {
    const workers: InferenceWorker[] = [];
    // Workers that die before the pool exists have nothing to be replaced in; the holder is filled at the end.
    const holder: { pool?: OnnxWorkerPool } = {};
    const onExit = (worker: InferenceWorker, error: Error) => holder.pool?.replace(worker, error);
    const init: WorkerInit = {
      modelPath: options.modelPath,
      device: options.device,
      intraOpThreads: options.intraOpThreads,
    };
    const [first, info] = await InferenceWorker.start(init, onExit);
    workers.push(first);
    const resolved: WorkerInit = info.device === 'cpu' ? { ...init, device: { kind: 'cpu' } } : init;
    try {
      const rest = await Promise.all(
        Array.from({ length: options.workers - 1 }, () => InferenceWorker.start(resolved, onExit)),
      );
      workers.push(...rest.map(([worker]) => worker));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    holder.pool = new OnnxWorkerPool(options, resolved, workers, info);
    return holder.pool;
  }

  get device(): string {
    return this.info.device;
  }
  get cudaFallbackReason(): string | undefined {
    return this.info.cudaFallbackReason;
  }
  get inputs(): readonly TensorMetadata[] {
    return this.info.inputs;
  }
  get outputs(): readonly TensorMetadata[] {
    return this.info.outputs;
  }
  get concurrency(): number {
    return this.options.workers;
  }

  async run(inputName: string, input: Float32Array, dims: number[]): Promise<RunResult> {
    if (this.closed) throw new Error('model runtime is closed');
    let worker = this.workers.find((w) => w.available);
    while (!worker) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new Error('model runtime is closed');
      worker = this.workers.find((w) => w.available);
    }
    try {
      return await worker.run(inputName, input, dims);
    } finally {
      this.waiting.shift()?.();
    }
  }

  private replace(dead: InferenceWorker, error: Error): void {
    const index = this.workers.indexOf(dead);
    if (this.closed || index < 0) return;
    this.options.log.error({ err: error, model: this.options.modelPath }, 'inference worker died; starting a new one');
    InferenceWorker.start(this.init, (w, e) => this.replace(w, e)).then(
      ([fresh]) => {
        if (this.closed) void fresh.terminate();
        else this.workers[index] = fresh;
        this.waiting.shift()?.();
      },
      (startError) => this.options.log.error({ err: startError }, 'could not replace an inference worker'),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
