/**
 * Fog: a plasma fractal (diamond-square) brightens the image unevenly, ImageNet-C's construction with its
 * severity parameters (strength; the decay of the fractal's roughness). Diamond-square is written here: it is
 * a dozen lines and no dependency offers it.
 */
import type { Rng } from '../rng.js';
import type { Corruption } from './types.js';
import { defineCorruption, mapUnit } from './types.js';

/** A size x size (power of two) height map in [0, 1]; `decay` divides the random displacement at each level. */
export function plasmaFractal(size: number, decay: number, rng: Rng): Float32Array {
  const map = new Float32Array(size * size);
  const at = (x: number, y: number): number => map[((y + size) % size) * size + ((x + size) % size)];
  let step = size;
  let range = 100;
  while (step >= 2) {
    const half = step / 2;
    for (let y = 0; y < size; y += step) {
      for (let x = 0; x < size; x += step) {
        const mean = (at(x, y) + at(x + step, y) + at(x, y + step) + at(x + step, y + step)) / 4;
        map[(y + half) * size + x + half] = mean + range * rng.uniform(-1, 1);
      }
    }
    for (let y = 0; y < size; y += half) {
      for (let x = (y / half) % 2 === 0 ? half : 0; x < size; x += step) {
        const mean = (at(x - half, y) + at(x + half, y) + at(x, y - half) + at(x, y + half)) / 4;
        map[y * size + x] = mean + range * rng.uniform(-1, 1);
      }
    }
    step = half;
    range /= decay;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  for (let i = 0; i < map.length; i++) map[i] = (map[i] - min) / (max - min || 1);
  return map;
}

export const FOG: Corruption[] = [
  defineCorruption({
    name: 'fog',
    category: 'weather',
    parameter: '[strength, roughness decay] of the fractal fog (ImageNet-C)',
    severities: [
      [1.5, 2],
      [2, 2],
      [2.5, 1.7],
      [2.5, 1.5],
      [3, 1.4],
    ],
    corrupt: async (image, [strength, decay], rng) => {
      const side = 2 ** Math.ceil(Math.log2(image.width));
      const plasma = plasmaFractal(side, decay, rng);
      const max = image.data.reduce((m, v) => Math.max(m, v), 0) / 255;
      return mapUnit(image, (v, i) => {
        const pixel = Math.floor(i / 3);
        const fog = strength * plasma[Math.floor(pixel / image.width) * side + (pixel % image.width)];
        return ((v + fog) * max) / (max + strength);
      });
    },
  }),
];
