/**
 * Readiness and liveness through the drain window: from the first SIGTERM on (shutdown(), with a long --drain-ms)
 * every readiness endpoint says not ready, the gRPC health service, KServe v2 ServerReady/ModelReady and REST
 * /v2/health/ready, /v2/models/<m>/ready, while requests are still served; the liveness endpoints (health name
 * `liveness`, /v2/health/live) stay up, also when no model is ready, so a liveness probe never restarts a pod
 * that is draining or waiting for a model.
 */
import assert from 'node:assert/strict';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceServiceClient } from '../proto/generated/inference/grpc_service.js';
import { LIVENESS_HEALTH_NAME } from '../server/grpc/grpc-server.js';
import { discImage } from './helpers/images.js';
import { BAD_MODELS, GOOD_MODELS } from './helpers/paths.js';
import { healthCheck } from './helpers/raw-clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

type Kserve = InstanceType<typeof GRPCInferenceServiceClient>;
const kserveReady = (client: Kserve, method: 'serverReady' | 'modelReady', request: object) =>
  new Promise<boolean>((resolve, reject) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (client[method] as any)(request, (error: ServiceError | null, response: { ready: boolean }) =>
      error ? reject(error) : resolve(response.ready),
    ),
  );

/** Every readiness and liveness answer of a server, in one object, so a test compares them all at once. */
async function probes(t: TestServer, client: Kserve, model: string) {
  const http = (path: string) => fetch(`http://127.0.0.1:${t.server.httpPort}${path}`).then((r) => r.status);
  return {
    healthOverall: await healthCheck(t.address, ''),
    healthModel: await healthCheck(t.address, `luab.v1.Inference/${model}`),
    healthLiveness: await healthCheck(t.address, LIVENESS_HEALTH_NAME),
    kserveServerReady: await kserveReady(client, 'serverReady', {}),
    kserveModelReady: await kserveReady(client, 'modelReady', { name: model, version: '' }),
    restReady: await http('/v2/health/ready'),
    restModelReady: await http(`/v2/models/${model}/ready`),
    restLive: await http('/v2/health/live'),
  };
}

describe('readiness during the drain window, liveness throughout', function () {
  let t: TestServer | undefined;
  let client: Kserve | undefined;
  afterEach(async () => {
    client?.close();
    t?.server.cancel();
    await t?.close();
    t = client = undefined;
  });

  it('says not ready everywhere from the first signal on, while requests are served and liveness stays up', async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS, httpPort: -1 });
    client = new GRPCInferenceServiceClient(t.address, credentials.createInsecure());
    assert.deepEqual(await probes(t, client, 'centroid'), {
      healthOverall: 'SERVING',
      healthModel: 'SERVING',
      healthLiveness: 'SERVING',
      kserveServerReady: true,
      kserveModelReady: true,
      restReady: 200,
      restModelReady: 200,
      restLive: 200,
    });
    const stopped = t.server.shutdown({ drainMs: 600_000 });
    assert.deepEqual(await probes(t, client, 'centroid'), {
      healthOverall: 'NOT_SERVING',
      healthModel: 'NOT_SERVING',
      healthLiveness: 'SERVING',
      kserveServerReady: false,
      kserveModelReady: false,
      restReady: 503,
      restModelReady: 503,
      restLive: 200,
    });
    const image = await discImage(64, 48, [{ cx: 20, cy: 20, r: 8 }]);
    assert.equal((await t.client.predict({ image, model: 'centroid' })).model, 'centroid', 'still served');
    t.server.cancel(); // the second signal: ends the drain window
    await stopped;
  });

  it('keeps liveness SERVING when a model is not ready (its readiness NOT_SERVING)', async () => {
    t = await startTestServer({ modelsDir: BAD_MODELS, httpPort: -1 });
    client = new GRPCInferenceServiceClient(t.address, credentials.createInsecure());
    const seen = await probes(t, client, 'corrupt-onnx');
    assert.equal(seen.healthModel, 'NOT_SERVING');
    assert.equal(seen.kserveModelReady, false);
    assert.equal(seen.restModelReady, 503);
    assert.equal(seen.healthLiveness, 'SERVING');
    assert.equal(seen.restLive, 200);
  });
});
