/**
 * An inference worker thread: owns one onnxruntime session. onnxruntime-node's run() is a synchronous native call
 * that blocks its thread for the whole inference, so sessions live here, off the main thread that serves gRPC.
 *
 * Protocol (messages from the pool): { type: 'run', id, inputName, input: Float32Array | PixelBatch, dims } → replies
 * { type: 'result', id, outputs, inferenceMs } or { type: 'error', id, message }. At start it replies once with
 * { type: 'ready', ... } or { type: 'failed', message }. { type: 'close' } releases the session and ends the thread:
 * the pool sends it instead of terminating the thread, which would abort the process if a native run were on it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { executionProviders, explainCudaFailure, type WorkerDevice } from './execution-provider.js';
import type { BatchInput, PixelBatch, TensorMetadata } from './model-runtime.js';

export interface WorkerInit {
  modelPath: string;
  device: WorkerDevice;
  intraOpThreads: number;
}

export type WorkerRequest =
  | { type: 'run'; id: number; inputName: string; input: BatchInput; dims: number[] }
  /** Sent only when no run is in progress: release the session and let the thread end. */
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; device: string; cudaFallbackReason?: string; inputs: TensorMetadata[]; outputs: TensorMetadata[] }
  | { type: 'failed'; message: string }
  | {
      type: 'result';
      id: number;
      outputs: { name: string; dims: number[]; data: Float32Array }[];
      inferenceMs: number;
    }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const init = workerData as WorkerInit;

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): TensorMetadata[] {
  return list.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' ? d : String(d))) }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

async function createSession(): Promise<{ session: ort.InferenceSession; device: string; fallback?: string }> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: init.intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // onnxruntime's thread pools spin while waiting for work by default: between batches that burns a core that
    // sharp's decoders need (the serving benchmark of the day, since replaced by bench/side-by-side.ts, measured
    // 18.8 vs 9.9 ms of server CPU per JPEG request at c=1).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const device = init.device;
  if (device.kind === 'cpu') {
    return {
      session: await ort.InferenceSession.create(init.modelPath, { ...options, executionProviders: ['cpu'] }),
      device: 'cpu',
    };
  }
  try {
    const session = await ort.InferenceSession.create(init.modelPath, {
      ...options,
      executionProviders: executionProviders(device),
    });
    return { session, device: `cuda:${device.deviceId}` };
  } catch (error) {
    const reason = explainCudaFailure(device.deviceId, (error as Error).message);
    if (!device.allowCpuFallback) throw new Error(reason);
    const session = await ort.InferenceSession.create(init.modelPath, { ...options, executionProviders: ['cpu'] });
    return { session, device: 'cpu', fallback: reason };
  }
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const created = await createSession();
    session = created.session;
    port.postMessage({
      type: 'ready',
      device: created.device,
      cudaFallbackReason: created.fallback,
      inputs: metadata(session.inputMetadata),
      outputs: metadata(session.outputMetadata),
    } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({ type: 'failed', message: (error as Error).message } satisfies WorkerReply);
    return;
  }

  port.on('message', async (request: WorkerRequest) => {
    if (request.type === 'close') {
      await session.release().catch(() => undefined);
      port.close();
      return;
    }
    try {
      const input = request.input instanceof Float32Array ? request.input : toTensor(request.input, request.dims);
      const feeds = { [request.inputName]: new ort.Tensor('float32', input, request.dims) };
      const started = performance.now();
      const results = await session.run(feeds);
      const inferenceMs = performance.now() - started;
      const outputs = Object.entries(results).map(([name, tensor]) => ({
        name,
        dims: [...tensor.dims],
        data: tensor.data as Float32Array,
      }));
      // Hand the output buffers over instead of copying them (each buffer once, in case outputs share one).
      const buffers = [...new Set(outputs.map((o) => o.data.buffer as ArrayBuffer))];
      port.postMessage({ type: 'result', id: request.id, outputs, inferenceMs } satisfies WorkerReply, buffers);
    } catch (error) {
      port.postMessage({ type: 'error', id: request.id, message: (error as Error).message } satisfies WorkerReply);
    }
  });
}

/**
 * N x H x W x 3 bytes → N x 3 x H x W float32, (v / 255 - mean) / std: the normalisation the main thread used to
 * do per image, done here on the worker's thread and straight into the batch tensor.
 */
function toTensor(batch: PixelBatch, dims: number[]): Float32Array {
  const [n, channels, height, width] = dims;
  const plane = height * width;
  const tensor = new Float32Array(n * channels * plane);
  const pixels = batch.pixels;
  for (let item = 0; item < n; item++) {
    const source = item * plane * 3;
    for (let c = 0; c < 3; c++) {
      const scale = 1 / (255 * batch.std[c]);
      const bias = -batch.mean[c] / batch.std[c];
      const start = (item * 3 + c) * plane;
      for (let i = 0; i < plane; i++) tensor[start + i] = pixels[source + i * 3 + c] * scale + bias;
    }
  }
  return tensor;
}

void main();
