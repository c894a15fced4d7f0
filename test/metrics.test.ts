/**
 * /metrics after a known traffic mix (luab.v1 Predict, v2 REST with a four-image batch, failures of several
 * kinds): Triton's counters and LUAB's, checked exactly, and the v2 statistics reporting the same numbers.
 */
import assert from 'node:assert/strict';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Prometheus text → `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) values.set(match[1], Number(match[2]));
  }
  return values;
}

describe('/metrics and statistics', function () {
  let t: TestServer;
  let base: string;
  let metrics: Map<string, number>;
  let stats: Json;
  before(async () => {
    // One worker and no queue delay make the batching deterministic: of four images submitted at once, the first
    // runs alone and the other three wait for it and run as one batch.
    t = await startTestServer({ modelsDir: GOOD_MODELS, httpPort: -1, workers: 1, maxQueueDelayMs: 0 });
    base = `http://127.0.0.1:${t.server.httpPort}`;
    const image = await discImage(120, 90, [{ cx: 30, cy: 30, r: 10 }], 'png');
    const infer = (model: string, body: object) =>
      fetch(`${base}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body) });

    for (let i = 0; i < 3; i++) await t.client.predict({ image, model: 'centroid' });
    const batch = await infer('centroid', {
      inputs: [{ name: 'image', datatype: 'FP32', shape: [4, 3, 48, 64], data: new Array(4 * 3 * 48 * 64).fill(0.1) }],
    });
    assert.equal(batch.status, 200);
    const element = Buffer.alloc(4);
    element.writeUInt32LE(image.length);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'image_bytes', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: image.length + 4 } },
        ],
      }),
    );
    const encoded = await fetch(`${base}/v2/models/centroid/infer`, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(header.length) },
      body: Buffer.concat([header, element, image]),
    });
    assert.equal(encoded.status, 200);
    await assert.rejects(t.client.predict({ image: Buffer.from('not an image'), model: 'centroid' }));
    assert.equal((await infer('no-such-model', { inputs: [] })).status, 404);
    assert.equal(
      (await infer('centroid', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] })).status,
      400,
    );

    metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    stats = (await (await fetch(`${base}/v2/models/centroid/versions/3/stats`)).json()) as Json;
  });
  after(async () => t?.close());

  const v3 = '{model="centroid",version="3"}';

  it("counts requests, images and executions with Triton's names", () => {
    assert.equal(metrics.get(`nv_inference_request_success${v3}`), 5);
    assert.equal(metrics.get(`nv_inference_request_failure${v3}`), 2);
    assert.equal(metrics.get(`nv_inference_count${v3}`), 8);
    // 3 Predict + 2 for the four-image batch (1, then 3) + 1 for the encoded image.
    assert.equal(metrics.get(`nv_inference_exec_count${v3}`), 6);
    assert.equal(metrics.get(`nv_inference_pending_request_count${v3}`), 0);
    assert.ok((metrics.get(`nv_inference_queue_duration_us${v3}`) ?? -1) >= 0);
    assert.ok((metrics.get(`nv_inference_compute_infer_duration_us${v3}`) ?? 0) > 0);
    assert.equal(metrics.get('nv_inference_request_success{model="centroid",version="1"}'), undefined);
  });

  it("counts LUAB's own: rejections by reason, decodes, point outputs, process metrics", () => {
    assert.equal(metrics.get('luab_rejected_requests_total{reason="invalid_argument"}'), 2);
    assert.equal(metrics.get('luab_rejected_requests_total{reason="not_found"}'), 1);
    assert.equal(metrics.get('luab_decode_duration_seconds_count'), 4);
    assert.equal(metrics.get(`luab_point_outputs_total${v3}`), 8);
    assert.ok((metrics.get('process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(metrics.has('nodejs_eventloop_lag_seconds'));
  });

  it('reports the same counters through the v2 statistics', () => {
    const [s] = stats.model_stats as Json[];
    assert.equal(s.inference_count, metrics.get(`nv_inference_count${v3}`));
    assert.equal(s.execution_count, metrics.get(`nv_inference_exec_count${v3}`));
    assert.equal(s.inference_stats.success.count, 5);
    assert.equal(s.inference_stats.fail.count, 2);
    assert.equal(
      Math.round(s.inference_stats.queue.ns / 1000),
      Math.round(metrics.get(`nv_inference_queue_duration_us${v3}`)!),
    );
  });
});
