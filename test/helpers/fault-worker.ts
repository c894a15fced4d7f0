/**
 * A stand-in inference worker for the pool's fault tests: it speaks the real worker's protocol
 * (server/runtime/inference-worker.ts) without onnxruntime, and fails on command. Each item's output row is its
 * first input value ("echo"). A batch whose first value is:
 *   -1: the thread exits with code 1 mid-run (a crashed worker);
 *   -3: answered with an error reply (onnxruntime threw).
 * With LUAB_TEST_WORKER_START=fail in the environment the worker starts, the session "fails" to load.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from '../../server/runtime/inference-worker.js';

const port = parentPort!;

if (process.env.LUAB_TEST_WORKER_START === 'fail') {
  port.postMessage({ type: 'failed', message: 'fault-worker: told to fail at start' } satisfies WorkerReply);
} else {
  port.postMessage({ type: 'ready', device: 'cpu', inputs: [], outputs: [] } satisfies WorkerReply);
  port.on('message', (request: WorkerRequest) => {
    if (request.type === 'close') {
      port.close();
      return;
    }
    const n = request.dims[0];
    // The pool's tests send float32 tensors; an image batch (bytes) echoes its first bytes.
    const values = request.input instanceof Float32Array ? request.input : request.input.pixels;
    const itemSize = values.length / n;
    const firsts = Float32Array.from({ length: n }, (_, i) => values[i * itemSize]);
    if (firsts[0] === -1) process.exit(1);
    if (firsts[0] === -3) {
      port.postMessage({ type: 'error', id: request.id, message: 'fault-worker: told to fail' } satisfies WorkerReply);
      return;
    }
    port.postMessage({
      type: 'result',
      id: request.id,
      outputs: [{ name: 'echo', dims: [n, 1], data: firsts }],
      inferenceMs: 0,
    } satisfies WorkerReply);
  });
}
