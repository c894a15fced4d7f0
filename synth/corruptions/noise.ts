/** Noise corruptions, with ImageNet-C's severity parameters (they are per pixel, so they need no rescaling). */
import type { Corruption } from './types.js';
import { defineCorruption, toBytes, toUnit } from './types.js';

export const NOISE: Corruption[] = [
  defineCorruption({
    name: 'gaussian_noise',
    category: 'noise',
    parameter: 'standard deviation (pixel values in [0, 1])',
    severities: [0.08, 0.12, 0.18, 0.26, 0.38],
    corrupt: async (image, sd, rng) => {
      const x = toUnit(image.data);
      for (let i = 0; i < x.length; i++) x[i] += sd * rng.normal();
      return toBytes(x);
    },
  }),
  defineCorruption({
    name: 'shot_noise',
    category: 'noise',
    parameter: 'photons per unit intensity (Poisson; fewer is noisier)',
    severities: [60, 25, 12, 5, 3],
    corrupt: async (image, photons, rng) => {
      const x = toUnit(image.data);
      for (let i = 0; i < x.length; i++) x[i] = rng.poisson(x[i] * photons) / photons;
      return toBytes(x);
    },
  }),
  defineCorruption({
    name: 'impulse_noise',
    category: 'noise',
    parameter: 'fraction of values set to 0 or 1 (salt and pepper)',
    severities: [0.03, 0.06, 0.09, 0.17, 0.27],
    corrupt: async (image, amount, rng) => {
      const out = Buffer.from(image.data);
      for (let i = 0; i < out.length; i++) if (rng.bernoulli(amount)) out[i] = rng.bernoulli(0.5) ? 255 : 0;
      return out;
    },
  }),
  defineCorruption({
    name: 'speckle_noise',
    category: 'noise',
    parameter: 'standard deviation of the multiplicative noise',
    severities: [0.15, 0.2, 0.35, 0.45, 0.6],
    corrupt: async (image, sd, rng) => {
      const x = toUnit(image.data);
      for (let i = 0; i < x.length; i++) x[i] += x[i] * sd * rng.normal();
      return toBytes(x);
    },
  }),
];
