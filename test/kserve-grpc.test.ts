/**
 * KServe v2 over gRPC (inference.GRPCInferenceService) with PyPI's tritonclient[grpc], a client with its own
 * stubs: metadata, every input form, the outputs, classification, errors, the stream and the repository calls.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { runPeer } from './helpers/peers.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const near = (actual: number[], expected: number[], tolerance: number) =>
  assert.ok(
    actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance),
    `${JSON.stringify(actual)} not within ${tolerance} of ${JSON.stringify(expected)}`,
  );

describe('KServe v2 gRPC with tritonclient', function () {
  let t: TestServer;
  let work: string;
  let out: Json;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    work = mkdtempSync(join(tmpdir(), 'luab-kserve-'));
    const first = join(work, 'a.jpg');
    const second = join(work, 'b.png');
    writeFileSync(first, await discImage(240, 160, [{ cx: 180, cy: 50, r: 14 }], 'jpeg'));
    writeFileSync(second, await discImage(200, 300, [{ cx: 60, cy: 200, r: 20 }], 'png'));
    const { data, info } = await sharp(await discImage(160, 120, [{ cx: 40, cy: 80, r: 12 }], 'png'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    writeFileSync(join(work, 'pixels.rgb'), data);
    // A preprocessed input: black (normalised) except a white block, whose centroid the model returns as the point.
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const tensor = new Float32Array(3 * 48 * 64);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 48 * 64; i++) {
        const [x, y] = [i % 64, Math.floor(i / 64)];
        const white = x >= 40 && x < 50 && y >= 10 && y < 20;
        tensor[c * 3072 + i] = ((white ? 1 : 0) - mean[c]) / std[c];
      }
    }
    writeFileSync(join(work, 'tensor.f32'), Buffer.from(tensor.buffer));
    const fixtures = {
      encoded: [first, second],
      pixels: { path: join(work, 'pixels.rgb'), width: info.width, height: info.height },
      tensor: join(work, 'tensor.f32'),
    };
    writeFileSync(join(work, 'fixtures.json'), JSON.stringify(fixtures));
    out = await runPeer('kserve_grpc_client.py', [t.address, join(work, 'fixtures.json')]);
  });
  after(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers health, server metadata and the repository index', () => {
    assert.equal(out.live, true);
    assert.equal(out.ready, true);
    assert.equal(out.server_metadata.name, 'luab');
    assert.ok(out.server_metadata.extensions.includes('classification'));
    assert.equal(out.model_ready, true);
    assert.equal(out.unknown_model_ready, false);
    const index = (out.index.models as Json[]).map((m) => `${m.name}/${m.version}/${m.state}`);
    assert.ok(index.includes('centroid/1/READY') && index.includes('centroid/3/READY'), index.join(' '));
  });

  it('describes the model: inputs, outputs, config', () => {
    const metadata = out.metadata;
    assert.deepEqual(metadata.versions, ['1', '3']);
    assert.deepEqual(
      (metadata.inputs as Json[]).map((i) => [i.name, i.datatype, i.shape.map(Number)]),
      [
        ['image', 'FP32', [-1, 3, 48, 64]],
        ['image_bytes', 'BYTES', [-1]],
        ['image_pixels', 'UINT8', [-1, -1, -1, 3]],
      ],
    );
    assert.deepEqual(
      (metadata.outputs as Json[]).map((o) => o.name),
      ['logits', 'scores', 'point', 'point_px', 'point_model_input'],
    );
    const config = out.config.config;
    assert.equal(config.name, 'centroid');
    assert.equal(config.max_batch_size, 8);
    assert.equal(config.dynamic_batching.max_queue_delay_microseconds, '1000');
    assert.equal(config.input[0].data_type, 'TYPE_FP32');
    assert.equal(config.input[1].data_type, 'TYPE_STRING');
  });

  it('runs several encoded images in one request and maps the point to each original image', () => {
    const r = out.bytes;
    assert.equal(r.id, 'two-images');
    assert.equal(r.version, '3');
    assert.deepEqual(r.outputs, ['logits', 'scores', 'point', 'point_px', 'point_model_input']);
    assert.equal(r.logits.length, 2);
    assert.equal(r.logits[0].length, 3);
    near(r.point_px[0], [180, 50], 4);
    near(r.point_px[1], [60, 200], 4);
    near(r.point[0], [180 / 240, 50 / 160], 0.02);
    // The model-input point differs from the image point (the crop cut the image), and maps back to it.
    assert.ok(Math.abs(r.point_model_input[0][0] - r.point[0][0]) > 0.01, JSON.stringify(r.point_model_input));
    for (const row of r.scores) assert.ok(Math.abs(row.reduce((a: number, b: number) => a + b) - 1) < 1e-5);
  });

  it('returns the classification extension and only the outputs asked for', () => {
    const c = out.classification;
    assert.deepEqual(c.outputs, ['scores', 'point_px']);
    assert.deepEqual(c.shape, [1, 2]);
    assert.match(c.scores[0], /^0\.\d{6}:\d:(red|green|blue)$/);
    const [best, second] = c.scores.map((s: string) => Number(s.split(':')[0]));
    assert.ok(best >= second);
    near(c.point_px[0], out.bytes.point_px[0], 1e-3);
  });

  it('takes UINT8 pixels and the model FP32 input', () => {
    near(out.pixels[0], [40, 80], 4);
    // Tensor input: the point stays in the tensor's frame; the bright block's centre is (45, 15) of 64 x 48.
    near(out.tensor.point[0], [45 / 64, 15 / 48], 0.01);
    assert.equal(out.tensor.logits[0].length, 3);
  });

  it('fails with gRPC status codes and messages naming the field', () => {
    const e = out.errors;
    assert.equal(e.unknown_model.status, 'StatusCode.NOT_FOUND');
    assert.match(e.unknown_model.message, /^model: no model named "no-such-model"/);
    assert.equal(e.wrong_input.status, 'StatusCode.INVALID_ARGUMENT');
    assert.match(e.wrong_input.message, /^inputs\[0\]\.name: "nope" is not an input of model "centroid"/);
    assert.equal(e.not_an_image.status, 'StatusCode.INVALID_ARGUMENT');
    assert.match(e.not_an_image.message, /^inputs\[0\] element 1: cannot be decoded/);
    assert.equal(e.unknown_output.status, 'StatusCode.INVALID_ARGUMENT');
    assert.match(e.unknown_output.message, /^outputs\[0\]\.name: "x" is not an output/);
  });

  it('answers every request of a stream, a bad one with its own error', () => {
    const byId = new Map<string, Json>();
    for (const r of out.stream as Json[]) byId.set(r.id ?? 'error', r);
    assert.equal((out.stream as Json[]).length, 3);
    assert.equal(byId.get('s1')?.error, null);
    assert.equal(byId.get('s3')?.error, null);
    const failed = (out.stream as Json[]).find((r) => r.error);
    assert.match(failed?.error, /^inputs\[0\] element 0: cannot be decoded/);
  });

  it('reports statistics and loads and unloads models', () => {
    const stats = (out.statistics.model_stats as Json[]).find((s) => s.version === '3');
    assert.ok(stats, JSON.stringify(out.statistics));
    // Successful requests to version 3: two-images, classification, pixels, tensor, s1, s3.
    assert.equal(Number(stats.inference_stats.success.count), 6);
    assert.equal(Number(stats.inference_stats.fail.count), 4);
    assert.equal(out.after_unload, false);
    assert.equal(out.after_load, true);
    assert.equal(out.load_unknown.status, 'StatusCode.NOT_FOUND');
  });
});
