/**
 * PredictRequest.resize_policy = KEEP_AT_INPUT_SIZE (the Backgrounds Challenge's and ImageNet-C's no-resize
 * protocols): an image exactly the model's input size reaches the model untouched, so its tensor is the image's
 * pixels normalised and nothing else, and its point needs no mapping; any other size is preprocessed as usual and
 * flagged `resized`.
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DataType } from '../client/luab-client.js';
import { normalise, preprocessImage, type PreprocessSpec } from '../server/preprocess/image-preprocessor.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const SPEC: PreprocessSpec = {
  inputWidth: 64,
  inputHeight: 48,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  cropPct: 0.875,
  cropMode: 'center',
  interpolation: 'bilinear',
};

/** A lossless image of deterministic noise: any resampling at all would change its pixels. */
function noise(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let state = 12345;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    pixels[i] = state >>> 23;
  }
  return pixels;
}

describe('resize policy keep-at-input-size', () => {
  it('passes an image of the input size through untouched: the tensor is its pixels normalised, exactly', async () => {
    const pixels = noise(64, 48);
    const png = await sharp(pixels, { raw: { width: 64, height: 48, channels: 3 } })
      .png()
      .toBuffer();
    const kept = await preprocessImage(png, SPEC, 1e8, 'keep-at-input-size');
    assert.equal(kept.resized, false);
    assert.deepEqual(kept.tensor, normalise(pixels, SPEC));
    assert.deepEqual(
      [kept.geometry.resizedWidth, kept.geometry.resizedHeight, kept.geometry.cropLeft, kept.geometry.cropTop],
      [64, 48, 0, 0],
    );
    // The model's own preprocessing (resize to 73x54, crop) does change the pixels: the check above can fail.
    const model = await preprocessImage(png, SPEC, 1e8, 'model');
    assert.equal(model.resized, true);
    assert.notDeepEqual(model.tensor, kept.tensor);
  });

  it('preprocesses any other size as the model does and says it resized', async () => {
    const png = await sharp(noise(80, 60), { raw: { width: 80, height: 60, channels: 3 } })
      .png()
      .toBuffer();
    const kept = await preprocessImage(png, SPEC, 1e8, 'keep-at-input-size');
    const model = await preprocessImage(png, SPEC, 1e8, 'model');
    assert.equal(kept.resized, true);
    assert.deepEqual(kept.tensor, model.tensor);
    assert.deepEqual(kept.geometry, model.geometry);
  });

  describe('through the server (analytic centroid model)', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ modelsDir: GOOD_MODELS });
    });
    after(async () => t.close());

    it('maps the point exactly: the untouched image answers as its own tensor does', async () => {
      const disc = { cx: 41.5, cy: 17.25, r: 6 };
      const image = await discImage(64, 48, [disc], 'png');
      const kept = await t.client.predict({ image, model: 'centroid', resizePolicy: 'keep-at-input-size' });
      assert.equal(kept.image?.resized, false);
      const { data } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const tensor = normalise(data, SPEC);
      const direct = await t.client.predict({
        model: 'centroid',
        tensor: {
          shape: [3, 48, 64],
          dtype: DataType.DATA_TYPE_FLOAT32,
          rawData: Buffer.from(tensor.buffer),
          floatData: [],
        },
      });
      assert.deepEqual(kept.point, direct.point);
      assert.deepEqual(kept.classes, direct.classes);
      assert.equal(kept.point!.xPx, kept.point!.x * 64);
      assert.equal(kept.point!.yPx, kept.point!.y * 48);
      assert.ok(Math.abs(kept.point!.xPx - disc.cx) < 1 && Math.abs(kept.point!.yPx - disc.cy) < 1);
    });

    it('flags resized for another size under keep-at-input-size and for every image under the default', async () => {
      const other = await discImage(100, 80, [{ cx: 50, cy: 40, r: 8 }], 'png');
      const kept = await t.client.predict({ image: other, model: 'centroid', resizePolicy: 'keep-at-input-size' });
      const model = await t.client.predict({ image: other, model: 'centroid' });
      assert.equal(kept.image?.resized, true);
      assert.deepEqual(kept.point, model.point);
      const same = await discImage(64, 48, [{ cx: 30, cy: 20, r: 5 }], 'png');
      assert.equal((await t.client.predict({ image: same, model: 'centroid' })).image?.resized, true);
    });
  });
});
