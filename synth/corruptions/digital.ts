/** Pixelation and JPEG artefacts, with ImageNet-C's severity parameters. */
import sharp from 'sharp';
import { boxResize } from './box-resize.js';
import type { Corruption } from './types.js';
import { defineCorruption } from './types.js';

export const DIGITAL: Corruption[] = [
  defineCorruption({
    name: 'pixelate',
    category: 'digital',
    parameter: 'downscale factor; box filter down and back up, as ImageNet-C (PIL BOX both ways)',
    severities: [0.6, 0.5, 0.4, 0.3, 0.25],
    corrupt: async (image, factor) => {
      const small = Math.max(1, Math.round(image.width * factor));
      const reduced = boxResize(image.data, image.width, image.height, small, small);
      return Buffer.from(boxResize(reduced, small, small, image.width, image.height));
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
