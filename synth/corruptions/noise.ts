/** Noise corruptions, with ImageNet-C's severity parameters (they are per pixel, so they need no rescaling). */
import type { Corruption } from './types.js';
import { defineCorruption, mapUnit } from './types.js';

export const NOISE: Corruption[] = [
  defineCorruption({
    name: 'gaussian_noise',
    category: 'noise',
    parameter: 'standard deviation (pixel values in [0, 1])',
    severities: [0.08, 0.12, 0.18, 0.26, 0.38],
    corrupt: async (image, sd, rng) => mapUnit(image, (v) => v + sd * rng.normal()),
  }),
  defineCorruption({
    name: 'shot_noise',
    category: 'noise',
    parameter: 'photons per unit intensity (Poisson; fewer is noisier)',
    severities: [60, 25, 12, 5, 3],
    corrupt: async (image, photons, rng) => mapUnit(image, (v) => rng.poisson(v * photons) / photons),
  }),
  defineCorruption({
    name: 'impulse_noise',
    category: 'noise',
    parameter: 'fraction of values set to 0 or 1 (salt and pepper)',
    severities: [0.03, 0.06, 0.09, 0.17, 0.27],
    corrupt: async (image, amount, rng) =>
      mapUnit(image, (v) => (rng.bernoulli(amount) ? (rng.bernoulli(0.5) ? 1 : 0) : v)),
  }),
  defineCorruption({
    name: 'speckle_noise',
    category: 'noise',
    parameter: 'standard deviation of the multiplicative noise',
    severities: [0.15, 0.2, 0.35, 0.45, 0.6],
    corrupt: async (image, sd, rng) => mapUnit(image, (v) => v + v * sd * rng.normal()),
  }),
];
