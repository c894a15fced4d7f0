/** Brightness and contrast, with ImageNet-C's severity parameters. */
import type { Corruption } from './types.js';
import { defineCorruption, mapUnit } from './types.js';

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
      // ImageNet-C: (x - per-channel mean over the image) * c + mean.
      const means = [0, 1, 2].map(
        (c) => image.data.reduce((sum, v, i) => (i % 3 === c ? sum + v : sum), 0) / (image.width * image.height * 255),
      );
      return mapUnit(image, (v, i) => (v - means[i % 3]) * factor + means[i % 3]);
    },
  }),
];
