/**
 * Blur corruptions. Convolutions run in sharp (libvips); the kernels are built here. Radii are ImageNet-C's at
 * 224 px, scaled to the image size so a 64 px image loses as much of the object's detail as a 224 px one.
 */
import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../backgrounds.js';
import { resampleCrop } from '../raster.js';
import type { Corruption } from './types.js';
import { defineCorruption, spatialScale } from './types.js';

const raw = (image: RgbImage): Sharp =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });

async function convolve(image: RgbImage, kernel: number[], side: number): Promise<Buffer> {
  const sum = kernel.reduce((a, b) => a + b, 0);
  // Extend the image by mirroring first: libvips' convolution pads with black, which would darken the borders.
  // (sharp runs `extract` before other operations in a pipeline, so the padding is cut off here instead.)
  const pad = (side - 1) / 2;
  const padded = await raw(image)
    .extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: 'mirror' })
    .convolve({ width: side, height: side, kernel, scale: sum })
    .raw()
    .toBuffer();
  const paddedWidth = image.width + 2 * pad;
  const out = Buffer.alloc(image.width * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    const from = ((y + pad) * paddedWidth + pad) * 3;
    padded.copy(out, y * image.width * 3, from, from + image.width * 3);
  }
  return out;
}

/**
 * A sampled Gaussian out to 3 sigma. Built here rather than sharp's blur(), whose libvips kernel is cut at an
 * amplitude that leaves sigma 0.5 with a single tap (the image unchanged).
 */
export function gaussianKernel(sigma: number): { kernel: number[]; side: number } {
  const half = Math.max(1, Math.ceil(3 * sigma));
  const side = 2 * half + 1;
  const kernel: number[] = [];
  for (let y = -half; y <= half; y++)
    for (let x = -half; x <= half; x++) kernel.push(Math.exp(-(x * x + y * y) / (2 * sigma * sigma)));
  return { kernel, side };
}

/** An anti-aliased disk: each cell weighted by the fraction of it inside the circle (4x4 sub-samples). */
export function diskKernel(radius: number): { kernel: number[]; side: number } {
  const half = Math.ceil(radius);
  const side = 2 * half + 1;
  const kernel: number[] = [];
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) {
      let inside = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++)
          if ((x - 0.375 + sx / 4) ** 2 + (y - 0.375 + sy / 4) ** 2 <= radius * radius) inside++;
      kernel.push(inside / 16);
    }
  }
  return { kernel, side };
}

/** An anti-aliased line segment of the given length through the centre, at `angleDeg`. */
export function lineKernel(length: number, angleDeg: number): { kernel: number[]; side: number } {
  const half = Math.ceil(length / 2);
  const side = 2 * half + 1;
  const kernel = new Array<number>(side * side).fill(0);
  const t = (angleDeg * Math.PI) / 180;
  const steps = Math.max(8, Math.ceil(length * 8));
  for (let i = 0; i <= steps; i++) {
    const d = (i / steps - 0.5) * length;
    const x = half + d * Math.cos(t);
    const y = half - d * Math.sin(t);
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    const fx = x - ix;
    const fy = y - iy;
    const spread: Array<[number, number, number]> = [
      [ix, iy, (1 - fx) * (1 - fy)],
      [ix + 1, iy, fx * (1 - fy)],
      [ix, iy + 1, (1 - fx) * fy],
      [ix + 1, iy + 1, fx * fy],
    ];
    for (const [px, py, w] of spread) if (px >= 0 && py >= 0 && px < side && py < side) kernel[py * side + px] += w;
  }
  return { kernel, side };
}

export const BLUR: Corruption[] = [
  defineCorruption({
    name: 'defocus_blur',
    category: 'blur',
    parameter: 'disk radius in pixels at 224 px (scaled to the image size)',
    severities: [3, 4, 6, 8, 10],
    corrupt: async (image, radius) => {
      const { kernel, side } = diskKernel(Math.max(0.5, radius * spatialScale(image.width)));
      return convolve(image, kernel, side);
    },
  }),
  defineCorruption({
    name: 'gaussian_blur',
    category: 'blur',
    parameter: 'sigma in pixels at 224 px (scaled to the image size)',
    severities: [1, 2, 3, 4, 6],
    corrupt: async (image, sigma) => {
      const { kernel, side } = gaussianKernel(sigma * spatialScale(image.width));
      return convolve(image, kernel, side);
    },
  }),
  defineCorruption({
    name: 'motion_blur',
    category: 'blur',
    parameter: 'streak length in pixels at 224 px (scaled), random direction within 45 degrees of horizontal',
    severities: [6, 10, 16, 24, 30],
    corrupt: async (image, length, rng) => {
      const { kernel, side } = lineKernel(Math.max(1, length * spatialScale(image.width)), rng.uniform(-45, 45));
      return convolve(image, kernel, side);
    },
  }),
  defineCorruption({
    name: 'zoom_blur',
    category: 'blur',
    parameter: 'largest zoom factor (the image is averaged with zooms from 1 up to it)',
    severities: [1.11, 1.16, 1.21, 1.26, 1.31],
    corrupt: async (image, maxZoom) => {
      // ImageNet-C: the mean of the image and centre zooms in steps of 0.01-0.03; we use 6 equal steps.
      const size = image.width;
      const acc = new Float32Array(image.data.length);
      for (let i = 0; i < image.data.length; i++) acc[i] = image.data[i];
      const steps = 6;
      for (let k = 1; k <= steps; k++) {
        const zoom = 1 + ((maxZoom - 1) * k) / steps;
        const side = size / zoom;
        const zoomed = resampleCrop([image], { x: (size - side) / 2, y: (size - side) / 2, side, flip: false }, size);
        for (let i = 0; i < acc.length; i++) acc[i] += zoomed[i];
      }
      const out = Buffer.alloc(acc.length);
      for (let i = 0; i < acc.length; i++) out[i] = Math.round(acc[i] / (steps + 1));
      return out;
    },
  }),
];
