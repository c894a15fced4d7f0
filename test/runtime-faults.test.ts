/**
 * The server around its runtime, under faults: a worker that dies is replaced while the model keeps serving; one
 * that cannot be replaced makes the model not ready (health per model, GetModel, UNAVAILABLE at once); fixed-batch
 * models load and are given padded batches; admission limits answer RESOURCE_EXHAUSTED before any decode; a request
 * waiting for a decode slot leaves when cancelled or out of time; model points are clamped and NaN-checked.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { LuabError } from '../client/luab-client.js';
import { CLIENT_STREAM_WINDOW, defaultAdmittedLimit } from '../server/admission/admission-control.js';
import { DEFAULTS } from '../server/config.js';
import { ServiceError } from '../server/errors.js';
import { modelHealthName } from '../server/grpc/grpc-server.js';
import type { CallContext } from '../server/predictor.js';
import { Predictor } from '../server/predictor.js';
import type { OnnxWorkerPool } from '../server/runtime/onnx-worker-pool.js';
import { ModelVersion_State, type PredictRequest } from '../proto/generated/luab/v1/inference.js';
import { discImage } from './helpers/images.js';
import { FIXTURES, GOOD_MODELS } from './helpers/paths.js';
import { healthCheck } from './helpers/raw-clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const MODELS = join(FIXTURES, 'models');

function tempRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'luab-faults-'));
  cpSync(join(GOOD_MODELS, 'centroid', 'config.json'), join(dir, 'centroid', 'config.json'));
  cpSync(join(GOOD_MODELS, 'centroid', '1'), join(dir, 'centroid', '1'), { recursive: true });
  return dir;
}

const poolOf = (t: TestServer) => t.server.repository.resolve('centroid', 0).loaded.runtime as OnnxWorkerPool;

describe('worker faults through the server', function () {
  let dir: string;
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    dir = tempRepository();
    t = await startTestServer({ modelsDir: dir, workers: 1 });
    image = await discImage(100, 80, [{ cx: 30, cy: 40, r: 12 }]);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces a worker that died; the model keeps serving and stays SERVING', async () => {
    // An idle worker: terminating it is a crash as the pool sees one, without a native run to interrupt.
    await poolOf(t).workerThreads()[0].terminate();
    const response = await t.client.predict({ image });
    assert.equal(response.model, 'centroid');
    assert.equal(await healthCheck(t.address, modelHealthName('centroid')), 'SERVING');
  });

  it('turns the model not ready when a dead worker cannot be replaced: health, GetModel, UNAVAILABLE at once', async () => {
    writeFileSync(join(dir, 'centroid', '1', 'model.onnx'), 'no longer a model'); // the replacement fails to load
    const changed = new Promise<void>((resolve) => t.server.repository.onReadinessChange(resolve));
    await poolOf(t).workerThreads()[0].terminate();
    await changed;
    assert.equal(await healthCheck(t.address, modelHealthName('centroid')), 'NOT_SERVING');
    assert.equal(await healthCheck(t.address, ''), 'NOT_SERVING', 'no model left that can serve');
    const info = await t.client.getModel('centroid');
    assert.equal(info.versions[0].state, ModelVersion_State.STATE_FAILED);
    assert.match(info.versions[0].error, /could not be replaced/);
    await assert.rejects(t.client.predict({ image }), (e: LuabError) => {
      assert.equal(e.code, status.UNAVAILABLE, e.details);
      assert.match(e.details, /no version ready .*could not be replaced/);
      return true;
    });
  });
});

describe('a model with a fixed batch dimension (4)', function () {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ modelsDir: join(MODELS, 'fixed-batch') });
  });
  after(async () => t.close());

  it('loads, pads a lone request to a full batch, and gives every item of a batch its own answer', async () => {
    const info = await t.client.getModel('centroid-b4');
    assert.equal(info.versions[0].state, ModelVersion_State.STATE_READY, info.versions[0].error);
    const lone = await t.client.predict({ image: await discImage(64, 48, [{ cx: 16, cy: 24, r: 6 }]) });
    assert.ok(Math.abs(lone.point!.xPx - 16) < 1.5, `x ${lone.point!.xPx}`);
    // Six requests: a padded batch is dispatched however the six are split; each answer must be its own disc.
    const xs = [8, 16, 24, 32, 40, 48];
    const images = await Promise.all(xs.map((cx) => discImage(64, 48, [{ cx, cy: 24, r: 5 }])));
    const responses = await Promise.all(images.map((image) => t.client.predict({ image })));
    responses.forEach((r, i) => assert.ok(Math.abs(r.point!.xPx - xs[i]) < 1.5, `item ${i}: x ${r.point!.xPx}`));
  });
});

describe('admission control before decoding', function () {
  let t: TestServer;
  let image: Buffer;
  const request = (extra: Partial<PredictRequest> = {}): PredictRequest => ({
    id: '',
    model: 'centroid',
    version: 0,
    topK: 0,
    resizePolicy: 0,
    input: { $case: 'image', value: image },
    ...extra,
  });
  const context = (signal = new AbortController().signal, deadline = Infinity): CallContext => ({ signal, deadline });
  before(async () => {
    // A long batching delay keeps admitted requests waiting in the queue until the test lets them go.
    t = await startTestServer({ modelsDir: GOOD_MODELS, maxBatchSize: 8, maxQueueDelayMs: 60_000 });
    image = await discImage(100, 80, [{ cx: 50, cy: 40, r: 10 }]);
  });
  after(async () => t.close());
  const predictor = (overrides: Partial<typeof DEFAULTS>) =>
    new Predictor(t.server.repository, { ...DEFAULTS, device: { kind: 'cpu' }, ...overrides });
  const exhausted = (pattern: RegExp) => (e: ServiceError) => {
    assert.equal(e.code, status.RESOURCE_EXHAUSTED, e.message);
    assert.match(e.message, pattern);
    return true;
  };
  // The admitted requests of a test are let go by cancelling them, at whatever stage they have reached.
  let abandon: AbortController;
  beforeEach(() => (abandon = new AbortController()));
  const held = () => context(abandon.signal);
  const releaseQueue = () => abandon.abort(new ServiceError(status.CANCELLED, 'test over'));

  it('answers RESOURCE_EXHAUSTED naming --max-admitted-per-model once a model has that many admitted', async () => {
    const p = predictor({ maxAdmittedPerModel: 2 });
    const admitted = [p.predict(request(), held()), p.predict(request(), held())];
    await assert.rejects(
      p.predict(request(), context()),
      exhausted(/model "centroid": 2 requests .*--max-admitted-per-model/),
    );
    // Another model has its own bound.
    const other = p.predict(request({ model: 'centroid-multi' }), held());
    assert.deepEqual(p.admission.stats().perModel, { centroid: 2, 'centroid-multi': 1 });
    releaseQueue();
    await Promise.allSettled([...admitted, other]);
    assert.deepEqual(p.admission.stats(), { bytes: 0, perModel: {} }, 'every admission given back');
  });

  it('by default admits max(64, decode slots + 2 x sessions x max batch size) per model, then refuses', async () => {
    const p = predictor({ preprocessConcurrency: 1 });
    const { loaded } = t.server.repository.resolve('centroid', 0);
    // The test server's --max-batch-size 8: one full batch running and one waiting per session, and the one decoder;
    // below the client's default stream window (64), which is the floor.
    const limit = Math.max(CLIENT_STREAM_WINDOW, 1 + 2 * loaded.runtime.concurrency * 8);
    assert.equal(p.admittedLimit(loaded), limit);
    const admitted = Array.from({ length: limit }, () => p.predict(request(), held()));
    await assert.rejects(
      p.predict(request(), context()),
      exhausted(new RegExp(`model "centroid": ${limit} requests .*--max-admitted-per-model`)),
    );
    releaseQueue();
    await Promise.allSettled(admitted);
    assert.deepEqual(p.admission.stats(), { bytes: 0, perModel: {} });
  });

  it('keeps the default bound within what the version can hold: a small --max-queue-size lowers it', () => {
    assert.equal(defaultAdmittedLimit({ maxQueueSize: 1024, maxBatchSize: 32 }, 1, 2), 2 + 2 * 32);
    assert.equal(defaultAdmittedLimit({ maxQueueSize: 1024, maxBatchSize: 32 }, 3, 2), 2 + 2 * 3 * 32);
    assert.equal(defaultAdmittedLimit({ maxQueueSize: 4, maxBatchSize: 32 }, 1, 2), 4 + 32 + 2);
    // Never below one default client stream's window, unless the version cannot hold that many.
    assert.equal(defaultAdmittedLimit({ maxQueueSize: 1024, maxBatchSize: 8 }, 1, 2), CLIENT_STREAM_WINDOW);
    assert.equal(defaultAdmittedLimit({ maxQueueSize: 4, maxBatchSize: 8 }, 1, 1), 4 + 8 + 1);
    // An explicit --max-admitted-per-model wins over the formula.
    const { loaded } = t.server.repository.resolve('centroid', 0);
    assert.equal(predictor({ maxAdmittedPerModel: 500 }).admittedLimit(loaded), 500);
  });

  it('answers RESOURCE_EXHAUSTED naming --max-request-memory-bytes past the memory budget', async () => {
    const p = predictor({ maxRequestMemoryBytes: image.length + 10 });
    const first = p.predict(request(), held());
    await assert.rejects(p.predict(request(), context()), exhausted(/memory budget .*--max-request-memory-bytes/));
    releaseQueue();
    await Promise.allSettled([first]);
    assert.equal(p.admission.stats().bytes, 0);
  });

  it('a request waiting for a decode slot leaves at once when cancelled, and when its deadline passes', async () => {
    const p = predictor({ preprocessConcurrency: 1 });
    const giveBack = await p.decodeSlots.acquire(new AbortController().signal); // the only slot, held
    const controller = new AbortController();
    const cancelled = p.predict(request(), context(controller.signal));
    const late = p.predict(request(), context(undefined, Date.now() + 30));
    assert.equal(p.decodeSlots.waiting, 2);
    controller.abort(new ServiceError(status.CANCELLED, 'request cancelled by the client'));
    await assert.rejects(cancelled, (e: ServiceError) => e.code === status.CANCELLED);
    await assert.rejects(late, (e: ServiceError) => e.code === status.DEADLINE_EXCEEDED && /decoded/.test(e.message));
    assert.equal(p.decodeSlots.waiting, 0, 'both left the wait');
    assert.deepEqual(p.admission.stats(), { bytes: 0, perModel: {} });
    giveBack();
  });
});

describe('model points are clamped and NaN-checked before mapping', function () {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ modelsDir: join(MODELS, 'wild-point') });
  });
  after(async () => t.close());

  it('clamps a point outside the model input to its edge', async () => {
    // Centroid at u ~ 0.75 (right half, but left of the crop edge): the model says x = 4 u - 1.5 ~ 1.5.
    const image = await discImage(96, 64, [{ cx: 70, cy: 32, r: 6 }]);
    const response = await t.client.predict({ image });
    const point = response.point!;
    assert.ok(point, 'a point');
    assert.ok(Number.isFinite(point.x) && Number.isFinite(point.y), JSON.stringify(point));
    assert.ok(point.x >= 0 && point.x <= 1 && point.xPx >= 0 && point.xPx <= 96, `clamped: ${JSON.stringify(point)}`);
  });

  it('leaves out a NaN point instead of mapping it', async () => {
    const image = await discImage(96, 64, [{ cx: 20, cy: 32, r: 6 }]); // u < 0.6: y = sqrt(u - 0.6) is NaN
    const response = await t.client.predict({ image });
    assert.equal(response.point, undefined, JSON.stringify(response.point));
    assert.equal(response.classes.length, 3, 'the classes are still answered');
  });
});
