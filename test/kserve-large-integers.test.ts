/**
 * KServe v2 requests with a 64-bit field of 2^53 or more (an `int64` tensor dimension, an `int64_param`) are
 * answered with INVALID_ARGUMENT naming the field, as luab.v1 requests are (server/grpc/safe-integers.ts), not
 * with INTERNAL "Error deserializing request". Encoded by hand: the typed client cannot represent such values.
 */
import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import { serializeBytesElements } from '../server/kserve/tensor-data.js';
import { ModelStreamInferResponse } from '../proto/generated/inference/grpc_service.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { rawUnary } from './helpers/raw-call.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const TWO_53 = 2n ** 53n;
const INFER = '/inference.GRPCInferenceService/ModelInfer';

describe('KServe v2: 64-bit integers beyond 2^53', function () {
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    image = await discImage(64, 48, [{ cx: 30, cy: 20, r: 8 }], 'png');
  });
  after(async () => t.close());

  /** ModelInferRequest { model_name, id, inputs: [{ name, datatype, shape, parameters? }], raw_input_contents }. */
  const inferRequest = (id: string, dim: bigint, parameter?: bigint) => {
    const tensor = new BinaryWriter().uint32((1 << 3) | 2).string('image_bytes');
    tensor.uint32((2 << 3) | 2).string('BYTES');
    tensor
      .uint32((3 << 3) | 2)
      .fork()
      .int64(dim)
      .join();
    if (parameter !== undefined) {
      // map entry { key = 1, value = 2: InferParameter { int64_param = 2 } }
      tensor
        .uint32((4 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string('size')
        .uint32((2 << 3) | 2);
      tensor
        .fork()
        .uint32((2 << 3) | 0)
        .int64(parameter)
        .join()
        .join();
    }
    return Buffer.from(
      new BinaryWriter()
        .uint32((1 << 3) | 2)
        .string('centroid')
        .uint32((3 << 3) | 2)
        .string(id)
        .uint32((5 << 3) | 2)
        .bytes(tensor.finish())
        .uint32((7 << 3) | 2)
        .bytes(serializeBytesElements([image]))
        .finish(),
    );
  };

  async function expectInvalid(bytes: Uint8Array, message: RegExp) {
    const { error } = await rawUnary(t.address, INFER, bytes);
    assert.ok(error, 'the call failed');
    assert.equal(status[error.code], 'INVALID_ARGUMENT', `status of "${error.details}"`);
    assert.match(error.details, message);
  }

  it('the request encoded here is answered when its numbers are small', async () => {
    const { error } = await rawUnary(t.address, INFER, inferRequest('', 1n, 7n));
    assert.equal(error, null, error?.details);
  });

  it('ModelInfer with a shape of 2^53 → INVALID_ARGUMENT naming inputs[0].shape[0]', () =>
    expectInvalid(inferRequest('', TWO_53), /^inputs\[0\]\.shape\[0\]: 9007199254740992 is outside/));

  it('ModelInfer with an int64_param of 2^63 - 1 → INVALID_ARGUMENT naming the parameter', () =>
    expectInvalid(
      inferRequest('', 1n, 2n ** 63n - 1n),
      /^inputs\[0\]\.parameters\["size"\]\.int64_param: 9223372036854775807 is outside/,
    ));

  it('ModelStreamInfer answers an item with a shape of 2^53 with its own error and goes on', async () => {
    const identity = (b: Buffer) => b;
    const Raw = makeGenericClientConstructor(
      {
        stream: {
          path: '/inference.GRPCInferenceService/ModelStreamInfer',
          requestStream: true,
          responseStream: true,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      'RawStream',
    );
    const client = new Raw(t.address, credentials.createInsecure());
    try {
      const answers = await new Promise<ModelStreamInferResponse[]>((resolve, reject) => {
        const received: ModelStreamInferResponse[] = [];
        const call = client.stream();
        call.on('data', (bytes: Buffer) => received.push(ModelStreamInferResponse.decode(bytes)));
        call.on('error', reject);
        call.on('end', () => resolve(received));
        call.write(inferRequest('a', 1n));
        call.write(inferRequest('big', TWO_53));
        call.write(inferRequest('b', 1n));
        call.end();
      });
      const byId = new Map(answers.map((a) => [a.inferResponse?.id, a]));
      assert.deepEqual([...byId.keys()].sort(), ['a', 'b', 'big']);
      assert.equal(byId.get('a')?.errorMessage, '');
      assert.equal(byId.get('b')?.errorMessage, '');
      assert.match(byId.get('big')?.errorMessage ?? '', /^inputs\[0\]\.shape\[0\]: 9007199254740992 is outside/);
    } finally {
      client.close();
    }
  });
});
