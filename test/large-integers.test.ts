/**
 * A 64-bit field of 2^53 or more (a `uint64 version`, an `int64` tensor dimension) cannot be held by a JavaScript
 * number: the server answers INVALID_ARGUMENT naming the field, not INTERNAL "Error deserializing request".
 * The requests are encoded by hand, since the typed client cannot even represent such values.
 */
import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import { PredictStreamResponse } from '../proto/generated/luab/v1/inference.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { rawUnary } from './helpers/raw-call.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const TWO_53 = 2n ** 53n;

describe('64-bit integers beyond 2^53', function () {
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    image = await discImage(64, 48, [{ cx: 30, cy: 20, r: 8 }], 'png');
  });
  after(async () => t.close());
  afterEach(async () => {
    assert.equal((await t.client.predict({ image })).classes.length, 3, 'the server still serves');
  });

  /** PredictRequest { version, image } (field numbers from proto/luab/v1/inference.proto). */
  const predictWithVersion = (version: bigint) =>
    new BinaryWriter()
      .uint32((3 << 3) | 0)
      .uint64(version)
      .uint32((4 << 3) | 2)
      .bytes(image)
      .finish();

  async function expectInvalid(path: string, bytes: Uint8Array, message: RegExp) {
    const { error } = await rawUnary(t.address, path, bytes);
    assert.ok(error, 'the call failed');
    assert.equal(status[error.code], 'INVALID_ARGUMENT', `status of "${error.details}"`);
    assert.match(error.details, message);
  }

  it('Predict with version 2^53 → INVALID_ARGUMENT naming version', () =>
    expectInvalid('/luab.v1.Inference/Predict', predictWithVersion(TWO_53), /^version: 9007199254740992 is outside/));

  it('Predict with version 2^64 - 1 → INVALID_ARGUMENT naming version', () =>
    expectInvalid(
      '/luab.v1.Inference/Predict',
      predictWithVersion(2n ** 64n - 1n),
      /^version: 18446744073709551615 is outside/,
    ));

  it('Predict with a tensor dimension of 2^53 → INVALID_ARGUMENT naming tensor.shape[1]', () => {
    const tensor = new BinaryWriter()
      .uint32((1 << 3) | 2)
      .fork()
      .int64(3)
      .int64(TWO_53)
      .int64(4)
      .join()
      .uint32((2 << 3) | 0)
      .int32(1)
      .finish();
    const request = new BinaryWriter()
      .uint32((5 << 3) | 2)
      .bytes(tensor)
      .finish();
    return expectInvalid('/luab.v1.Inference/Predict', request, /^tensor\.shape\[1\]: 9007199254740992 is outside/);
  });

  it('GetModel with version 2^60 → INVALID_ARGUMENT naming version', () =>
    expectInvalid(
      '/luab.v1.Inference/GetModel',
      new BinaryWriter()
        .uint32((2 << 3) | 0)
        .uint64(2n ** 60n)
        .finish(),
      /^version: 1152921504606846976 is outside/,
    ));

  it('PredictStream answers an item with version 2^53 with its own INVALID_ARGUMENT and goes on', async () => {
    const identity = (b: Buffer) => b;
    const Raw = makeGenericClientConstructor(
      {
        stream: {
          path: '/luab.v1.Inference/PredictStream',
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
    const item = (id: string, version: bigint) =>
      Buffer.from(
        new BinaryWriter()
          .uint32((1 << 3) | 2)
          .string(id)
          .uint32((3 << 3) | 0)
          .uint64(version)
          .uint32((4 << 3) | 2)
          .bytes(image)
          .finish(),
      );
    try {
      const answers = await new Promise<PredictStreamResponse[]>((resolve, reject) => {
        const received: PredictStreamResponse[] = [];
        const call = client.stream();
        call.on('data', (bytes: Buffer) => received.push(PredictStreamResponse.decode(bytes)));
        call.on('error', reject);
        call.on('end', () => resolve(received));
        call.write(item('a', 0n));
        call.write(item('big', TWO_53));
        call.write(item('b', 0n));
        call.end();
      });
      const byId = new Map(answers.map((a) => [a.id, a.result]));
      assert.deepEqual([...byId.keys()].sort(), ['a', 'b', 'big']);
      assert.equal(byId.get('a')?.$case, 'response');
      assert.equal(byId.get('b')?.$case, 'response');
      const bad = byId.get('big');
      assert.equal(bad?.$case, 'error');
      if (bad?.$case === 'error') {
        assert.equal(bad.value.code, status.INVALID_ARGUMENT);
        assert.match(bad.value.message, /^version: 9007199254740992 is outside/);
      }
    } finally {
      client.close();
    }
  });

  it('version 2^53 - 1 is decoded and answered as an unknown version (NOT_FOUND), not refused', async () => {
    const { error } = await rawUnary(t.address, '/luab.v1.Inference/Predict', predictWithVersion(TWO_53 - 1n));
    assert.equal(error && status[error.code], 'NOT_FOUND', error?.details);
  });

  it('bytes that are not a protobuf message at all still get INTERNAL from grpc-js (unchanged)', async () => {
    const { error } = await rawUnary(t.address, '/luab.v1.Inference/Predict', Buffer.from([0x0a, 0xff]));
    assert.equal(error && status[error.code], 'INTERNAL');
  });
});
