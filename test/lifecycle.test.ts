/**
 * Shutdown as an operator sees it: a real `luab serve` process, SIGTERM while a batch is inside onnxruntime
 * (the slow analytic model keeps it there for a while). Health turns NOT_SERVING at once and requests are still
 * served during the drain window; in-flight requests are answered; the process exits 0 (never 134, the abort
 * that terminating a worker mid-run used to cause).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { LuabError } from '../client/luab-client.js';
import { discImage } from './helpers/images.js';
import { FIXTURES } from './helpers/paths.js';
import { healthCheck } from './helpers/raw-clients.js';
import { startServeProcess, type ServeProcess } from './helpers/serve-process.js';

const SLOW_MODELS = join(FIXTURES, 'models', 'slow');
/** The next batch to enter onnxruntime (the warm-up batches at start are already past). */
const nextBatch = (p: ServeProcess) => p.nextLog((l) => l.msg === 'batch running');

describe('luab serve shutdown (child process)', function () {
  let image: Buffer;
  let server: ServeProcess | undefined;
  before(async () => {
    image = await discImage(120, 90, [{ cx: 60, cy: 45, r: 20 }]);
  });
  afterEach(() => {
    server?.client.close();
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    server = undefined;
  });

  it('drains: health NOT_SERVING at once while requests still succeed; in-flight answered; exit 0', async () => {
    const p = (server = await startServeProcess([
      '--models',
      SLOW_MODELS,
      '--log-level',
      'debug',
      '--drain-ms',
      '600000',
    ]));
    assert.equal(await healthCheck(p.address, 'luab.v1.Inference/centroid-slow'), 'SERVING');
    const running = nextBatch(p);
    const inFlight = p.client.predict({ image });
    await running;
    const draining = p.nextLog((l) => l.msg.startsWith('draining'));
    p.child.kill('SIGTERM');
    await draining;
    assert.equal(await healthCheck(p.address, ''), 'NOT_SERVING');
    assert.equal(await healthCheck(p.address, 'luab.v1.Inference'), 'NOT_SERVING');
    assert.equal(await healthCheck(p.address, 'luab.v1.Inference/centroid-slow'), 'NOT_SERVING');
    const duringDrain = await p.client.predict({ image });
    assert.equal(duringDrain.model, 'centroid-slow', 'a new request during the drain window is served');
    assert.equal((await inFlight).model, 'centroid-slow', 'the request in flight at SIGTERM is answered');
    p.child.kill('SIGTERM'); // the second signal ends the (long) drain window
    assert.equal(await p.exited, 0);
  });

  it('lets a running batch finish within the grace period, then exits 0', async () => {
    const p = (server = await startServeProcess(['--models', SLOW_MODELS, '--log-level', 'debug', '--drain-ms', '0']));
    const running = nextBatch(p);
    const inFlight = p.client.predict({ image });
    await running;
    p.child.kill('SIGTERM');
    const response = await inFlight;
    assert.equal(response.classes.length, 3);
    assert.equal(await p.exited, 0);
    assert.ok(p.logs.some((l) => l.msg === 'luab server stopped'));
  });

  it('at the end of the grace period answers what is left with UNAVAILABLE and exits 0, not 134', async () => {
    const p = (server = await startServeProcess([
      '--models',
      SLOW_MODELS,
      '--log-level',
      'debug',
      '--drain-ms',
      '0',
      '--shutdown-grace-ms',
      '0',
    ]));
    const started = nextBatch(p);
    const running = p.client.predict({ image });
    await started;
    p.child.kill('SIGTERM');
    await assert.rejects(running, (e: LuabError) => {
      assert.equal(e.code, status.UNAVAILABLE, e.details);
      assert.match(e.details, /shutting down/);
      return true;
    });
    assert.equal(await p.exited, 0);
  });

  it('cancels the requests of a version retired by a reload and still draining, and exits 0', async () => {
    // A copy of the slow model, so the test can replace its model.onnx (a new modification time) under --poll-ms.
    const dir = mkdtempSync(join(tmpdir(), 'luab-retired-'));
    cpSync(join(SLOW_MODELS, 'centroid-slow'), join(dir, 'centroid-slow'), { recursive: true });
    try {
      const p = (server = await startServeProcess([
        '--models',
        dir,
        '--log-level',
        'debug',
        '--workers',
        '1',
        '--poll-ms',
        '50',
        '--drain-ms',
        '0',
        '--shutdown-grace-ms',
        '0',
      ]));
      const started = nextBatch(p);
      // One running (about a second each), five queued behind it: all on version 1's runtime.
      const settled: boolean[] = [];
      const onOldVersion = Array.from({ length: 6 }, (_, i) =>
        p.client
          .predict({ image })
          .then(
            () => 'answered',
            (e: LuabError) => `${status[e.code]}${/shutting down/.test(e.details) ? ' shutting down' : ''}`,
          )
          .finally(() => (settled[i] = true)),
      );
      await started;
      const reloaded = p.nextLog((l) => l.msg === 'model "centroid-slow" reloaded');
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(dir, 'centroid-slow', '1', 'model.onnx'), later, later);
      await reloaded; // the replacement serves; the old runtime drains the requests still on it
      p.child.kill('SIGTERM');
      const left = onOldVersion.map((_, i) => !settled[i]);
      const outcomes = await Promise.all(onOldVersion);
      assert.ok(left.some(Boolean), 'every request was answered before SIGTERM: the test did not test the drain');
      assert.deepEqual(
        outcomes.filter((_, i) => left[i]),
        left.filter(Boolean).map(() => 'UNAVAILABLE shutting down'),
        `outcomes ${JSON.stringify(outcomes)}`,
      );
      assert.equal(await p.exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
