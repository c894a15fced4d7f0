/** Every RPC of luab.v1.Inference, health and reflection, through the real client against a real server. */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { LuabError, ModelVersion_State, type PredictInput } from '../client/luab-client.js';
import { discImage, type Format } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { healthCheck, reflectionListServices } from './helpers/raw-clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import type { ItemResult } from '../server/batching/dynamic-batcher.js';
import type { LoadedVersion } from '../server/model-repository/model-version.js';
import type { RunResult } from '../server/runtime/model-runtime.js';

/** A request as the batcher took it (wrapped: a promise resolved with a promise would wait for it). */
interface Submitted {
  result: Promise<ItemResult>;
}

/** Watches the version's batcher: next() resolves when the next request reaches it (queued or refused). */
function watchSubmits(loaded: LoadedVersion): { next(): Promise<Submitted> } {
  const seen: Submitted[] = [];
  const waiters: ((s: Submitted) => void)[] = [];
  const original = loaded.batcher.submit.bind(loaded.batcher);
  loaded.batcher.submit = (...args) => {
    const result = original(...args);
    result.catch(() => undefined);
    const submitted = { result };
    const waiter = waiters.shift();
    if (waiter) waiter(submitted);
    else seen.push(submitted);
    return result;
  };
  return {
    next: () => {
      const ready = seen.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Holds the version's next run until the returned release() is called; `entered` resolves when it starts. */
function holdNextRun(loaded: LoadedVersion): { entered: Promise<void>; release: () => void } {
  const runtime = loaded.runtime;
  const original = runtime.run.bind(runtime);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  runtime.run = async (...args): Promise<RunResult> => {
    runtime.run = original; // only this one run is held
    entered();
    await gate;
    return original(...args);
  };
  return { entered: enteredPromise, release };
}

describe('luab.v1.Inference', function () {
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    // The server pauses a stream at 4 items in flight; the stream test's client allows 16, so pause/resume is used.
    t = await startTestServer({ modelsDir: GOOD_MODELS, streamMaxInFlight: 4 });
    // Mostly red with some green: the centroid model's "logits" are the channel means.
    image = await discImage(200, 150, [
      { cx: 100, cy: 75, r: 60, colour: '#ff0000' },
      { cx: 100, cy: 75, r: 20, colour: '#00ff00' },
    ]);
  });
  after(async () => t.close());

  describe('Predict', () => {
    for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as Format[]) {
      it(`accepts ${format}`, async () => {
        const encoded = await discImage(160, 120, [{ cx: 50, cy: 40, r: 15 }], format);
        const response = await t.client.predict({ image: encoded });
        assert.equal(response.image?.format, format === 'avif' ? 'heif' : format);
        assert.deepEqual([response.image?.width, response.image?.height], [160, 120]);
      });
    }

    it('serves the default model (the first by name) and its latest version', async () => {
      const response = await t.client.predict({ image, id: 'req-1' });
      assert.equal(response.id, 'req-1');
      assert.equal(response.model, 'centroid');
      assert.equal(response.version, 3);
    });

    it('serves a named version', async () => {
      const response = await t.client.predict({ image, model: 'centroid', version: 1 });
      assert.equal(response.version, 1);
    });

    it('returns classes sorted by score, softmax-normalised, with top_k', async () => {
      const all = await t.client.predict({ image, topK: 3 });
      assert.deepEqual(
        all.classes.map((c) => c.label),
        ['red', 'green', 'blue'],
      );
      const scores = all.classes.map((c) => c.score);
      assert.ok(scores[0] > scores[1] && scores[1] > scores[2], `sorted: ${scores}`);
      assert.ok(Math.abs(scores.reduce((a, b) => a + b) - 1) < 1e-5, 'softmax sums to 1');
      const one = await t.client.predict({ image, topK: 1 });
      assert.deepEqual(
        one.classes.map((c) => c.label),
        ['red'],
      );
      assert.equal(one.classes[0].index, 0);
    });

    it('returns sigmoid scores for a multi-label model', async () => {
      const response = await t.client.predict({ image, model: 'centroid-multi', topK: 3 });
      const scores = response.classes.map((c) => c.score);
      assert.ok(
        scores.every((s) => s >= 0.5 && s < 1),
        `sigmoid of non-negative means: ${scores}`,
      );
      assert.ok(scores.reduce((a, b) => a + b) > 1, 'independent scores, not a distribution');
    });

    it('reports timings and the batch it ran in', async () => {
      const response = await t.client.predict({ image });
      const timings = response.timings!;
      assert.ok(timings.totalMs > 0 && timings.preprocessMs > 0 && timings.inferenceMs > 0);
      assert.ok(timings.totalMs >= timings.preprocessMs);
      assert.ok(timings.batchSize >= 1);
    });

    it('batches requests that arrive while the model is busy, and gives each its own answer', async () => {
      const loaded = t.server.repository.resolve('centroid', 0).loaded;
      const submits = watchSubmits(loaded);
      const held = holdNextRun(loaded);
      const first = t.client.predict({ image });
      await held.entered; // the only worker is now busy with the first request
      const xs = [20, 60, 100, 140, 180];
      const images = await Promise.all(xs.map((cx) => discImage(200, 150, [{ cx, cy: 75, r: 12 }])));
      const rest = images.map((i, n) => t.client.predict({ image: i, id: `x${xs[n]}` }));
      for (let i = 0; i < 1 + xs.length; i++) await submits.next(); // all six are in the batcher
      held.release();
      const [alone, ...batched] = await Promise.all([first, ...rest]);
      assert.equal(alone.timings!.batchSize, 1);
      batched.forEach((r, n) => {
        assert.equal(r.timings!.batchSize, xs.length, 'the five queued requests ran as one batch');
        assert.equal(r.id, `x${xs[n]}`);
        assert.ok(Math.abs(r.point!.xPx - xs[n]) < 2, `request ${n} got its own point: x ${r.point!.xPx}`);
      });
    });
  });

  describe('PredictStream', () => {
    it('answers every item with its id, an error for a bad item, and goes on', async () => {
      const inputs: PredictInput[] = [
        { image, id: 'a' },
        { image: Buffer.from('garbage'), id: 'bad-image' },
        { image, id: 'b', model: 'centroid-multi' },
        { image, id: 'no-model', model: 'missing' },
        { image, id: 'c', topK: 2 },
      ];
      const answers = new Map<string, unknown>();
      for await (const message of t.client.predictStream(inputs)) answers.set(message.id, message.result);
      assert.deepEqual([...answers.keys()].sort(), ['a', 'b', 'bad-image', 'c', 'no-model']);
      const result = (id: string) => answers.get(id) as { $case: string; value: { code?: number; message?: string } };
      assert.equal(result('a').$case, 'response');
      assert.equal(result('b').$case, 'response');
      assert.equal(result('c').$case, 'response');
      assert.equal(result('bad-image').$case, 'error');
      assert.equal(result('bad-image').value.code, status.INVALID_ARGUMENT);
      assert.match(result('bad-image').value.message!, /^image: /);
      assert.equal(result('no-model').value.code, status.NOT_FOUND);
    });

    it('carries many items with bounded in-flight count', async () => {
      // The client keeps 16 items in flight, the server takes 4 (streamMaxInFlight) and pauses the stream: with
      // the first run held, the items past the 4th must not reach the model's queue until answers go out.
      const loaded = t.server.repository.resolve('centroid', 0).loaded;
      const submits = watchSubmits(loaded);
      const held = holdNextRun(loaded);
      const inputs = Array.from({ length: 200 }, (_, i): PredictInput => ({ image, id: `i${i}` }));
      let count = 0;
      const seen = new Set<string>();
      const consumed = (async () => {
        for await (const message of t.client.predictStream(inputs, { maxInFlight: 16 })) {
          count += 1;
          seen.add(message.id);
          assert.equal(message.result?.$case, 'response');
        }
      })();
      await held.entered;
      for (let i = 0; i < 4; i++) await submits.next();
      // Without the server's pause the 5th arrives within milliseconds; with it, never while the run is held.
      const fifth = await Promise.race([
        submits.next().then(() => 'a 5th item reached the queue'),
        new Promise((resolve) => setTimeout(() => resolve('paused'), 500)),
      ]);
      held.release();
      await consumed;
      assert.equal(fifth, 'paused', 'the server paused the stream at streamMaxInFlight');
      assert.equal(count, 200);
      assert.equal(seen.size, 200);
    });
  });

  describe('ListModels and GetModel', () => {
    it('lists the models, versions, state, device and the default', async () => {
      const response = await t.client.listModels();
      assert.equal(response.defaultModel, 'centroid');
      assert.deepEqual(
        response.models.map((m) => m.name),
        ['centroid', 'centroid-multi', 'centroid-squash'],
      );
      const centroid = response.models[0];
      assert.deepEqual(
        centroid.versions.map((v) => v.version),
        [1, 3],
      );
      assert.ok(centroid.versions.every((v) => v.state === ModelVersion_State.STATE_READY && v.device === 'cpu'));
      assert.equal(centroid.latestVersion, 3);
      assert.equal(centroid.task, 'single-label');
      assert.equal(centroid.pointOutput, 'point');
      assert.deepEqual([centroid.inputWidth, centroid.inputHeight], [64, 48]);
      assert.equal(response.models[1].pointOutput, 'points');
    });

    it('gets one model with labels and provenance', async () => {
      const info = await t.client.getModel('centroid-multi');
      assert.equal(info.task, 'multi-label');
      assert.deepEqual(
        info.labels.map((l) => l.name),
        ['red', 'green', 'blue'],
      );
      assert.deepEqual(JSON.parse(info.provenanceJson), { built_by: 'test/fixtures/models/build_fixtures.py' });
    });

    it('gets one version, and NOT_FOUND for a missing one', async () => {
      const info = await t.client.getModel('centroid', 1);
      assert.deepEqual(
        info.versions.map((v) => v.version),
        [1],
      );
      await assert.rejects(
        t.client.getModel('centroid', 7),
        (e: LuabError) => e.code === status.NOT_FOUND && /version/.test(e.details),
      );
      await assert.rejects(
        t.client.getModel('nope'),
        (e: LuabError) => e.code === status.NOT_FOUND && /^name: /.test(e.details),
      );
    });
  });

  describe('health and reflection', () => {
    it('reports SERVING for the server and for luab.v1.Inference', async () => {
      assert.equal(await healthCheck(t.address, ''), 'SERVING');
      assert.equal(await healthCheck(t.address, 'luab.v1.Inference'), 'SERVING');
    });

    it('lists its services through server reflection', async () => {
      const services = await reflectionListServices(t.address);
      assert.ok(services.includes('luab.v1.Inference'), services.join(', '));
      assert.ok(services.includes('grpc.health.v1.Health'), services.join(', '));
    });
  });
});

