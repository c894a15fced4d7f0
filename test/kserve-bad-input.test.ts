/**
 * KServe v2 requests that are wrong in every way a client can get them wrong, through the generated grpc-js
 * client: each fails with INVALID_ARGUMENT / NOT_FOUND and a message naming the field; nothing reaches the log as
 * an internal error.
 */
import assert from 'node:assert/strict';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { serializeBytesElements } from '../server/kserve/tensor-data.js';
import {
  GRPCInferenceServiceClient,
  type ModelInferRequest,
  type ModelInferRequest_InferInputTensor,
} from '../proto/generated/inference/grpc_service.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const input = (fields: Partial<ModelInferRequest_InferInputTensor>): ModelInferRequest_InferInputTensor => ({
  name: 'image_bytes',
  datatype: 'BYTES',
  shape: [1],
  parameters: {},
  contents: undefined,
  ...fields,
});

const request = (fields: Partial<ModelInferRequest>): ModelInferRequest => ({
  modelName: 'centroid',
  modelVersion: '',
  id: '',
  parameters: {},
  inputs: [input({})],
  outputs: [],
  rawInputContents: [],
  ...fields,
});

describe('KServe v2 bad input', function () {
  let t: TestServer;
  let client: InstanceType<typeof GRPCInferenceServiceClient>;
  let jpeg: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    client = new GRPCInferenceServiceClient(t.address, credentials.createInsecure());
    jpeg = await discImage(80, 60, [{ cx: 20, cy: 20, r: 8 }], 'jpeg');
  });
  after(async () => {
    client?.close();
    await t?.close();
  });

  const infer = (r: ModelInferRequest) =>
    new Promise<ServiceError>((resolve, reject) =>
      client.modelInfer(r, (error) => (error ? resolve(error) : reject(new Error('the request succeeded')))),
    );

  const bytes = (elements: Buffer[]) => serializeBytesElements(elements);
  const truncated = () => bytes([jpeg]).subarray(0, 10);
  const fp32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
  const cases: [string, () => ModelInferRequest, status, RegExp][] = [
    [
      'no input',
      () => request({ inputs: [] }),
      status.INVALID_ARGUMENT,
      /^inputs: send exactly one input tensor, got 0/,
    ],
    [
      'raw contents for some inputs only',
      () => request({ inputs: [input({}), input({})], rawInputContents: [bytes([jpeg])] }),
      status.INVALID_ARGUMENT,
      /^raw_input_contents: has 1 entries for 2 inputs/,
    ],
    [
      'a cut-off BYTES element',
      () => request({ rawInputContents: [truncated()] }),
      status.INVALID_ARGUMENT,
      /^raw_input_contents\[0\]: element 0: its length prefix says \d+ bytes but only 6 follow/,
    ],
    [
      'fewer BYTES elements than the shape says',
      () => request({ inputs: [input({ shape: [2] })], rawInputContents: [bytes([jpeg])] }),
      status.INVALID_ARGUMENT,
      /^raw_input_contents\[0\]: holds 1 BYTES elements, the shape says 2/,
    ],
    [
      'a BYTES shape of rank 3',
      () => request({ inputs: [input({ shape: [1, 1, 1] })], rawInputContents: [bytes([jpeg])] }),
      status.INVALID_ARGUMENT,
      /^inputs\[0\]\.shape: input "image_bytes" must be \[N\], got \[1, 1, 1\]/,
    ],
    [
      'a datatype that does not match the input',
      () => request({ inputs: [input({ datatype: 'UINT8', shape: [4] })], rawInputContents: [Buffer.alloc(4)] }),
      status.INVALID_ARGUMENT,
      /^inputs\[0\]\.datatype: input "image_bytes" is BYTES, got UINT8/,
    ],
    [
      'an unsupported datatype',
      () =>
        request({
          inputs: [input({ name: 'image', datatype: 'INT64', shape: [1] })],
          rawInputContents: [Buffer.alloc(8)],
        }),
      status.INVALID_ARGUMENT,
      /^raw_input_contents\[0\]: datatype INT64 is not accepted/,
    ],
    [
      'FP32 bytes that do not fill the shape',
      () =>
        request({
          inputs: [input({ name: 'image', datatype: 'FP32', shape: [1, 3, 48, 64] })],
          rawInputContents: [fp32([1, 2, 3])],
        }),
      status.INVALID_ARGUMENT,
      /^raw_input_contents\[0\]: has 12 bytes, expected 36864 \(9216 FP32 values\)/,
    ],
    [
      'a NaN in the tensor',
      () =>
        request({
          inputs: [input({ name: 'image', datatype: 'FP32', shape: [1, 3, 48, 64] })],
          rawInputContents: [fp32([NaN, ...new Array(9215).fill(0)])],
        }),
      status.INVALID_ARGUMENT,
      /^inputs\[0\]: element 0 is NaN \(values must be finite\)/,
    ],
    [
      'typed contents of the wrong length',
      () =>
        request({
          inputs: [
            input({
              name: 'image_pixels',
              datatype: 'UINT8',
              shape: [1, 2, 2, 3],
              contents: {
                boolContents: [],
                intContents: [],
                int64Contents: [],
                uintContents: [1, 2],
                uint64Contents: [],
                fp32Contents: [],
                fp64Contents: [],
                bytesContents: [],
              },
            }),
          ],
        }),
      status.INVALID_ARGUMENT,
      /^inputs\[0\]\.contents\.uint_contents: has 2 values, expected 12/,
    ],
    [
      'classification of more classes than the model has',
      () =>
        request({
          rawInputContents: [bytes([jpeg])],
          outputs: [
            { name: 'scores', parameters: { classification: { parameterChoice: { $case: 'int64Param', value: 9 } } } },
          ],
        }),
      status.INVALID_ARGUMENT,
      /^outputs\[0\]\.parameters\.classification: 9 is more than the model's 3 classes/,
    ],
    [
      'an empty batch without contents',
      () => request({ inputs: [input({ name: 'image', datatype: 'FP32', shape: [0, 3, 48, 64] })] }),
      status.INVALID_ARGUMENT,
      /^inputs\[0\]\.shape: input "image" must be \[N, 3, 48, 64\], got \[0, 3, 48, 64\]/,
    ],
    [
      'a version that is not a number',
      () => request({ modelVersion: 'latest', rawInputContents: [bytes([jpeg])] }),
      status.INVALID_ARGUMENT,
      /^model_version: must be a version number such as "1", got "latest"/,
    ],
    [
      'a version that does not exist',
      () => request({ modelVersion: '2', rawInputContents: [bytes([jpeg])] }),
      status.NOT_FOUND,
      /^version: model "centroid" has no version 2/,
    ],
  ];
  for (const [name, make, code, message] of cases) {
    it(`refuses ${name}`, async () => {
      const error = await infer(make());
      assert.equal(error.code, code, error.details);
      assert.match(error.details, message);
    });
  }

  it('logged no internal error', () => {
    assert.deepEqual(
      t.logs.filter((l) => l.level >= 50),
      [],
    );
  });
});
