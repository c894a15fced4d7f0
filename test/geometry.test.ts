/**
 * The preprocessing geometry against the contract's golden cases (test/fixtures/contract/geometry-cases.json,
 * generated from torchvision's own Resize + CenterCrop by trainer/scripts/make_geometry_cases.py; the trainer's
 * tests check its implementation against the same file), plus the rounding rule on its own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeGeometry, mapPointToImage, roundHalfEven, type CropMode } from '../server/preprocess/geometry.js';
import { FIXTURES } from './helpers/paths.js';

interface GoldenCase {
  image: [number, number]; // [W0, H0]
  input: [number, number]; // [H, W]
  crop_pct: number;
  crop_mode: CropMode;
  resized: [number, number]; // [Rw, Rh]
  crop: { left: number; top: number };
  points: { model: [number, number]; image: [number, number]; image_px: [number, number] }[];
}

const cases: GoldenCase[] = JSON.parse(readFileSync(join(FIXTURES, 'contract', 'geometry-cases.json'), 'utf8'));

describe('preprocessing geometry', () => {
  it('rounds halves to even, as Python does', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 4, -2, 2, 3]);
  });

  it('has golden cases covering both crop modes, portrait, landscape and half-pixel crops', () => {
    assert.ok(cases.length >= 15, `${cases.length} cases`);
    assert.ok(cases.some((c) => c.crop_mode === 'squash') && cases.some((c) => c.crop_mode === 'center'));
    assert.ok(cases.some((c) => c.image[0] > c.image[1]) && cases.some((c) => c.image[0] < c.image[1]));
    assert.ok(
      cases.some((c) => (c.resized[0] - c.input[1]) % 2 === 1),
      'an odd remainder (banker rounding)',
    );
  });

  for (const c of cases) {
    const name = `${c.image[0]}x${c.image[1]} → ${c.input[1]}x${c.input[0]} crop_pct ${c.crop_pct} ${c.crop_mode}`;
    it(`reproduces torchvision: ${name}`, () => {
      const g = computeGeometry(c.image[0], c.image[1], c.input[1], c.input[0], c.crop_pct, c.crop_mode);
      assert.deepEqual([g.resizedWidth, g.resizedHeight], c.resized);
      assert.deepEqual({ left: g.cropLeft, top: g.cropTop }, c.crop);
      for (const p of c.points) {
        const mapped = mapPointToImage(p.model[0], p.model[1], g);
        assert.ok(Math.abs(mapped.x - p.image[0]) < 1e-9 && Math.abs(mapped.y - p.image[1]) < 1e-9, `${p.model}`);
        assert.ok(Math.abs(mapped.xPx - p.image_px[0]) < 1e-6 && Math.abs(mapped.yPx - p.image_px[1]) < 1e-6);
      }
    });
  }
});
