/**
 * What a failed call tells the client: a bounded, one-line message, whatever the request held or a decoder
 * printed, and for a bad field the gRPC rich error model (google.rpc.Status with BadRequest field violations in
 * the `grpc-status-details-bin` trailer) besides the text.
 */
import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { status } from '@grpc/grpc-js';
import { BadRequest } from 'nice-grpc-error-details';
import { Status } from 'nice-grpc-error-details/lib/proto/google/rpc/status.js';
import { LuabError } from '../client/luab-client.js';
import { boundedMessage, MAX_MESSAGE_BYTES, oneLine } from '../server/status-text.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { rawUnary } from './helpers/raw-call.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** An ISO BMFF file that says it is HEIC and then stops: libheif fails on it with a many-line dump. */
function truncatedHeic(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypheic', 4);
  ftyp.write('mif1heic', 16);
  return Buffer.concat([ftyp, Buffer.from([0, 0, 0, 16]), Buffer.from('metagarbagegarb')]);
}

async function rejection(promise: Promise<unknown>): Promise<LuabError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LuabError, `expected a LuabError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

describe('status messages and details', function () {
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

  describe('echoed values are shortened', () => {
    const longName = 'm'.repeat(10_000);

    it('Predict naming a 10,000-character model → NOT_FOUND with a short message', async () => {
      const error = await rejection(t.client.predict({ image, model: longName }));
      assert.equal(error.codeName, 'NOT_FOUND', error.details.slice(0, 300));
      assert.match(error.details, /^model: no model named "m{200}…" \(10000 characters\) \(models: centroid,/);
      assert.ok(Buffer.byteLength(error.details) <= MAX_MESSAGE_BYTES, `${error.details.length} characters`);
    });

    it('GetModel naming a 10,000-character model → NOT_FOUND with a short message', async () => {
      const error = await rejection(t.client.getModel(longName));
      assert.equal(error.codeName, 'NOT_FOUND', error.details.slice(0, 300));
      assert.match(error.details, /^name: no model named "m{200}…" \(10000 characters\)/);
    });

    it('a name of 4,000 three-byte characters still fits the client metadata limit', async () => {
      const error = await rejection(t.client.predict({ image, model: '模'.repeat(4000) }));
      assert.equal(error.codeName, 'NOT_FOUND', error.details.slice(0, 300));
      assert.match(error.details, /"模{200}…" \(4000 characters\)/);
    });

    it('boundedMessage caps any message at MAX_MESSAGE_BYTES of UTF-8', () => {
      const message = boundedMessage(`x: ${'é'.repeat(5000)} and ${'😀'.repeat(3000)}`);
      assert.ok(Buffer.byteLength(message) <= MAX_MESSAGE_BYTES, `${Buffer.byteLength(message)} bytes`);
      assert.ok(message.endsWith('…'));
      assert.ok(!message.includes('\uFFFD'), 'no split character');
    });
  });

  describe('decoder dumps become one line', () => {
    it('an undecodable HEIC → INVALID_ARGUMENT with a one-line message naming image', async () => {
      const error = await rejection(t.client.predict({ image: truncatedHeic() }));
      assert.equal(error.codeName, 'INVALID_ARGUMENT');
      assert.doesNotMatch(error.details, /\n/);
      assert.match(error.details, /^image: cannot be decoded/);
      assert.match(error.details, /heif: /, 'the decoder’s last word is kept');
    });

    it('oneLine keeps the first and last lines and counts the rest', () => {
      assert.equal(oneLine('a\n b \n\nc\nd'), 'a; … (2 more lines) …; d');
      assert.equal(oneLine('a\nb'), 'a; b');
      assert.equal(oneLine('single'), 'single');
    });
  });

  describe('rich error model', () => {
    /** PredictRequest { tensor { shape: [3, 4, 4], dtype: 99 } } (field numbers from inference.proto). */
    const badDtype = () => {
      const tensor = new BinaryWriter()
        .uint32((1 << 3) | 2)
        .fork()
        .int64(3)
        .int64(4)
        .int64(4)
        .join()
        .uint32((2 << 3) | 0)
        .int32(99)
        .finish();
      return new BinaryWriter()
        .uint32((5 << 3) | 2)
        .bytes(tensor)
        .finish();
    };

    it('INVALID_ARGUMENT carries google.rpc.Status with a BadRequest field violation (read by a raw client)', async () => {
      const { error } = await rawUnary(t.address, '/luab.v1.Inference/Predict', badDtype());
      assert.ok(error);
      assert.equal(error.code, status.INVALID_ARGUMENT);
      const [bytes] = error.metadata.get('grpc-status-details-bin');
      assert.ok(Buffer.isBuffer(bytes), 'the grpc-status-details-bin trailer is present');
      const rich = Status.decode(bytes);
      assert.equal(rich.code, status.INVALID_ARGUMENT);
      assert.equal(rich.message, error.details);
      assert.equal(rich.details.length, 1);
      assert.equal(rich.details[0].typeUrl, 'type.googleapis.com/google.rpc.BadRequest');
      const violations = BadRequest.decode(rich.details[0].value).fieldViolations;
      assert.deepEqual(
        violations.map((v) => v.field),
        ['tensor.dtype'],
      );
      assert.match(violations[0].description, /^must be DATA_TYPE_FLOAT32/);
    });

    it('the client library exposes them as LuabError.fieldViolations', async () => {
      const error = await rejection(t.client.predict({ image: Buffer.alloc(0) }));
      assert.deepEqual(error.fieldViolations, [{ field: 'image', description: 'is empty (0 bytes)' }]);
    });

    it('a 64-bit value out of range names its field in the details too', async () => {
      const request = new BinaryWriter()
        .uint32((3 << 3) | 0)
        .uint64(2n ** 60n)
        .finish();
      const { error } = await rawUnary(t.address, '/luab.v1.Inference/Predict', request);
      assert.ok(error);
      const rich = Status.decode(error.metadata.get('grpc-status-details-bin')[0] as Buffer);
      assert.equal(BadRequest.decode(rich.details[0].value).fieldViolations[0].field, 'version');
    });

    it('NOT_FOUND (no field violation) sends no details trailer', async () => {
      const error = await rejection(t.client.predict({ image, model: 'missing' }));
      assert.equal(error.codeName, 'NOT_FOUND');
      assert.deepEqual(error.fieldViolations, []);
    });
  });
});
