// Every ImageNet-C-style corruption: deterministic for its stream, same size out, and harder with each severity
// (lower SSIM to the clean image, averaged over real background crops from the committed photos).
import assert from 'node:assert/strict';
import { decodePhoto, loadBackgroundIndex, mipLevels, type RgbImage } from '../../synth/backgrounds.js';
import { CORRUPTION_NAMES } from '../../synth/corruptions/names.js';
import { corruption } from '../../synth/corruptions/registry.js';
import { resampleCrop } from '../../synth/raster.js';
import { Rng } from '../../synth/rng.js';
import { meanSsim } from './ssim.js';

const SIZE = 64;

describe('synth corruptions', () => {
  const images: RgbImage[] = [];

  before(async () => {
    const photos = loadBackgroundIndex().photos;
    for (let k = 0; k < 6; k++) {
      const photo = await decodePhoto(photos[k * 17]);
      const side = Math.min(photo.width, photo.height);
      images.push({
        width: SIZE,
        height: SIZE,
        data: resampleCrop(mipLevels(photo, SIZE), { x: 0, y: 0, side, flip: false }, SIZE),
      });
    }
  });

  for (const name of CORRUPTION_NAMES) {
    it(`${name}: deterministic, and further from the clean image at each severity`, async () => {
      const c = corruption(name);
      assert.equal(c.severities.length, 5);
      const damage: number[] = [];
      for (let s = 1; s <= 5; s++) {
        let sum = 0;
        for (const [k, image] of images.entries()) {
          const out = await c.apply(image, s, new Rng(1, name, s, k));
          assert.equal(out.length, image.data.length);
          sum += 1 - meanSsim(out, image.data, SIZE, SIZE);
        }
        damage.push(sum / images.length);
      }
      const shown = damage.map((d) => d.toFixed(3)).join(' ');
      for (let s = 1; s < 5; s++) assert.ok(damage[s] > damage[s - 1], `${name}: 1 - SSIM per severity ${shown}`);
      assert.ok(damage[0] > 0.005, `${name}: severity 1 changes the image (${shown})`);
      const a = await c.apply(images[0], 3, new Rng(9, 'same'));
      const b = await c.apply(images[0], 3, new Rng(9, 'same'));
      assert.ok(Buffer.from(a).equals(Buffer.from(b)));
    });
  }

  it('refuses a severity outside 1..5', async () => {
    await assert.rejects(
      async () => corruption('fog').apply(images[0], 6, new Rng(0)),
      /fog: severity 6 is outside 1\.\.5/,
    );
  });
});
