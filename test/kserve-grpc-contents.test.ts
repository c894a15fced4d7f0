/**
 * KServe v2 gRPC data forms that tritonclient does not use by default, through the generated grpc-js client:
 * typed input contents, typed output contents on request (`binary_data_output: false`), and raw outputs that
 * decode to the same numbers.
 */
import assert from 'node:assert/strict';
import { credentials } from '@grpc/grpc-js';
import { parseBytesElements, serializeBytesElements } from '../server/kserve/tensor-data.js';
import {
  GRPCInferenceServiceClient,
  type ModelInferRequest,
  type ModelInferResponse,
} from '../proto/generated/inference/grpc_service.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('KServe v2 gRPC typed and raw contents', function () {
  let t: TestServer;
  let client: InstanceType<typeof GRPCInferenceServiceClient>;
  let jpeg: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    client = new GRPCInferenceServiceClient(t.address, credentials.createInsecure());
    jpeg = await discImage(160, 120, [{ cx: 120, cy: 30, r: 10 }], 'jpeg');
  });
  after(async () => {
    client?.close();
    await t?.close();
  });

  const infer = (r: ModelInferRequest) =>
    new Promise<ModelInferResponse>((resolve, reject) =>
      client.modelInfer(r, (error, response) => (error ? reject(error) : resolve(response))),
    );
  const contents = (bytesContents: Buffer[]) => ({
    boolContents: [],
    intContents: [],
    int64Contents: [],
    uintContents: [],
    uint64Contents: [],
    fp32Contents: [],
    fp64Contents: [],
    bytesContents,
  });
  const request = (typedIn: boolean, typedOut: boolean): ModelInferRequest => ({
    modelName: 'centroid',
    modelVersion: '1',
    id: 'c',
    parameters: typedOut ? { binary_data_output: { parameterChoice: { $case: 'boolParam', value: false } } } : {},
    inputs: [
      {
        name: 'image_bytes',
        datatype: 'BYTES',
        shape: [1, 1],
        parameters: {},
        contents: typedIn ? contents([jpeg]) : undefined,
      },
    ],
    outputs: [
      { name: 'point_px', parameters: {} },
      { name: 'logits', parameters: { classification: { parameterChoice: { $case: 'int64Param', value: 1 } } } },
    ],
    rawInputContents: typedIn ? [] : [serializeBytesElements([jpeg])],
  });

  it('answers typed contents when asked, the same numbers as raw contents', async () => {
    const typed = await infer(request(true, true));
    const raw = await infer(request(false, false));
    assert.equal(typed.rawOutputContents.length, 0);
    assert.equal(raw.rawOutputContents.length, 2);
    assert.deepEqual(typed.outputs[0].shape, [1, 2]);
    const fromRaw = Array.from(
      new Float32Array(new Uint8Array(raw.rawOutputContents[0]).buffer.slice(0, 8) as ArrayBuffer),
    );
    assert.deepEqual(typed.outputs[0].contents?.fp32Contents, fromRaw);
    assert.ok(Math.abs(fromRaw[0] - 120) < 4 && Math.abs(fromRaw[1] - 30) < 4, String(fromRaw));
    const label = typed.outputs[1].contents?.bytesContents[0].toString();
    assert.equal(label, parseBytesElements(raw.rawOutputContents[1], 1, 'raw')[0].toString());
    assert.match(label ?? '', /^-?\d+\.\d{6}:\d:(red|green|blue)$/);
    assert.equal(typed.modelVersion, '1');
    assert.ok((typed.parameters.total_ms.parameterChoice?.value as number) > 0);
  });
});
