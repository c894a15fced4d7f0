/**
 * The KServe v2 repository extension: a reload during traffic answers every request (the old version drains
 * first), a reload that fails keeps the old version serving, and an unloaded model answers UNAVAILABLE.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { GRPCInferenceServiceClient, type ModelInferRequest } from '../proto/generated/inference/grpc_service.js';
import { serializeBytesElements } from '../server/kserve/tensor-data.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('KServe v2 repository load and unload', function () {
  let t: TestServer;
  let work: string;
  let client: InstanceType<typeof GRPCInferenceServiceClient>;
  let jpeg: Buffer;
  before(async () => {
    jpeg = await discImage(640, 480, [{ cx: 100, cy: 100, r: 30 }], 'jpeg');
    work = mkdtempSync(join(tmpdir(), 'luab-repo-'));
    cpSync(join(GOOD_MODELS, 'centroid'), join(work, 'centroid'), { recursive: true });
    // Requests wait up to 200 ms for a fuller batch, so some are always queued when the new version takes over.
    t = await startTestServer({ modelsDir: work, workers: 1, maxBatchSize: 64, maxQueueDelayMs: 200 });
    client = new GRPCInferenceServiceClient(t.address, credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const call = <T>(
    method: 'modelInfer' | 'repositoryModelLoad' | 'repositoryModelUnload' | 'modelReady',
    req: object,
  ) =>
    new Promise<T>((resolve, reject) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (client[method] as any)(req, (error: ServiceError | null, response: T) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const tensorRequest = (): ModelInferRequest => ({
    modelName: 'centroid',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3, 48, 64], parameters: {}, contents: undefined }],
    outputs: [{ name: 'logits', parameters: {} }],
    rawInputContents: [Buffer.alloc(3 * 48 * 64 * 4)],
  });
  const imageRequest = (): ModelInferRequest => ({
    ...tensorRequest(),
    inputs: [{ name: 'image_bytes', datatype: 'BYTES', shape: [1], parameters: {}, contents: undefined }],
    rawInputContents: [serializeBytesElements([jpeg])],
  });
  const repo = (modelName: string) => ({ repositoryName: '', modelName, parameters: {} });

  it('answers every request sent while the model reloads', async () => {
    // 16 clients keep requests in flight until the reload has finished, so some are queued on the old version at
    // the moment the new one takes over, and some (the encoded images, v2 and Predict) are being decoded.
    // New files (a later modification time) make the reload load every version again, beside the old ones.
    const later = new Date(Date.now() + 60_000);
    for (const v of ['1', '3']) utimesSync(join(work, 'centroid', v, 'model.onnx'), later, later);
    let reloaded = false;
    const reload = call('repositoryModelLoad', repo('centroid')).finally(() => (reloaded = true));
    const failures: string[] = [];
    let answered = 0;
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        while (!reloaded) {
          const request =
            i % 3 === 0
              ? call('modelInfer', tensorRequest())
              : i % 3 === 1
                ? call('modelInfer', imageRequest())
                : t.client.predict({ image: jpeg, model: 'centroid' });
          await request.then(
            () => (answered += 1),
            (error: Error) => failures.push(error.message),
          );
        }
      }),
    );
    await reload;
    assert.deepEqual(failures, [], 'no request is lost to the reload');
    // Every client had a request queued (200 ms batch delay) when the reloaded versions took over.
    assert.ok(answered >= 16, `${answered} answered`);
  });

  it('keeps the old version serving when a reload fails', async () => {
    writeFileSync(join(work, 'centroid', '1', 'model.onnx'), 'not onnx');
    writeFileSync(join(work, 'centroid', '3', 'model.onnx'), 'not onnx');
    await assert.rejects(call('repositoryModelLoad', repo('centroid')), (error: ServiceError) => {
      assert.equal(error.code, status.UNAVAILABLE);
      assert.match(error.details, /^model_name: "centroid" failed to load, the versions loaded before keep serving: /);
      return true;
    });
    await call('modelInfer', tensorRequest());
  });

  it('unloads: the model is not ready and requests are UNAVAILABLE', async () => {
    await call('repositoryModelUnload', repo('centroid'));
    assert.deepEqual(await call('modelReady', { name: 'centroid', version: '' }), { ready: false });
    await assert.rejects(call('modelInfer', tensorRequest()), (error: ServiceError) => {
      assert.equal(error.code, status.UNAVAILABLE);
      assert.match(error.details, /centroid/);
      return true;
    });
    await assert.rejects(call('repositoryModelUnload', repo('nope')), (error: ServiceError) => {
      assert.equal(error.code, status.NOT_FOUND);
      assert.match(error.details, /^model_name: no model named "nope"/);
      return true;
    });
  });
});
