/**
 * Decoded images reach the model as bytes: the batcher packs image items (interleaved RGB, 8 bits) into one byte
 * buffer and the inference worker normalises it into the NCHW float32 tensor, off the main thread. These tests
 * check that the bytes path gives the very tensor the main thread would have made, and that a batch mixing tensor
 * requests and images still reaches the model as one float32 tensor.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { DynamicBatcher, type PixelItem } from '../server/batching/dynamic-batcher.js';
import { normalise } from '../server/preprocess/image-preprocessor.js';
import type { BatchInput, ModelRuntime, RunResult } from '../server/runtime/model-runtime.js';
import { OnnxWorkerPool } from '../server/runtime/onnx-worker-pool.js';
import { GOOD_MODELS } from './helpers/paths.js';

const NORMALISATION = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const [H, W] = [48, 64];

function pixels(seed: number): Uint8Array {
  const out = new Uint8Array(H * W * 3);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + seed * 97) % 256;
  return out;
}

/** Records what each run was given; answers one zero row per item. */
class RecordingRuntime implements ModelRuntime {
  readonly device = 'cpu';
  readonly inputs = [];
  readonly outputs = [];
  readonly concurrency = 1;
  readonly seen: BatchInput[] = [];
  private gate?: Promise<void>;
  private open?: () => void;
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open?.();
  }
  async run(_name: string, input: BatchInput, dims: number[]): Promise<RunResult> {
    this.seen.push(input);
    await this.gate;
    this.gate = undefined;
    return { outputs: { y: { data: new Float32Array(dims[0]), dims: [dims[0], 1] } }, inferenceMs: 0 };
  }
  async close() {}
}

describe('image items in batches (bytes to the worker)', () => {
  it('packs images with the same normalisation into one byte batch, in order', async () => {
    const runtime = new RecordingRuntime();
    const batcher = new DynamicBatcher(
      runtime,
      'x',
      [3, H, W],
      { maxBatchSize: 8, maxQueueDelayMs: 0, maxQueueSize: 10 },
      't',
    );
    runtime.hold();
    const blocker = batcher.submit({ pixels: pixels(0), normalisation: NORMALISATION });
    const items: PixelItem[] = [1, 2, 3].map((seed) => ({ pixels: pixels(seed), normalisation: NORMALISATION }));
    const queued = items.map((item) => batcher.submit(item));
    runtime.release();
    await Promise.all([blocker, ...queued]);
    const batch = runtime.seen[1];
    assert.ok(!(batch instanceof Float32Array) && batch.kind === 'rgb8', 'the images went as bytes');
    assert.equal(batch.pixels.length, 3 * H * W * 3);
    items.forEach((item, i) =>
      assert.deepEqual(batch.pixels.subarray(i * H * W * 3, (i + 1) * H * W * 3), item.pixels),
    );
    assert.deepEqual([batch.mean, batch.std], [NORMALISATION.mean, NORMALISATION.std]);
  });

  it('normalises images on the main thread when a batch also holds a tensor request', async () => {
    const runtime = new RecordingRuntime();
    const batcher = new DynamicBatcher(
      runtime,
      'x',
      [3, H, W],
      { maxBatchSize: 8, maxQueueDelayMs: 0, maxQueueSize: 10 },
      't',
    );
    runtime.hold();
    const blocker = batcher.submit(new Float32Array(3 * H * W));
    const tensor = Float32Array.from({ length: 3 * H * W }, (_, i) => i / 1000);
    const image = pixels(5);
    const queued = [batcher.submit(tensor), batcher.submit({ pixels: image, normalisation: NORMALISATION })];
    runtime.release();
    await Promise.all([blocker, ...queued]);
    const batch = runtime.seen[1];
    assert.ok(batch instanceof Float32Array, 'a mixed batch is one float32 tensor');
    assert.deepEqual(batch.subarray(0, 3 * H * W), tensor);
    assert.deepEqual(batch.subarray(3 * H * W), normalise(image, NORMALISATION));
  });

  it("gives the model the same answer from bytes normalised in the worker as from the main thread's tensor", async () => {
    const pool = await OnnxWorkerPool.create({
      modelPath: join(GOOD_MODELS, 'centroid', '1', 'model.onnx'),
      workers: 1,
      intraOpThreads: 1,
      device: { kind: 'cpu' },
      log: pino({ level: 'silent' }),
    });
    try {
      const images = [pixels(1), pixels(2)];
      const bytes = new Uint8Array(2 * H * W * 3);
      images.forEach((image, i) => bytes.set(image, i * H * W * 3));
      const tensor = new Float32Array(2 * 3 * H * W);
      images.forEach((image, i) => tensor.set(normalise(image, NORMALISATION), i * 3 * H * W));
      const dims = [2, 3, H, W];
      const fromBytes = await pool.run('image', { kind: 'rgb8', pixels: bytes, ...NORMALISATION }, dims);
      const fromTensor = await pool.run('image', tensor, dims);
      for (const name of ['logits', 'point']) {
        assert.deepEqual([...fromBytes.outputs[name].data], [...fromTensor.outputs[name].data], name);
      }
    } finally {
      await pool.close();
    }
  });
});
