/**
 * The onnxruntime worker pool under faults: a worker that dies, one that cannot be replaced, a failed run, and
 * closing while a batch is inside onnxruntime. The crash cases use a stand-in worker (test/helpers/fault-worker.ts)
 * that fails on command; the close case uses the real worker and the slow analytic model.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { ServiceError, unavailable } from '../server/errors.js';
import { OnnxWorkerPool } from '../server/runtime/onnx-worker-pool.js';
import { FIXTURES } from './helpers/paths.js';

const FAULT_WORKER = new URL('./helpers/fault-worker.js', import.meta.url);
const SLOW_MODEL = join(FIXTURES, 'models', 'slow', 'centroid-slow', '1', 'model.onnx');
const log = pino({ level: 'silent' });

const batch = (first: number, n = 1) => {
  const data = new Float32Array(n * 2);
  data[0] = first;
  for (let i = 1; i < n; i++) data[i * 2] = first + i;
  return data;
};

function faultPool(workers: number, onFailure?: (reason: string) => void) {
  return OnnxWorkerPool.create({
    modelPath: 'fault-worker',
    workers,
    intraOpThreads: 1,
    device: { kind: 'cpu' },
    log,
    label: 'model "f" version 1',
    workerUrl: FAULT_WORKER,
    onFailure,
  });
}

const isUnavailable = (pattern: RegExp) => (e: ServiceError) => {
  assert.ok(e instanceof ServiceError, `a ServiceError, got ${e}`);
  assert.equal(e.code, status.UNAVAILABLE, e.message);
  assert.match(e.message, pattern);
  return true;
};

describe('OnnxWorkerPool faults', () => {
  afterEach(() => delete process.env.LUAB_TEST_WORKER_START);

  it('fails only the batch of a worker that dies, with UNAVAILABLE, and replaces the worker', async () => {
    const pool = await faultPool(1);
    await assert.rejects(pool.run('x', batch(-1), [1, 2]), isUnavailable(/model "f" version 1: .*died/));
    // The next run waits for the replacement and is served by it.
    const result = await pool.run('x', batch(7, 3), [3, 2]);
    assert.deepEqual([...result.outputs.echo.data], [7, 8, 9]);
    assert.equal(pool.failure, undefined);
    await pool.close();
  });

  it('keeps serving on the other worker while one is replaced', async () => {
    const pool = await faultPool(2);
    const [crashed, served] = await Promise.allSettled([
      pool.run('x', batch(-1), [1, 2]),
      pool.run('x', batch(5), [1, 2]),
    ]);
    assert.equal(crashed.status, 'rejected');
    assert.deepEqual(served.status === 'fulfilled' && [...served.value.outputs.echo.data], [5]);
    await pool.close();
  });

  it('turns failed when a dead worker cannot be replaced: waiting and later runs get UNAVAILABLE, no hang', async () => {
    const failures: string[] = [];
    const pool = await faultPool(1, (reason) => failures.push(reason));
    process.env.LUAB_TEST_WORKER_START = 'fail';
    const dying = pool.run('x', batch(-1), [1, 2]);
    const waiting = pool.run('x', batch(2), [1, 2]); // waits for a worker that will never come
    await assert.rejects(dying, isUnavailable(/died/));
    await assert.rejects(waiting, isUnavailable(/not ready \(an inference worker died and could not be replaced/));
    await assert.rejects(pool.run('x', batch(3), [1, 2]), isUnavailable(/told to fail at start/));
    assert.equal(failures.length, 1);
    assert.match(pool.failure ?? '', /could not be replaced: fault-worker: told to fail at start/);
    await pool.close();
  });

  it('answers a failed run (onnxruntime threw) with UNAVAILABLE, not an internal error', async () => {
    const pool = await faultPool(1);
    await assert.rejects(pool.run('x', batch(-3), [1, 2]), isUnavailable(/inference failed .*told to fail/));
    assert.deepEqual([...(await pool.run('x', batch(4), [1, 2])).outputs.echo.data], [4]);
    await pool.close();
  });

  it('answers UNAVAILABLE after close', async () => {
    const pool = await faultPool(1);
    await pool.close();
    await assert.rejects(pool.run('x', batch(1), [1, 2]), isUnavailable(/shutting down/));
  });
});

describe('OnnxWorkerPool close while a batch runs (real onnxruntime)', () => {
  const input = () => new Float32Array(3 * 48 * 64);

  it('waits for the running batch, then releases the session', async () => {
    const pool = await OnnxWorkerPool.create({
      modelPath: SLOW_MODEL,
      workers: 1,
      intraOpThreads: 1,
      device: { kind: 'cpu' },
      log,
    });
    const running = pool.run('image', input(), [1, 3, 48, 64]);
    await pool.close();
    const result = await running;
    assert.deepEqual(result.outputs.point.dims, [1, 2], 'the batch ran to completion');
  });

  it('with cancelRunning, answers the running batch at once and still lets it finish before releasing', async () => {
    const pool = await OnnxWorkerPool.create({
      modelPath: SLOW_MODEL,
      workers: 1,
      intraOpThreads: 1,
      device: { kind: 'cpu' },
      log,
    });
    const running = pool.run('image', input(), [1, 3, 48, 64]);
    const order: string[] = [];
    const answered = running.then(
      () => order.push('resolved'),
      (e: ServiceError) => order.push(`rejected ${e.code}`),
    );
    const closed = pool.close({ cancelRunning: unavailable('the server is shutting down') }).then(() => {
      order.push('closed');
    });
    await Promise.all([answered, closed]);
    assert.deepEqual(order, [`rejected ${status.UNAVAILABLE}`, 'closed']);
  });
});
