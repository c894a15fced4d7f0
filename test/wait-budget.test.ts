/**
 * Latency-based admission (--max-queue-wait-ms): a request whose expected wait (requests admitted ahead / the
 * model's service rate measured while saturated) exceeds the budget is refused with RESOURCE_EXHAUSTED before any
 * decode. The decisions are checked exactly with an injected clock; one test goes through a real server.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import type { LuabError } from '../client/luab-client.js';
import { AdmissionControl, type ModelLimits } from '../server/admission/admission-control.js';
import { RATE_WINDOW, ServiceRate } from '../server/admission/service-rate.js';
import { resolveServerConfig } from '../server/config.js';
import type { ServiceError } from '../server/errors.js';
import { waitUntil } from './helpers/eval-helpers.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** A clock the test moves by hand. */
function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('the service rate a wait budget divides by', function () {
  it('counts departures over saturated time only, weighted towards the recent ones', () => {
    const clock = manualClock();
    const rate = new ServiceRate(clock.now);
    assert.equal(rate.perSecond(), undefined, 'nothing seen yet');
    // Saturated at 2 admitted: two arrive, one leaves 10 ms later.
    rate.change(0, 2, false);
    rate.change(1, 2, false);
    clock.advance(10);
    rate.change(2, 2, true);
    assert.equal(rate.perSecond(), 100);
    // One admitted (not saturated) for a second, then it leaves: neither the time nor the departure counts.
    clock.advance(1000);
    rate.change(1, 2, true);
    assert.equal(rate.perSecond(), 100);
    // Saturated again: 5 ms per departure now, the older sample weighed down by (1 - 1/window).
    rate.change(0, 2, false);
    rate.change(1, 2, false);
    rate.change(2, 2, false);
    clock.advance(5);
    rate.change(3, 2, true);
    const d = 1 - 1 / RATE_WINDOW;
    assert.equal(rate.perSecond(), (1000 * (d + 1)) / (10 * d + 5));
  });
});

describe('the service rate: requests that leave unanswered', function () {
  it('are not counted as work done, while their saturated time is', () => {
    const clock = manualClock();
    const control = new AdmissionControl(1 << 30, clock.now);
    const limits = { maxAdmitted: 100, maxWaitMs: 0, saturatedAt: 1 };
    const a = control.admit('m', 1, limits);
    const b = control.admit('m', 1, limits);
    clock.advance(10);
    a.release(false); // failed or cancelled: 10 ms of saturated time, no answer
    assert.equal(control.expectedWaitMs('m'), undefined, 'no answer seen yet');
    clock.advance(10);
    b.release(); // answered: one answer behind 20 ms
    assert.equal(control.expectedWaitMs('m', 1), 20);
  });
});

describe('admission with a wait budget (injected clock)', function () {
  const limits = (over: Partial<ModelLimits> = {}): ModelLimits => ({
    maxAdmitted: 100,
    maxWaitMs: 50,
    saturatedAt: 1,
    ...over,
  });
  const exhausted = (pattern: RegExp) => (e: ServiceError) => {
    assert.equal(e.code, status.RESOURCE_EXHAUSTED, e.message);
    assert.match(e.message, pattern);
    return true;
  };
  /** An admission control whose model "m" was measured at 100 requests per second (one per 10 ms, saturated). */
  function measured() {
    const clock = manualClock();
    const control = new AdmissionControl(1 << 30, clock.now);
    const first = control.admit('m', 1, limits());
    clock.advance(10);
    first.release();
    assert.equal(control.expectedWaitMs('m', 1), 10);
    return control;
  }

  it('admits while nothing was measured yet, whatever the budget', () => {
    const control = new AdmissionControl(1 << 30, manualClock().now);
    for (let i = 0; i < 20; i += 1) control.admit('m', 1, limits({ maxWaitMs: 1 }));
    assert.equal(control.stats().perModel.m, 20);
  });

  it('refuses exactly when admitted ahead / rate exceeds the budget, naming the limit and the estimate', () => {
    const control = measured();
    // Ahead 0..5 at 10 ms each: 0..50 ms, within a budget of 50 ms.
    for (let ahead = 0; ahead <= 5; ahead += 1) control.admit('m', 1, limits());
    assert.throws(
      () => control.admit('m', 1, limits()),
      exhausted(
        /^model "m": expected wait 60 ms \(6 requests admitted ahead at 100\.0 per second\) exceeds the budget of 50 ms \(--max-queue-wait-ms\); retry later$/,
      ),
    );
    assert.equal(control.stats().perModel.m, 6, 'the refused request took no place');
    // Another model has its own rate (none yet) and is not refused.
    control.admit('other', 1, limits({ maxWaitMs: 1 }));
  });

  it('with the budget off (0) admits up to the count bound as before, which stays the hard cap', () => {
    const control = measured();
    for (let i = 0; i < 10; i += 1) control.admit('m', 1, limits({ maxWaitMs: 0, maxAdmitted: 10 }));
    assert.throws(
      () => control.admit('m', 1, limits({ maxWaitMs: 0, maxAdmitted: 10 })),
      exhausted(/10 requests are already admitted .*--max-admitted-per-model/),
    );
    // A budget that would allow more does not lift the count bound.
    assert.throws(
      () => control.admit('m', 1, limits({ maxWaitMs: 1_000_000, maxAdmitted: 10 })),
      exhausted(/--max-admitted-per-model/),
    );
  });

  it('is read from --max-queue-wait-ms or LUAB_MAX_QUEUE_WAIT_MS, default 0 (off)', () => {
    assert.equal(resolveServerConfig({}, {}).maxQueueWaitMs, 0);
    assert.equal(resolveServerConfig({}, { LUAB_MAX_QUEUE_WAIT_MS: '25' }).maxQueueWaitMs, 25);
    assert.equal(resolveServerConfig({ maxQueueWaitMs: '40' }, { LUAB_MAX_QUEUE_WAIT_MS: '25' }).maxQueueWaitMs, 40);
  });
});

