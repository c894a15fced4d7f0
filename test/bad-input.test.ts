/**
 * Every kind of bad input gets a precise status whose message names the field, and the server keeps serving:
 * each test ends with a good request.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { LuabError, type PredictInput } from '../client/luab-client.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { pngBomb } from './helpers/png.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const H = 48;
const W = 64;

async function expectStatus(promise: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof LuabError, `expected a LuabError, got ${String(error)}`);
    assert.equal(error.codeName, status[code], `status of "${error.details}"`);
    assert.match(error.details, message);
    return true;
  });
}

function tensor(values: Float32Array, shape = [3, H, W]) {
  return { shape, dtype: 1, rawData: Buffer.from(values.buffer, values.byteOffset, values.byteLength), floatData: [] };
}

describe('bad input', function () {
  let t: TestServer;
  let goodImage: Buffer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS, maxImagePixels: 50_000_000 });
    goodImage = await discImage(120, 90, [{ cx: 60, cy: 45, r: 10 }], 'jpeg');
  });
  after(async () => t.close());
  afterEach(async () => {
    const response = await t.client.predict({ image: goodImage });
    assert.equal(response.classes.length, 3, 'the server still serves after the bad request');
  });

  const predict = (input: PredictInput) => t.client.predict(input);

  it('zero-byte image → INVALID_ARGUMENT naming image', () =>
    expectStatus(predict({ image: Buffer.alloc(0) }), status.INVALID_ARGUMENT, /^image: is empty/));

  it('undecodable bytes → INVALID_ARGUMENT', () =>
    expectStatus(
      predict({ image: Buffer.from('definitely not an image, just text') }),
      status.INVALID_ARGUMENT,
      /^image: cannot be decoded as JPEG, PNG, WebP, GIF, TIFF, AVIF/,
    ));

  it('truncated JPEG → INVALID_ARGUMENT', async () => {
    const full = await discImage(400, 300, [{ cx: 100, cy: 100, r: 40 }], 'jpeg');
    await expectStatus(
      predict({ image: full.subarray(0, Math.floor(full.length * 0.6)) }),
      status.INVALID_ARGUMENT,
      /^image: /,
    );
  });

  it('SVG (decodable, but not a photograph format) → INVALID_ARGUMENT', () =>
    expectStatus(
      predict({ image: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>') }),
      status.INVALID_ARGUMENT,
      /^image: format "svg" is not accepted/,
    ));

  it('decompression bomb (a PNG header claiming 100000 x 100000) → INVALID_ARGUMENT before decoding', () =>
    expectStatus(
      predict({ image: pngBomb(100_000, 100_000) }),
      status.INVALID_ARGUMENT,
      /^image: 100000x100000 = 10000000000 pixels exceeds the server's limit of 50000000/,
    ));

  it('tensor of the wrong shape → INVALID_ARGUMENT naming tensor.shape', () =>
    expectStatus(
      predict({ tensor: tensor(new Float32Array(3 * W * H), [3, W, H]) }),
      status.INVALID_ARGUMENT,
      /^tensor\.shape: must be \[3, 48, 64\] or \[1, 3, 48, 64\] for this model, got \[3, 64, 48\]/,
    ));

  it('tensor of the wrong dtype → INVALID_ARGUMENT naming tensor.dtype', () =>
    expectStatus(
      predict({ tensor: { ...tensor(new Float32Array(3 * H * W)), dtype: 0 } }),
      status.INVALID_ARGUMENT,
      /^tensor\.dtype: must be DATA_TYPE_FLOAT32, got DATA_TYPE_UNSPECIFIED/,
    ));

  it('tensor with a NaN → INVALID_ARGUMENT naming the element', () => {
    const values = new Float32Array(3 * H * W);
    values[1234] = Number.NaN;
    return expectStatus(
      predict({ tensor: tensor(values) }),
      status.INVALID_ARGUMENT,
      /^tensor\.raw_data: element 1234 is NaN/,
    );
  });

  it('tensor with too few bytes → INVALID_ARGUMENT naming tensor.raw_data', () =>
    expectStatus(
      predict({ tensor: { ...tensor(new Float32Array(3 * H * W)), rawData: Buffer.alloc(100) } }),
      status.INVALID_ARGUMENT,
      /^tensor\.raw_data: has 100 bytes, expected 36864/,
    ));

  it('tensor with both raw_data and float_data → INVALID_ARGUMENT', () =>
    expectStatus(
      predict({ tensor: { ...tensor(new Float32Array(3 * H * W)), floatData: [1, 2, 3] } }),
      status.INVALID_ARGUMENT,
      /^tensor: set exactly one of raw_data and float_data/,
    ));

  it('tensor given as float_data works like raw_data', async () => {
    const response = await predict({
      tensor: { shape: [1, 3, H, W], dtype: 1, rawData: Buffer.alloc(0), floatData: new Array(3 * H * W).fill(0.5) },
    });
    assert.equal(response.image?.format, 'tensor');
  });

  it('no input at all → INVALID_ARGUMENT naming input', async () => {
    const raw = (t.client as unknown as { client: { predict: (...args: unknown[]) => void } }).client;
    await expectStatus(
      new Promise((resolve, reject) =>
        raw.predict(
          { id: '', model: '', version: 0, topK: 0, resizePolicy: 0, input: undefined },
          (error: unknown, r: unknown) =>
            error
              ? reject(new LuabError((error as { code: number }).code, (error as { details: string }).details))
              : resolve(r),
        ),
      ),
      status.INVALID_ARGUMENT,
      /^input: set either image/,
    );
  });

  it('unknown model → NOT_FOUND naming model and listing the models', () =>
    expectStatus(
      predict({ image: goodImage, model: 'no-such-model' }),
      status.NOT_FOUND,
      /^model: no model named "no-such-model" \(models: centroid, centroid-multi, centroid-squash\)/,
    ));

  it('unknown version → NOT_FOUND naming version and listing the versions', () =>
    expectStatus(
      predict({ image: goodImage, model: 'centroid', version: 2 }),
      status.NOT_FOUND,
      /^version: model "centroid" has no version 2 \(versions: 1, 3\)/,
    ));

  it('top_k above the number of classes → INVALID_ARGUMENT naming top_k', () =>
    expectStatus(
      predict({ image: goodImage, topK: 4 }),
      status.INVALID_ARGUMENT,
      /^top_k: 4 is more than the model's 3 classes/,
    ));

  it('a 20 MB image fits the default message limit', async () => {
    // A valid JPEG followed by padding: decoders stop at the end-of-image marker, the transport carries it all.
    const padded = Buffer.concat([goodImage, Buffer.alloc(20 * 1024 * 1024 - goodImage.length)]);
    const response = await predict({ image: padded });
    assert.equal(response.image?.width, 120);
  });
});

describe('message size limit', function () {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS, maxMessageBytes: 1024 * 1024 });
  });
  after(async () => t.close());

  it('a message over the server limit → RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    const image = await discImage(120, 90, [{ cx: 60, cy: 45, r: 10 }], 'png');
    const tooLarge = Buffer.concat([image, Buffer.alloc(2 * 1024 * 1024)]);
    await expectStatus(t.client.predict({ image: tooLarge }), status.RESOURCE_EXHAUSTED, /larger than max/);
    const response = await t.client.predict({ image });
    assert.equal(response.classes.length, 3);
  });
});
