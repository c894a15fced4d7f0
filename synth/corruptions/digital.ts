/** Pixelation and JPEG artefacts, with ImageNet-C's severity parameters; both run in sharp. */
import sharp from 'sharp';
import type { Corruption } from './types.js';
import { defineCorruption } from './types.js';

export const DIGITAL: Corruption[] = [
  defineCorruption({
    name: 'pixelate',
    category: 'digital',
    parameter: 'downscale factor before the nearest-neighbour upscale',
    severities: [0.6, 0.5, 0.4, 0.3, 0.25],
    corrupt: async (image, factor) => {
      const small = Math.max(1, Math.round(image.width * factor));
      const reduced = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .resize(small, small, { kernel: 'linear' })
        .raw()
        .toBuffer();
      return sharp(reduced, { raw: { width: small, height: small, channels: 3 } })
        .resize(image.width, image.height, { kernel: 'nearest' })
        .raw()
        .toBuffer();
    },
  }),
  defineCorruption({
    name: 'jpeg_compression',
    category: 'digital',
    parameter: 'JPEG quality',
    severities: [25, 18, 15, 10, 7],
    corrupt: async (image, quality) => {
      const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
        .jpeg({ quality })
        .toBuffer();
      return sharp(jpeg).raw().toBuffer();
    },
  }),
];
