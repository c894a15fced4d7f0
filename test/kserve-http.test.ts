/**
 * The HTTP port: KServe v2 REST with PyPI's tritonclient[http] (binary tensor data) and with raw requests as curl
 * sends them (JSON tensors, the binary extension by hand, POST /v1/predict with an image body), and its errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('KServe v2 REST and /v1/predict on the HTTP port', function () {
  let t: TestServer;
  let base: string;
  let work: string;
  let image: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS, httpPort: -1 });
    base = `http://127.0.0.1:${t.server.httpPort}`;
    work = mkdtempSync(join(tmpdir(), 'luab-http-'));
    image = await discImage(240, 160, [{ cx: 180, cy: 50, r: 14 }], 'jpeg');
  });
  after(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves tritonclient[http]: health, metadata, config, binary and JSON outputs, errors, repository', async () => {
    const path = join(work, 'a.jpg');
    writeFileSync(path, image);
    const out: Json = await runPeer('kserve_http_client.py', [`127.0.0.1:${t.server.httpPort}`, path]);
    assert.equal(out.live, true);
    assert.equal(out.ready, true);
    assert.equal(out.server_metadata.name, 'luab');
    assert.equal(out.model_ready, true);
    assert.deepEqual(out.metadata.versions, ['1', '3']);
    assert.equal(out.config.max_batch_size, 8);
    assert.equal(out.config.input[1].data_type, 'TYPE_STRING');
    assert.ok((out.index as Json[]).some((m) => m.name === 'centroid' && m.version === '3' && m.state === 'READY'));
    assert.equal(out.binary.id, 'http');
    near(out.binary.point_px[0], [180, 50], 4);
    near(out.binary.point_px[1], [180, 50], 4);
    const outputs = out.json_outputs.outputs as Json[];
    assert.deepEqual(
      outputs.map((o) => o.name),
      ['scores', 'point'],
    );
    assert.equal(outputs[0].datatype, 'BYTES');
    assert.match(outputs[0].data[0], /^0\.\d{6}:\d:(red|green|blue)$/);
    near(outputs[1].data, [180 / 240, 50 / 160], 0.02);
    assert.equal(out.error.status, '404');
    assert.match(out.error.message, /^model: no model named "no-such-model"/);
    const stats = (out.statistics.model_stats as Json[]).find((s) => s.version === '3');
    assert.equal(stats?.inference_stats.success.count, 2);
    assert.equal(out.after_unload, false);
    assert.equal(out.after_load, true);
  });

  it('takes JSON tensors as curl sends them', async () => {
    const data = Array.from({ length: 3 * 48 * 64 }, () => 0.5);
    const response = await fetch(`${base}/v2/models/centroid/versions/1/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        id: 'json',
        inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3, 48, 64], data }],
        outputs: [{ name: 'logits' }, { name: 'point_model_input' }],
      }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Json;
    assert.equal(body.model_version, '1');
    assert.equal(body.id, 'json');
    assert.deepEqual(body.outputs[0].shape, [1, 3]);
    near(body.outputs[1].data, [0.5, 0.5], 1e-3);
    assert.ok(body.parameters.total_ms > 0);
  });

  it('takes and returns binary tensor data with Inference-Header-Content-Length', async () => {
    const element = Buffer.alloc(4);
    element.writeUInt32LE(image.length);
    const binary = Buffer.concat([element, image]);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'image_bytes', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: binary.length } },
        ],
        outputs: [{ name: 'point_px', parameters: { binary_data: true } }],
      }),
    );
    const response = await fetch(`${base}/v2/models/centroid/infer`, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(header.length) },
      body: Buffer.concat([header, binary]),
    });
    assert.equal(response.status, 200);
    const length = Number(response.headers.get('inference-header-content-length'));
    const body = Buffer.from(await response.arrayBuffer());
    const json = JSON.parse(body.subarray(0, length).toString()) as Json;
    assert.equal(json.outputs[0].parameters.binary_data_size, 8);
    const point = new Float32Array(body.subarray(length).buffer.slice(body.byteOffset + length));
    near(Array.from(point), [180, 50], 4);
  });

  it('answers POST /v1/predict with an image body like Predict', async () => {
    const response = await fetch(`${base}/v1/predict?model=centroid&top_k=2`, { method: 'POST', body: image });
    assert.equal(response.status, 200);
    const body = (await response.json()) as Json;
    assert.equal(body.model, 'centroid');
    assert.equal(body.classes.length, 2);
    near([body.point.xPx, body.point.yPx], [180, 50], 4);
    assert.equal(body.image.width, 240);
  });

  it('fails with {"error": ...} and the matching HTTP status', async () => {
    const cases: [string, RequestInit | undefined, number, RegExp][] = [
      ['/v1/predict', { method: 'POST', body: Buffer.from('not an image') }, 400, /^image: cannot be decoded/],
      ['/v1/predict?top_k=x', { method: 'POST', body: image }, 400, /^top_k: must be a non-negative integer/],
      ['/v2/models/nope', undefined, 404, /^name: no model named "nope"/],
      ['/v2/models/centroid/versions/7/config', undefined, 404, /^version: model "centroid" has no version 7/],
      ['/v2/models/centroid/infer', { method: 'POST', body: '{"inputs": 3}' }, 400, /^inputs: must be an array/],
      ['/v2/models/centroid/infer', { method: 'POST', body: '{' }, 400, /^body: is not valid JSON/],
      ['/v2/models/centroid/infer', undefined, 405, /^GET is not allowed/],
      ['/v2/nowhere', undefined, 404, /^no such path/],
      [
        '/v2/models/centroid/infer',
        {
          method: 'POST',
          body: JSON.stringify({ inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
        },
        400,
        /^inputs\[0\]\.shape: input "image" must be \[N, 3, 48, 64\], got \[1, 3\]/,
      ],
    ];
    for (const [path, init, status, message] of cases) {
      const response = await fetch(`${base}${path}`, init);
      assert.equal(response.status, status, path);
      const body = (await response.json()) as Json;
      assert.match(body.error, message, path);
    }
  });

  it('serves the page and its files, offline (no external URL)', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /<script src="app\.js"/);
    for (const file of ['app.js', 'style.css']) {
      const response = await fetch(`${base}/${file}`);
      assert.equal(response.status, 200, file);
      // The SVG namespace is a name, not something loaded.
      assert.doesNotMatch(await response.text(), /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, `${file} loads nothing`);
    }
    assert.doesNotMatch(html, /(src|href)="https?:/);
  });
});