describe('queue limits and abandoned requests', function () {
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    // One session, held busy by occupySession(), and a long batching delay keep a request that arrives meanwhile
    // waiting in the queue (one that finds the session free runs at once), so the tests can see the queue.
    t = await startTestServer({
      modelsDir: GOOD_MODELS,
      maxQueueSize: 1,
      maxBatchSize: 8,
      maxQueueDelayMs: 700,
      workers: 1,
    });
    image = await discImage(100, 80, [{ cx: 50, cy: 40, r: 10 }]);
    submits = watchSubmits(t.server.repository.resolve('centroid', 0).loaded);
  });
  after(async () => t.close());
  let submits: ReturnType<typeof watchSubmits>;
  const stats = () => t.server.repository.resolve('centroid', 0).loaded.batcher.stats();
  /** Keeps the only session busy with a held request until the returned function releases it. */
  async function occupySession(): Promise<() => Promise<void>> {
    const held = holdNextRun(t.server.repository.resolve('centroid', 0).loaded);
    const blocker = t.client.predict({ image });
    await submits.next();
    await held.entered;
    return async () => {
      held.release();
      await blocker;
    };
  }

  it('answers RESOURCE_EXHAUSTED when the queue is full, and serves the queued request', async () => {
    const release = await occupySession();
    const queued = t.client.predict({ image });
    await submits.next(); // it is in the queue (of one)
    await assert.rejects(
      t.client.predict({ image }),
      (e: LuabError) => e.code === status.RESOURCE_EXHAUSTED && /queue is full/.test(e.details),
    );
    await submits.next(); // the refused one reached the batcher too
    await release();
    const response = await queued;
    assert.equal(response.classes.length, 3);
  });

  it('drops a request whose deadline passes while queued: it never reaches the model', async () => {
    const release = await occupySession();
    const before = stats();
    // The deadline must outlast the decode so that it passes in the queue (the session stays busy until release),
    // even on a loaded machine; 150 ms could run out before the request reached the batcher.
    await assert.rejects(
      t.client.predict({ image }, { timeoutMs: 1000 }),
      (e: LuabError) => e.code === status.DEADLINE_EXCEEDED,
    );
    // Settled on the server's side too: it left the queue (grpc-js cancels the call at the deadline).
    await (await submits.next()).result.catch(() => undefined);
    const after = stats();
    assert.equal(after.inferences, before.inferences, 'no inference ran for it');
    const dropped = (s: typeof before) => s.dropped.deadline + s.dropped.cancelled;
    assert.equal(dropped(after), dropped(before) + 1);
    await release();
  });

  it('drops a request whose client cancels while queued', async () => {
    const release = await occupySession();
    const before = stats();
    const controller = new AbortController();
    const call = t.client.predict({ image }, { signal: controller.signal });
    const queued = (await submits.next()).result;
    controller.abort();
    await assert.rejects(call, (e: LuabError) => e.code === status.CANCELLED);
    await assert.rejects(queued, (e: Error) => /cancelled/.test(e.message), 'it left the queue, cancelled');
    const after = stats();
    assert.equal(after.inferences, before.inferences);
    assert.equal(after.dropped.cancelled, before.dropped.cancelled + 1);
    await release();
  });

  it('logs no internal error for abandoned or refused requests', async () => {
    // Its own abandoned and refused requests, so the test means the same when it runs alone.
    const release = await occupySession();
    const before = stats();
    const controller = new AbortController();
    const call = t.client.predict({ image }, { signal: controller.signal });
    await submits.next();
    const refused = t.client.predict({ image });
    await (await submits.next()).result.catch(() => undefined);
    controller.abort();
    await Promise.allSettled([call, refused]);
    await release();
    assert.equal(stats().dropped.queueFull, before.dropped.queueFull + 1);
    assert.equal(stats().dropped.cancelled, before.dropped.cancelled + 1);
    assert.ok(
      t.logs.some((line) => line.msg === 'luab server listening'),
      `the server's log is captured (${t.logs.length} lines)`,
    );
    const errors = t.logs.filter((line) => line.level >= 50);
    assert.deepEqual(errors, []);
  });
});
