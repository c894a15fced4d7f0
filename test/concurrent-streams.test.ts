/**
 * `--max-concurrent-streams` (grpc.max_concurrent_streams): the server advertises it in its HTTP/2 SETTINGS, and
 * a client connection holding that many calls open makes the next call wait (grpc-js queues it on the client)
 * until one of them ends. The same calls against a server with a higher limit show the waiting is the limit's.
 */
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session } from 'node:http2';
import { join } from 'node:path';
import { discImage } from './helpers/images.js';
import { FIXTURES } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const SLOW_MODELS = join(FIXTURES, 'models', 'slow');

/** The SETTINGS_MAX_CONCURRENT_STREAMS the server sends on a new HTTP/2 connection. */
async function advertisedLimit(address: string): Promise<number | undefined> {
  const session: ClientHttp2Session = connect(`http://${address}`);
  try {
    const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
      session.once('remoteSettings', resolve);
      session.once('error', reject);
    });
    return settings.maxConcurrentStreams;
  } finally {
    session.close();
  }
}

/**
 * Two slow Predict calls (about a second each in onnxruntime) and then a cheap GetModel, all on one client
 * connection: the order in which they finish. Either Predict may finish first (their images decode in parallel),
 * so both are named `predict`.
 */
async function finishingOrder(t: TestServer, image: Buffer): Promise<string[]> {
  const order: string[] = [];
  const slow = [0, 1].map(() => t.client.predict({ image }).then(() => void order.push('predict')));
  await t.client.waitForReady(5000);
  const cheap = t.client.getModel('centroid-slow').then(() => void order.push('getModel'));
  await Promise.all([...slow, cheap]);
  return order;
}

describe('--max-concurrent-streams', function () {
  let t: TestServer | undefined;
  let image: Buffer;
  before(async () => (image = await discImage(120, 90, [{ cx: 60, cy: 45, r: 20 }])));
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('advertises the limit and makes a call beyond it wait for one to end', async () => {
    t = await startTestServer({ modelsDir: SLOW_MODELS, workers: 1, maxConcurrentStreams: 2 });
    assert.equal(await advertisedLimit(t.address), 2);
    // GetModel waits until the first Predict ends and its stream is free, then runs before the second one ends.
    assert.deepEqual(await finishingOrder(t, image), ['predict', 'getModel', 'predict']);
  });

  it('lets the same third call through at once when the limit is higher (the control)', async () => {
    t = await startTestServer({ modelsDir: SLOW_MODELS, workers: 1, maxConcurrentStreams: 3 });
    assert.equal(await advertisedLimit(t.address), 3);
    assert.deepEqual(await finishingOrder(t, image), ['getModel', 'predict', 'predict']);
  });
});
