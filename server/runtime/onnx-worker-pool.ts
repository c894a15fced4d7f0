/**
 * ModelRuntime on onnxruntime-node: N worker threads, one session each. The batcher dispatches at most
 * `concurrency` batches at once, so a run normally finds an idle worker; if not, it waits in a short FIFO.
 *
 * Faults and shutdown, the parts that must hold when things go wrong:
 * - A worker that dies fails only the batch it was running (UNAVAILABLE) and is replaced. If the replacement cannot
 *   start and no worker is left, the pool turns failed: every waiting and later run is answered UNAVAILABLE at once
 *   (never a wait without end) and `onFailure` tells the repository, which reports the model not ready.
 * - A worker is never terminated while onnxruntime's native run() is on its thread: Worker.terminate() then makes
 *   the addon throw a Napi::Error that nothing can catch, and the whole process aborts (exit code 134). Closing
 *   waits for each worker's current run to return, then asks the worker to release its session and exit by itself.
 *   A cancelling close answers the pending runs with UNAVAILABLE first, so no caller waits for that.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ServiceError, unavailable } from '../errors.js';
import type { BatchInput, CloseOptions, ModelRuntime, RunResult, TensorMetadata } from './model-runtime.js';
import type { WorkerDevice } from './execution-provider.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './inference-worker.js';

const WORKER_URL = new URL('./inference-worker.js', import.meta.url);

/** How long an idle worker may take to release its session and exit before it is terminated (it is idle: safe). */
const EXIT_TIMEOUT_MS = 10_000;

interface Pending {
  id: number;
  resolve: (result: RunResult) => void;
  reject: (error: Error) => void;
  /** Set once the caller has been answered (cancelled): the reply, when it comes, only frees the worker. */
  answered: boolean;
}

interface ReadyInfo {
  device: string;
  cudaFallbackReason?: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

class InferenceWorker {
  private pending?: Pending;
  private nextId = 0;
  private exited = false;
  private stopping = false;
  /** Resolves when the current run's reply has arrived or the worker is gone. */
  private idleWaiters: (() => void)[] = [];
  private readonly exitedPromise: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly label: string,
    private readonly onExit: (worker: InferenceWorker, error: Error) => void,
  ) {
    this.exitedPromise = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: WorkerReply) => this.handle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`inference worker exited with code ${code}`)));
  }

  /** Starts a worker and waits until its session is created. */
  static start(
    init: WorkerInit,
    label: string,
    onExit: (worker: InferenceWorker, error: Error) => void,
    url: URL = WORKER_URL,
  ): Promise<[InferenceWorker, ReadyInfo]> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(url, { workerData: init });
      const cleanUp = () => {
        worker.off('message', onFirst);
        worker.off('error', onError);
        worker.off('exit', onEarlyExit);
      };
      const onFirst = (reply: WorkerReply) => {
        cleanUp();
        if (reply.type === 'ready') {
          resolve([new InferenceWorker(worker, label, onExit), reply]);
        } else {
          // No session exists in this worker, so terminating it cannot interrupt a native call.
          void worker.terminate();
          reject(new Error(reply.type === 'failed' ? reply.message : `unexpected first message ${reply.type}`));
        }
      };
      const onError = (error: Error) => {
        cleanUp();
        reject(error);
      };
      const onEarlyExit = (code: number) => {
        cleanUp();
        reject(new Error(`inference worker exited with code ${code} before its session was ready`));
      };
      worker.on('message', onFirst);
      worker.on('error', onError);
      worker.on('exit', onEarlyExit);
    });
  }

  /** Idle and alive: can take a batch now. */
  get available(): boolean {
    return this.pending === undefined && !this.exited && !this.stopping;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** The worker thread itself, for fault-injection tests only. */
  get thread(): Worker {
    return this.worker;
  }

  run(inputName: string, input: BatchInput, dims: number[]): Promise<RunResult> {
    if (!this.available) throw new Error('inference worker is busy or gone');
    const id = ++this.nextId;
    return new Promise<RunResult>((resolve, reject) => {
      this.pending = { id, resolve, reject, answered: false };
      const request: WorkerRequest = { type: 'run', id, inputName, input, dims };
      // Handed over, not copied: the batcher made this buffer for this run only.
      const buffer = (input instanceof Float32Array ? input : input.pixels).buffer as ArrayBuffer;
      this.worker.postMessage(request, [buffer]);
    });
  }

  private handle(reply: WorkerReply): void {
    const pending = this.pending;
    if (!pending || (reply.type !== 'result' && reply.type !== 'error') || reply.id !== pending.id) return;
    this.pending = undefined;
    this.wakeIdle();
    if (pending.answered) return;
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
    const pending = this.pending;
    this.pending = undefined;
    this.wakeIdle();
    if (pending && !pending.answered) {
      pending.reject(unavailable(`${this.label}: the inference worker running this request died; retry`));
    }
    if (!this.stopping) this.onExit(this, error);
  }

  private wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Answers the running batch's callers now with `reason`; the native run itself goes on until it returns. */
  cancelPending(reason: Error): void {
    if (this.pending && !this.pending.answered) {
      this.pending.answered = true;
      this.pending.reject(reason);
    }
  }

  /**
   * Takes no new run, waits for the current one to return from onnxruntime, then lets the worker release its
   * session and exit on its own.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.exited) return;
    if (this.pending) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.exited) return;
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), EXIT_TIMEOUT_MS)));
    const late = await Promise.race([this.exitedPromise.then(() => false), timedOut]);
    clearTimeout(timer);
    // The worker is idle (no native run on its thread), so terminating it cannot abort the process.
    if (late) await this.worker.terminate();
  }
}

export interface OnnxWorkerPoolOptions {
  modelPath: string;
  workers: number;
  intraOpThreads: number;
  device: WorkerDevice;
  log: Logger;
  /** Names the model version in messages, e.g. `model "x" version 2`. */
  label?: string;
  /** Called once when the pool has no worker left and could not start one: the model is not ready any more. */
  onFailure?: (reason: string) => void;
  /** The worker script; tests substitute one that fails on purpose. */
  workerUrl?: URL;
}

