/** Dynamic batching semantics, against a scripted runtime whose runs finish when the test says so. */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { DynamicBatcher, type BatcherClock, type BatchingOptions } from '../server/batching/dynamic-batcher.js';
import { ServiceError } from '../server/errors.js';
import type { ModelRuntime, RunResult } from '../server/runtime/model-runtime.js';

/** Each run() waits until release() is called; it echoes every item's first value as its output. */
class ScriptedRuntime implements ModelRuntime {
  readonly device = 'cpu';
  readonly inputs = [];
  readonly outputs = [];
  readonly batches: number[][] = [];
  private releases: (() => void)[] = [];
  constructor(readonly concurrency = 1) {}

  private failures: ((error: Error) => void)[] = [];
  run(_name: string, input: Float32Array, dims: number[]): Promise<RunResult> {
    const n = dims[0];
    const itemSize = input.length / n;
    const firsts = Array.from({ length: n }, (_, i) => input[i * itemSize]);
    this.batches.push(firsts);
    return new Promise((resolve, reject) => {
      this.releases.push(() =>
        resolve({ outputs: { echo: { data: Float32Array.from(firsts), dims: [n, 1] } }, inferenceMs: 1 }),
      );
      this.failures.push(reject);
    });
  }
  /** Finishes the oldest running batch. */
  release(): void {
    this.failures.shift();
    this.releases.shift()?.();
  }
  /** Fails the oldest running batch. */
  fail(error: Error): void {
    this.releases.shift();
    this.failures.shift()?.(error);
  }
  get running(): number {
    return this.releases.length;
  }
  async close() {}
}

const item = (value: number) => Float32Array.of(value, 0);
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A clock that moves only when the test says: the batching delay is tested by event order, not by waiting. */
class FakeClock implements BatcherClock {
  private time = 0;
  private timers: { at: number; callback: () => void }[] = [];
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t !== handle);
  };
  /** Moves time forward, firing the timers that fall due on the way. */
  advance(ms: number): void {
    this.time += ms;
    for (const timer of this.timers.filter((t) => t.at <= this.time)) {
      this.clearTimeout(timer);
      timer.callback();
    }
  }
}

function makeBatcher(runtime: ScriptedRuntime, options: Partial<BatchingOptions> = {}, clock?: BatcherClock) {
  return new DynamicBatcher(
    runtime,
    'x',
    [2],
    { maxBatchSize: 4, maxQueueDelayMs: 0, maxQueueSize: 100, ...options },
    'model "t" version 1',
    clock,
  );
}