describe('a wait budget through a real server', function () {
  let image: Buffer;
  before(async () => {
    image = await discImage(100, 80, [{ cx: 50, cy: 40, r: 10 }]);
  });

  /**
   * Gives model "centroid" a measured service rate of at most 60 per second, then sends two requests while the one
   * decode slot is held by the test: the first has nothing ahead of it, the second has the first ahead, so an
   * expected wait of at least 1000 / 60 = 16.7 ms. Returns how the second ended.
   *
   * The rate: `saturatedAt + 2` requests are held waiting for the slot for 50 ms, then let go; the three answered
   * while at least `saturatedAt` were admitted are all that count, behind at least those 50 ms of saturated time.
   */
  async function secondBehindFirst(t: TestServer) {
    const predictor = t.server.predictor;
    const { loaded } = t.server.repository.resolve('centroid', 0);
    const held = predictor.admissionLimits(loaded).saturatedAt + 2;
    const admitted = () => predictor.admission.stats().perModel.centroid ?? 0;
    const hold = () => predictor.decodeSlots.acquire(new AbortController().signal);

    let giveBack = await hold();
    const calls = Array.from({ length: held }, () => t.client.predict({ image }));
    await waitUntil(() => admitted() === held, `${held} requests admitted`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    giveBack();
    await Promise.all(calls);
    assert.ok(predictor.admission.expectedWaitMs('centroid', 1)! >= 1000 / 60, 'a rate of at most 60 per second');

    giveBack = await hold();
    const first = t.client.predict({ image });
    await waitUntil(() => admitted() === 1, 'the first request admitted');
    let settled = false;
    const second = t.client.predict({ image }).then(
      (response) => ({ ok: true as const, response }),
      (error: LuabError) => ({ ok: false as const, error }),
    );
    void second.finally(() => (settled = true));
    // Refused at once, or admitted (then waiting for the slot): either is seen before the slot is given back.
    await waitUntil(() => settled || admitted() === 2, 'the second request refused or admitted');
    giveBack();
    assert.equal((await first).model, 'centroid', 'nothing ahead: admitted whatever the budget');
    return second;
  }

  it('refuses a request whose expected wait exceeds --max-queue-wait-ms with RESOURCE_EXHAUSTED', async () => {
    const t = await startTestServer({ modelsDir: GOOD_MODELS, preprocessConcurrency: 1, maxQueueWaitMs: 5 });
    try {
      const extra = await secondBehindFirst(t);
      assert.equal(extra.ok, false, 'the second request must be refused');
      const error = (extra as { error: LuabError }).error;
      assert.equal(error.code, status.RESOURCE_EXHAUSTED, error.details);
      assert.match(
        error.details,
        /^model "centroid": expected wait \d+ ms \(\d+ requests admitted ahead at [\d.]+ per second\) exceeds the budget of 5 ms \(--max-queue-wait-ms\); retry later$/,
      );
    } finally {
      await t.close();
    }
  });

  it('with the budget off (the default) admits the same request and answers it', async () => {
    const t = await startTestServer({ modelsDir: GOOD_MODELS, preprocessConcurrency: 1 });
    try {
      const extra = await secondBehindFirst(t);
      assert.ok(extra.ok, extra.ok ? '' : extra.error.details);
      assert.equal(extra.response.model, 'centroid');
    } finally {
      await t.close();
    }
  });
});