export class OnnxWorkerPool implements ModelRuntime {
  private readonly waiting: { wake: () => void }[] = [];
  private closed = false;
  private failureReason?: string;
  private replacing = 0;

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
    const label = options.label ?? options.modelPath;
    const init: WorkerInit = {
      modelPath: options.modelPath,
      device: options.device,
      intraOpThreads: options.intraOpThreads,
    };
    const [first, info] = await InferenceWorker.start(init, label, onExit, options.workerUrl);
    workers.push(first);
    const resolved: WorkerInit = info.device === 'cpu' ? { ...init, device: { kind: 'cpu' } } : init;
    try {
      const rest = await Promise.all(
        Array.from({ length: options.workers - 1 }, () =>
          InferenceWorker.start(resolved, label, onExit, options.workerUrl),
        ),
      );
      workers.push(...rest.map(([worker]) => worker));
    } catch (error) {
      await Promise.all(workers.map((w) => w.stop()));
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
  /** Why the pool cannot run anything any more; undefined while it can. */
  get failure(): string | undefined {
    return this.failureReason;
  }
  private get label(): string {
    return this.options.label ?? this.options.modelPath;
  }

  /** The worker threads, for fault-injection tests only (terminate one to simulate a crash). */
  workerThreads(): Worker[] {
    return this.workers.map((w) => w.thread);
  }

  async run(inputName: string, input: BatchInput, dims: number[]): Promise<RunResult> {
    this.assertUsable();
    let worker = this.workers.find((w) => w.available);
    while (!worker) {
      await new Promise<void>((wake) => this.waiting.push({ wake }));
      this.assertUsable();
      worker = this.workers.find((w) => w.available);
    }
    try {
      this.options.log.debug({ model: this.label, items: dims[0] }, 'batch running');
      return await worker.run(inputName, input, dims);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      // A failed run is the runtime's fault, not the client's: UNAVAILABLE is gRPC's code for "retry may work".
      this.options.log.error({ err: error, model: this.label }, 'inference run failed');
      throw unavailable(`${this.label}: inference failed (${(error as Error).message})`);
    } finally {
      this.wakeOne();
    }
  }

  private assertUsable(): void {
    if (this.closed) throw unavailable(`${this.label}: the model is being unloaded or the server is shutting down`);
    if (this.failureReason !== undefined) throw unavailable(`${this.label}: not ready (${this.failureReason})`);
  }

  private wakeOne(): void {
    this.waiting.shift()?.wake();
  }

  private wakeAll(): void {
    for (const waiter of this.waiting.splice(0)) waiter.wake();
  }

  private replace(dead: InferenceWorker, error: Error): void {
    const index = this.workers.indexOf(dead);
    if (this.closed || index < 0) return;
    this.options.log.error({ err: error, model: this.label }, 'inference worker died; starting a new one');
    this.replacing += 1;
    InferenceWorker.start(this.init, this.label, (w, e) => this.replace(w, e), this.options.workerUrl).then(
      ([fresh]) => {
        this.replacing -= 1;
        if (this.closed) void fresh.stop();
        else this.workers[index] = fresh;
        this.wakeOne();
      },
      (startError: Error) => {
        this.replacing -= 1;
        this.options.log.error({ err: startError, model: this.label }, 'could not replace an inference worker');
        this.checkFailed(`an inference worker died and could not be replaced: ${startError.message}`);
      },
    );
  }

  /** With no worker alive and none starting, nothing will ever run: fail everything now instead of waiting. */
  private checkFailed(reason: string): void {
    if (this.closed || this.failureReason !== undefined) return;
    if (this.replacing > 0 || this.workers.some((w) => w.alive)) return;
    this.failureReason = reason;
    this.wakeAll();
    this.options.onFailure?.(reason);
  }

  async close(options: CloseOptions = {}): Promise<void> {
    this.closed = true;
    this.wakeAll();
    if (options.cancelRunning) for (const w of this.workers) w.cancelPending(options.cancelRunning);
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
