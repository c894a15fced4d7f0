/** Brightness and contrast, with ImageNet-C's severity parameters. */
import type { Corruption } from './types.js';
import { defineCorruption } from './types.js';

export const PHOTOMETRIC: Corruption[] = [
  defineCorruption({
    name: 'brightness',
    category: 'weather',
    parameter: 'amount added to the HSV value channel (values in [0, 1])',
    severities: [0.1, 0.2, 0.3, 0.4, 0.5],
    corrupt: async (image, amount) => {
      // Adding to V with hue and saturation fixed is a per-pixel scaling of R, G, B by (V + amount) / V, since
      // V = max(R, G, B) and S = 1 - min / max are both preserved by a common scale (ImageNet-C clips V at 1).
      const out = Buffer.alloc(image.data.length);
      for (let i = 0; i < image.data.length; i += 3) {
        const v = Math.max(image.data[i], image.data[i + 1], image.data[i + 2]) / 255;
        const target = Math.min(1, v + amount);
        if (v === 0) {
          out.fill(Math.round(target * 255), i, i + 3);
          continue;
        }
        for (let c = 0; c < 3; c++) out[i + c] = Math.min(255, Math.round(image.data[i + c] * (target / v)));
      }
      return out;
    },
  }),
  defineCorruption({
    name: 'contrast',
    category: 'digital',
    parameter: 'factor applied to the deviation from the mean (smaller is flatter)',
    severities: [0.4, 0.3, 0.2, 0.1, 0.05],
    corrupt: async (image, factor) => {
      // ImageNet-C: (x - per-channel-mean over the image) * c + mean.
      const out = Buffer.alloc(image.data.length);
      const n = image.width * image.height;
      for (let c = 0; c < 3; c++) {
        let mean = 0;
        for (let i = c; i < image.data.length; i += 3) mean += image.data[i];
        mean /= n;
        for (let i = c; i < image.data.length; i += 3) out[i] = Math.round((image.data[i] - mean) * factor + mean);
      }
      return out;
    },
  }),
];
