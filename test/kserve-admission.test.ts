/**
 * KServe v2 inference goes through the same admission control as Predict, before any decode: each image of a
 * request takes a place under --max-admitted-per-model and its bytes count against --max-request-memory-bytes;
 * past either limit the request is refused with RESOURCE_EXHAUSTED naming it, and nothing is kept.
 * Admitted requests are held in the batcher's queue (a one-minute batching delay) and let go by cancelling them.
 */
import assert from 'node:assert/strict';
import { credentials, status, type ServiceError as GrpcError } from '@grpc/grpc-js';
import { DEFAULTS, type ServerConfig } from '../server/config.js';
import { ServiceError } from '../server/errors.js';
import { V2Inference } from '../server/kserve/v2-inference.js';
import type { V2InferRequest } from '../server/kserve/v2-types.js';
import { serializeBytesElements } from '../server/kserve/tensor-data.js';
import { InferenceStatistics } from '../server/metrics/statistics.js';
import { Predictor, type CallContext } from '../server/predictor.js';
import {
  GRPCInferenceServiceClient,
  type ModelStreamInferResponse,
} from '../proto/generated/inference/grpc_service.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('KServe v2 admission control', function () {
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS, maxBatchSize: 8, maxQueueDelayMs: 60_000 });
    image = await discImage(100, 80, [{ cx: 50, cy: 40, r: 10 }], 'png');
  });
  after(async () => t.close());

  const front = (overrides: Partial<ServerConfig>) => {
    const config: ServerConfig = { ...DEFAULTS, device: { kind: 'cpu' }, ...overrides };
    const predictor = new Predictor(t.server.repository, config);
    return { predictor, v2: new V2Inference(predictor, t.server.repository, config, new InferenceStatistics()) };
  };
  const request = (images: number): V2InferRequest => ({
    modelName: 'centroid',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: [
      {
        name: 'image_bytes',
        datatype: 'BYTES',
        shape: [images],
        parameters: {},
        data: Array.from({ length: images }, () => image),
      },
    ],
    outputs: [],
  });
  let abandon: AbortController;
  beforeEach(() => (abandon = new AbortController()));
  const held = (): CallContext => ({ signal: abandon.signal, deadline: Infinity });
  const fresh = (): CallContext => ({ signal: new AbortController().signal, deadline: Infinity });
  const releaseQueue = () => abandon.abort(new ServiceError(status.CANCELLED, 'test over'));
  const exhausted = (pattern: RegExp) => (e: ServiceError) => {
    assert.equal(e.code, status.RESOURCE_EXHAUSTED, e.message);
    assert.match(e.message, pattern);
    return true;
  };

  it('each image of a held request takes a place; the next v2 request and Predict are refused', async () => {
    const { predictor, v2 } = front({ maxAdmittedPerModel: 2 });
    const first = v2.infer(request(2), held());
    assert.deepEqual(predictor.admission.stats(), { bytes: 2 * image.length, perModel: { centroid: 2 } });
    await assert.rejects(
      v2.infer(request(1), fresh()),
      exhausted(/model "centroid": 2 requests .*--max-admitted-per-model/),
    );
    await assert.rejects(
      predictor.predict(
        { id: '', model: 'centroid', version: 0, topK: 0, resizePolicy: 0, input: { $case: 'image', value: image } },
        fresh(),
      ),
      exhausted(/--max-admitted-per-model/),
    );
    releaseQueue();
    await assert.rejects(first, (e: ServiceError) => e.code === status.CANCELLED);
    assert.deepEqual(predictor.admission.stats(), { bytes: 0, perModel: {} }, 'every admission given back');
  });

  it('a request with more images than the limit is refused whole and keeps nothing', async () => {
    const { predictor, v2 } = front({ maxAdmittedPerModel: 2 });
    await assert.rejects(v2.infer(request(3), fresh()), exhausted(/--max-admitted-per-model/));
    assert.deepEqual(predictor.admission.stats(), { bytes: 0, perModel: {} });
  });

  it('the images count against --max-request-memory-bytes', async () => {
    const { predictor, v2 } = front({ maxRequestMemoryBytes: image.length + 10 });
    const first = v2.infer(request(1), held());
    await assert.rejects(v2.infer(request(1), fresh()), exhausted(/memory budget .*--max-request-memory-bytes/));
    releaseQueue();
    await assert.rejects(first, (e: ServiceError) => e.code === status.CANCELLED);
    assert.equal(predictor.admission.stats().bytes, 0);
  });

  it('ModelInfer, ModelStreamInfer and HTTP infer answer RESOURCE_EXHAUSTED (HTTP 429) naming the limit', async () => {
    const server = await startTestServer({ modelsDir: GOOD_MODELS, maxAdmittedPerModel: 1, httpPort: -1 });
    const client = new GRPCInferenceServiceClient(server.address, credentials.createInsecure());
    try {
      // Two images, a limit of one: the second image is refused before either is decoded.
      const error = await new Promise<GrpcError>((resolve, reject) =>
        client.modelInfer(
          {
            modelName: 'centroid',
            modelVersion: '',
            id: '',
            parameters: {},
            inputs: [{ name: 'image_bytes', datatype: 'BYTES', shape: [2], parameters: {}, contents: undefined }],
            outputs: [],
            rawInputContents: [serializeBytesElements([image, image])],
          },
          (e) => (e ? resolve(e) : reject(new Error('the request succeeded'))),
        ),
      );
      assert.equal(status[error.code], 'RESOURCE_EXHAUSTED', error.details);
      assert.match(error.details, /model "centroid": 1 requests .*--max-admitted-per-model/);

      const answers = await new Promise<ModelStreamInferResponse[]>((resolve, reject) => {
        const received: ModelStreamInferResponse[] = [];
        const call = client.modelStreamInfer();
        call.on('data', (m: ModelStreamInferResponse) => received.push(m));
        call.on('error', reject);
        call.on('end', () => resolve(received));
        call.write({
          modelName: 'centroid',
          modelVersion: '',
          id: 'two',
          parameters: {},
          inputs: [{ name: 'image_bytes', datatype: 'BYTES', shape: [2], parameters: {}, contents: undefined }],
          outputs: [],
          rawInputContents: [serializeBytesElements([image, image])],
        });
        call.end();
      });
      assert.equal(answers.length, 1);
      assert.match(answers[0].errorMessage, /model "centroid": 1 requests .*--max-admitted-per-model/);

      const tensor = serializeBytesElements([image, image]);
      const header = Buffer.from(
        JSON.stringify({
          inputs: [
            { name: 'image_bytes', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: tensor.length } },
          ],
        }),
      );
      const response = await fetch(`http://127.0.0.1:${server.server.httpPort}/v2/models/centroid/infer`, {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': String(header.length) },
        body: Buffer.concat([header, tensor]),
      });
      assert.equal(response.status, 429);
      assert.match(((await response.json()) as { error: string }).error, /--max-admitted-per-model/);
    } finally {
      client.close();
      await server.close();
    }
  });
});