describe('DynamicBatcher', () => {
  it('sends the first request at once and batches what arrives while the model is busy', async () => {
    const runtime = new ScriptedRuntime();
    const batcher = makeBatcher(runtime);
    const results = [1, 2, 3, 4, 5, 6].map((v) => batcher.submit(item(v)));
    await tick();
    assert.deepEqual(runtime.batches, [[1]]);
    runtime.release();
    await tick();
    assert.deepEqual(runtime.batches, [[1], [2, 3, 4, 5]], 'the largest batch available, capped at maxBatchSize');
    runtime.release();
    await tick();
    runtime.release();
    const done = await Promise.all(results);
    assert.deepEqual(
      done.map((r) => r.outputs.echo[0]),
      [1, 2, 3, 4, 5, 6],
      'each item gets its own output row',
    );
    assert.deepEqual(
      done.map((r) => r.batchSize),
      [1, 4, 4, 4, 4, 1],
    );
    assert.deepEqual(batcher.stats().executions, 3);
    assert.deepEqual(batcher.stats().inferences, 6);
  });

  it('sends a request that finds a session free at once, without waiting maxQueueDelayMs for company', async () => {
    const runtime = new ScriptedRuntime();
    const clock = new FakeClock();
    const batcher = makeBatcher(runtime, { maxQueueDelayMs: 10_000 }, clock);
    const lone = batcher.submit(item(1));
    assert.deepEqual(runtime.batches, [[1]], 'dispatched in the same tick, the clock never moved');
    runtime.release();
    assert.equal((await lone).queueMs, 0);
  });

  it('sends a request at once to a second free session while the first is busy', async () => {
    const runtime = new ScriptedRuntime(2);
    const clock = new FakeClock();
    const batcher = makeBatcher(runtime, { maxQueueDelayMs: 10_000 }, clock);
    const first = batcher.submit(item(1));
    const second = batcher.submit(item(2));
    assert.deepEqual(runtime.batches, [[1], [2]], 'both sessions busy at once, no delay');
    runtime.release();
    runtime.release();
    await Promise.all([first, second]);
  });

  it('under load waits up to maxQueueDelayMs for a fuller batch, and no longer', async () => {
    const runtime = new ScriptedRuntime();
    const clock = new FakeClock();
    const batcher = makeBatcher(runtime, { maxQueueDelayMs: 60 }, clock);
    const blocker = batcher.submit(item(9)); // the only session is busy from now on: the next requests are "load"
    const first = batcher.submit(item(1));
    clock.advance(10);
    const second = batcher.submit(item(2));
    clock.advance(10);
    runtime.release(); // the session is free 20 ms after the oldest queued request arrived
    await blocker;
    clock.advance(39);
    assert.deepEqual(runtime.batches, [[9]], 'nothing more sent 59 ms after the oldest queued request arrived');
    clock.advance(1);
    assert.deepEqual(runtime.batches, [[9], [1, 2]], 'sent when the oldest request has waited 60 ms, with both');
    runtime.release();
    await Promise.all([first, second]);
  });

  it('pads every batch of a fixed-batch model to its size and hands back only the real rows', async () => {
    const runtime = new ScriptedRuntime();
    const batcher = makeBatcher(runtime, { maxBatchSize: 4, fixedBatchSize: 4 });
    const lone = batcher.submit(item(7));
    await tick();
    assert.deepEqual(runtime.batches, [[7, 0, 0, 0]], 'one item padded with three zero items');
    runtime.release();
    const result = await lone;
    assert.deepEqual([...result.outputs.echo], [7]);
    assert.equal(result.batchSize, 1);
  });

  it('sends at once a request that finds the session free, with the queued ones still waiting for the delay', async () => {
    const runtime = new ScriptedRuntime();
    const clock = new FakeClock();
    const batcher = makeBatcher(runtime, { maxQueueDelayMs: 60 }, clock);
    const blocker = batcher.submit(item(9));
    const underLoad = batcher.submit(item(1)); // arrives while the only session is busy: may wait up to 60 ms
    runtime.release();
    await blocker;
    clock.advance(5);
    assert.deepEqual(runtime.batches, [[9]], 'the queued request waits for company');
    const idle = batcher.submit(item(2)); // the session is free now: no wait for this one
    assert.deepEqual(runtime.batches, [[9], [1, 2]], 'sent at once, 5 ms after the first was queued');
    runtime.release();
    await Promise.all([underLoad, idle]);
  });

  it('under load sends a full batch without waiting for the delay', async () => {
    const runtime = new ScriptedRuntime();
    const clock = new FakeClock();
    const batcher = makeBatcher(runtime, { maxQueueDelayMs: 10_000 }, clock);
    const blocker = batcher.submit(item(9));
    const all = [1, 2, 3, 4].map((v) => batcher.submit(item(v)));
    runtime.release();
    await blocker;
    assert.deepEqual(runtime.batches, [[9], [1, 2, 3, 4]], 'the clock never moved');
    runtime.release();
    await Promise.all(all);
  });

  it('runs as many batches at once as the runtime has sessions', async () => {
    const runtime = new ScriptedRuntime(2);
    const batcher = makeBatcher(runtime, { maxBatchSize: 1 });
    const all = [1, 2, 3].map((v) => batcher.submit(item(v)));
    await tick();
    assert.equal(runtime.running, 2);
    runtime.release();
    runtime.release();
    await tick();
    runtime.release();
    await Promise.all(all);
    assert.deepEqual(runtime.batches, [[1], [2], [3]]);
  });

  it('rejects with RESOURCE_EXHAUSTED when the queue is full', async () => {
    const runtime = new ScriptedRuntime();
    const batcher = makeBatcher(runtime, { maxQueueSize: 2, maxBatchSize: 8, maxQueueDelayMs: 10_000 });
    const blocker = batcher.submit(item(9)); // keeps the session busy, so the next two stay queued
    const queued = [batcher.submit(item(1)), batcher.submit(item(2))];
    await assert.rejects(batcher.submit(item(3)), (e: ServiceError) => {
      assert.equal(e.code, status.RESOURCE_EXHAUSTED);
      assert.match(e.message, /model "t" version 1: the queue is full \(2 requests waiting\)/);
      return true;
    });
    assert.equal(batcher.stats().dropped.queueFull, 1);
    batcher.close(new Error('test over'));
    runtime.release();
    await Promise.allSettled([blocker, ...queued]);
  });

  it('drops requests whose deadline passed before they reach the model', async () => {
    const runtime = new ScriptedRuntime();
    const batcher = makeBatcher(runtime);
    const blocker = batcher.submit(item(1)); // occupies the only session
    await tick();
    const late = batcher.submit(item(2), { deadline: Date.now() + 20 });
    const onTime = batcher.submit(item(3));
    await tick(40);
    runtime.release();
    await assert.rejects(late, (e: ServiceError) => e.code === status.DEADLINE_EXCEEDED);
    await tick();
    assert.deepEqual(runtime.batches, [[1], [3]], 'the expired request never ran');
    runtime.release();
    await Promise.all([blocker, onTime]);
    assert.equal(batcher.stats().dropped.deadline, 1);
  });

  it('drops requests whose client cancelled, at once', async () => {
    const runtime = new ScriptedRuntime();
    const batcher = makeBatcher(runtime);
    const blocker = batcher.submit(item(1));
    await tick();
    const controller = new AbortController();
    const cancelledRequest = batcher.submit(item(2), { signal: controller.signal });
    controller.abort();
    await assert.rejects(cancelledRequest, (e: ServiceError) => e.code === status.CANCELLED);
    assert.equal(batcher.stats().queued, 0, 'the cancelled request left the queue');
    runtime.release();
    await blocker;
    await tick();
    assert.deepEqual(runtime.batches, [[1]]);
    assert.equal(batcher.stats().dropped.cancelled, 1);
  });

  it('fails every item of a batch whose run fails, and keeps going', async () => {
    const runtime = new ScriptedRuntime();
    const batcher = makeBatcher(runtime);
    const blocker = batcher.submit(item(1));
    await tick();
    const batch = [2, 3, 4].map((v) => batcher.submit(item(v))); // queued while the runtime is busy
    runtime.release();
    await blocker;
    await tick();
    assert.deepEqual(runtime.batches, [[1], [2, 3, 4]], 'the three ran as one batch');
    runtime.fail(new Error('boom'));
    const outcomes = await Promise.allSettled(batch);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'fulfilled')),
      ['boom', 'boom', 'boom'],
      'every item of the failed batch is failed',
    );
    assert.equal(batcher.stats().inFlight, 0);
    const after = batcher.submit(item(5));
    await tick();
    runtime.release();
    assert.deepEqual([...(await after).outputs.echo], [5], 'the next batch runs');
  });
});
