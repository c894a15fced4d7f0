/**
 * The exact point mapping, end to end through the real server: analytic models (test/fixtures/models) whose
 * point is the intensity-weighted centroid of the model input, on non-square images, every EXIF orientation,
 * both crop modes and a multi-label model. The centroid of a disc is its centre, so the server's answer must
 * land on the disc's centre in the original image, within one model-input pixel.
 */
import assert from 'node:assert/strict';
import { computeGeometry } from '../server/preprocess/geometry.js';
import type { PredictResponse } from '../client/luab-client.js';
import { discImage, orientedDiscJpeg, type Format } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const INPUT = { width: 64, height: 48 };

/** Error of a predicted point in model-input pixels (what "within one model-input pixel" measures). */
function errorInInputPixels(
  point: { x: number; y: number },
  expected: { x: number; y: number },
  image: { width: number; height: number },
  cropPct: number,
  cropMode: 'center' | 'squash',
): { dx: number; dy: number } {
  const g = computeGeometry(image.width, image.height, INPUT.width, INPUT.height, cropPct, cropMode);
  return {
    dx: Math.abs(point.x - expected.x / image.width) * g.resizedWidth,
    dy: Math.abs(point.y - expected.y / image.height) * g.resizedHeight,
  };
}

function assertOnDisc(
  response: PredictResponse,
  disc: { cx: number; cy: number },
  size: { width: number; height: number },
  cropPct = 0.875,
  cropMode: 'center' | 'squash' = 'center',
) {
  assert.ok(response.point, 'response has a point');
  assert.deepEqual({ width: response.image?.width, height: response.image?.height }, size);
  const { dx, dy } = errorInInputPixels(response.point, { x: disc.cx, y: disc.cy }, size, cropPct, cropMode);
  assert.ok(dx <= 1 && dy <= 1, `point off by (${dx.toFixed(3)}, ${dy.toFixed(3)}) model-input pixels`);
  // Pixels and normalised coordinates describe the same point.
  assert.ok(Math.abs(response.point.xPx - response.point.x * size.width) < 1e-3);
  assert.ok(Math.abs(response.point.yPx - response.point.y * size.height) < 1e-3);
}

describe('point mapping (analytic centroid models)', function () {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
  });
  after(async () => t.close());

  const sizes = [
    { width: 300, height: 200 }, // landscape, wider than the 4:3 input
    { width: 200, height: 320 }, // portrait
    { width: 640, height: 481 }, // odd sizes, crop offsets with halves
    { width: 97, height: 61 }, // smaller than the resize target: upsampled
  ];
  for (const size of sizes) {
    for (const format of ['png', 'jpeg'] as Format[]) {
      it(`lands on the object in a ${size.width}x${size.height} ${format}`, async () => {
        // Off-centre and asymmetric, but inside the centre crop (crop_pct 0.875 trims up to ~12% per side).
        const disc = { cx: size.width * 0.62, cy: size.height * 0.37, r: Math.min(size.width, size.height) * 0.08 };
        const image = await discImage(size.width, size.height, [disc], format);
        const response = await t.client.predict({ image, model: 'centroid' });
        assertOnDisc(response, disc, size);
      });
    }
  }

  for (let orientation = 1; orientation <= 8; orientation++) {
    it(`applies EXIF orientation ${orientation} before mapping the point`, async () => {
      const size = { width: 360, height: 240 }; // the DISPLAYED size
      const disc = { cx: 250, cy: 80, r: 18 };
      const image = await orientedDiscJpeg(orientation, size.width, size.height, disc);
      const response = await t.client.predict({ image, model: 'centroid' });
      assert.equal(response.image?.orientation, orientation);
      assertOnDisc(response, disc, size);
    });
  }

  it('maps through a squash resize (crop_pct 1.0, aspect ratio not kept)', async () => {
    const size = { width: 400, height: 150 };
    const disc = { cx: 90, cy: 110, r: 12 };
    const image = await discImage(size.width, size.height, [disc]);
    const response = await t.client.predict({ image, model: 'centroid-squash' });
    assertOnDisc(response, disc, size, 1.0, 'squash');
  });

  it('gives a multi-label model one point per class, each on its own object', async () => {
    const size = { width: 320, height: 240 };
    const discs = [
      { cx: 100, cy: 70, r: 14, colour: '#ff0000' },
      { cx: 230, cy: 90, r: 14, colour: '#00ff00' },
      { cx: 160, cy: 180, r: 14, colour: '#0000ff' },
    ];
    const image = await discImage(size.width, size.height, discs);
    const response = await t.client.predict({ image, model: 'centroid-multi', topK: 3 });
    assert.equal(response.point, undefined);
    assert.equal(response.classPoints.length, 3);
    const byLabel = new Map(response.classPoints.map((cp) => [cp.label, cp]));
    for (const [label, disc] of [
      ['red', discs[0]],
      ['green', discs[1]],
      ['blue', discs[2]],
    ] as const) {
      const cp = byLabel.get(label);
      assert.ok(cp?.point, `a point for ${label}`);
      const { dx, dy } = errorInInputPixels(cp.point, { x: disc.cx, y: disc.cy }, size, 0.875, 'center');
      assert.ok(dx <= 1 && dy <= 1, `${label} off by (${dx.toFixed(3)}, ${dy.toFixed(3)}) model-input pixels`);
    }
  });

  it('returns tensor-input points in the tensor frame', async () => {
    // A tensor already preprocessed: a single bright pixel at column 40, row 12 of the 64 x 48 input.
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const values = new Float32Array(3 * INPUT.height * INPUT.width);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < INPUT.height * INPUT.width; i++) {
        const on = i === 12 * INPUT.width + 40 ? 1 : 0;
        values[c * INPUT.height * INPUT.width + i] = (on - mean[c]) / std[c];
      }
    }
    const tensor = {
      shape: [3, INPUT.height, INPUT.width],
      dtype: 1,
      rawData: Buffer.from(values.buffer),
      floatData: [],
    };
    const response = await t.client.predict({ tensor, model: 'centroid' });
    assert.equal(response.image?.format, 'tensor');
    assert.ok(Math.abs(response.point!.xPx - 40.5) < 0.05, `x_px ${response.point!.xPx}`);
    assert.ok(Math.abs(response.point!.yPx - 12.5) < 0.05, `y_px ${response.point!.yPx}`);
  });
});
