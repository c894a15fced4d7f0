/**
 * The client library against stand-in servers that answer with who they are and count what reaches them, so a
 * test can tell which replica answered and whether anything was sent at all.
 */
import assert from 'node:assert/strict';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { LuabClient, LuabError, type PredictResponse } from '../client/luab-client.js';
import { InferenceService, type InferenceServer } from '../proto/generated/luab/v1/inference.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer } from './helpers/test-server.js';

interface StandIn {
  port: number;
  /** Calls of any method that reached this server. */
  calls: number;
  close(): Promise<void>;
}

/** A luab.v1.Inference server whose every Predict answers with `name` as the model, after `delayMs`. */
async function standIn(name: string, host = 'localhost', delayMs = 0): Promise<StandIn> {
  const server = new Server();
  const state = { calls: 0 };
  const answer = (): PredictResponse => ({
    id: '',
    model: name,
    version: 1,
    classes: [],
    classPoints: [],
    image: undefined,
    point: undefined,
    timings: undefined,
  });
  const implementation: InferenceServer = {
    predict(_call, callback) {
      state.calls += 1;
      setTimeout(() => callback(null, answer()), delayMs);
    },
    predictStream(call) {
      state.calls += 1;
      call.on('data', (request: { id: string }) =>
        setTimeout(() => call.write({ id: request.id, result: { $case: 'response', value: answer() } }), delayMs),
      );
      call.on('end', () => setTimeout(() => call.end(), delayMs + 10));
    },
    listModels(_call, callback) {
      state.calls += 1;
      callback(null, { models: [], defaultModel: name });
    },
    getModel(_call, callback) {
      state.calls += 1;
      callback({ code: status.NOT_FOUND, details: 'none' });
    },
  };
  server.addService(InferenceService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    get calls() {
      return state.calls;
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

describe('client library', function () {
  let a: StandIn;
  let b: StandIn;
  before(async () => {
    a = await standIn('replica-a');
    b = await standIn('replica-b');
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  describe('several addresses', () => {
    it('accepts host names ("localhost:P1,localhost:P2") and spreads calls over both replicas', async () => {
      const client = new LuabClient(`localhost:${a.port},localhost:${b.port}`);
      try {
        const answered = new Set<string>();
        for (let i = 0; i < 20; i += 1) answered.add((await client.predict({ image: Buffer.from('x') })).model);
        assert.deepEqual([...answered].sort(), ['replica-a', 'replica-b']);
      } finally {
        client.close();
      }
    });

    it('accepts an array mixing a host name and an IP address', async () => {
      const client = new LuabClient([`localhost:${a.port}`, `127.0.0.1:${b.port}`]);
      try {
        const answered = new Set<string>();
        for (let i = 0; i < 20; i += 1) answered.add((await client.listModels()).defaultModel);
        assert.deepEqual([...answered].sort(), ['replica-a', 'replica-b']);
      } finally {
        client.close();
      }
    });

    it('a host name that does not resolve fails with UNAVAILABLE naming it', async () => {
      const client = new LuabClient(`localhost:${a.port},no-such-host.invalid:1`);
      try {
        // The resolvable replica still serves.
        assert.equal((await client.listModels({ timeoutMs: 5000 })).defaultModel, 'replica-a');
      } finally {
        client.close();
      }
      const broken = new LuabClient('no-such-host.invalid:1,also-missing.invalid:2');
      try {
        await assert.rejects(broken.listModels({ timeoutMs: 5000 }), (e: LuabError) => {
          assert.equal(e.code, status.UNAVAILABLE);
          assert.match(e.details, /no-such-host\.invalid/);
          return true;
        });
      } finally {
        broken.close();
      }
    });
  });

  describe('an AbortSignal that is already aborted', () => {
    let client: LuabClient;
    before(() => (client = new LuabClient(`localhost:${a.port}`)));
    after(() => client.close());

    it('rejects a unary call at once with CANCELLED and sends nothing', async () => {
      await client.listModels(); // connected, so a sent call would surely arrive
      const before = a.calls;
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        client.predict({ image: Buffer.from('x') }, { signal: controller.signal }),
        (e: LuabError) => {
          assert.ok(e instanceof LuabError);
          assert.equal(e.code, status.CANCELLED);
          return true;
        },
      );
      await assert.rejects(
        client.listModels({ signal: controller.signal }),
        (e: LuabError) => e.code === status.CANCELLED,
      );
      // A call sent after the aborted ones arrives after them on the same connection: when it has been
      // counted, the aborted ones would have been too.
      await client.listModels();
      assert.equal(a.calls, before + 1, 'only the last call reached the server');
    });

    it('rejects a stream at once with CANCELLED and opens no call', async () => {
      await client.listModels();
      const before = a.calls;
      const controller = new AbortController();
      controller.abort();
      const stream = client.predictStream([{ image: Buffer.from('x') }], { signal: controller.signal });
      await assert.rejects(stream.next(), (e: LuabError) => e instanceof LuabError && e.code === status.CANCELLED);
      await client.listModels();
      assert.equal(a.calls, before + 1, 'only the ListModels call reached the server');
    });
  });

  describe('no MaxListenersExceededWarning', () => {
    /** Runs `body` and returns the process warnings it caused. */
    async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
      process.on('warning', onWarning);
      try {
        await body();
        // Warnings are emitted on the next tick: one more turn of the event loop lets any arrive.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      return warnings;
    }

    it('for 30 concurrent calls sharing one AbortSignal', async () => {
      const slow = await standIn('slow', 'localhost', 20);
      const client = new LuabClient(`localhost:${slow.port}`);
      const controller = new AbortController();
      try {
        const warnings = await warningsDuring(async () => {
          const answers = await Promise.all(
            Array.from({ length: 30 }, () =>
              client.predict({ image: Buffer.from('x') }, { signal: controller.signal }),
            ),
          );
          assert.equal(answers.length, 30);
        });
        assert.deepEqual(warnings, []);
        // The shared signal still cancels every call that uses it.
        const pending = Array.from({ length: 12 }, () =>
          client.predict({ image: Buffer.from('x') }, { signal: controller.signal }),
        );
        controller.abort();
        for (const call of pending) await assert.rejects(call, (e: LuabError) => e.code === status.CANCELLED);
      } finally {
        client.close();
        await slow.close();
      }
    });

    it('for a stream with 50 items queued in the server at once', async () => {
      // A long queue delay with a large batch keeps every item of the stream waiting in the batch queue together.
      const t = await startTestServer({ modelsDir: GOOD_MODELS, maxBatchSize: 64, maxQueueDelayMs: 300 });
      const controller = new AbortController();
      try {
        const image = await discImage(120, 90, [{ cx: 60, cy: 45, r: 10 }], 'jpeg');
        const warnings = await warningsDuring(async () => {
          let answers = 0;
          const inputs = Array.from({ length: 50 }, () => ({ image }));
          for await (const message of t.client.predictStream(inputs, { maxInFlight: 50, signal: controller.signal })) {
            assert.equal(message.result?.$case, 'response');
            answers += 1;
          }
          assert.equal(answers, 50);
        });
        assert.deepEqual(warnings, []);
      } finally {
        await t.close();
      }
    });
  });
});
