/**
 * Pillow's resampling (Image.resize, which torchvision's Resize calls on PIL images), reproduced exactly for 8-bit
 * RGB: pixel-centre sampling, the filter widened by the scale when shrinking, coefficients normalised per output
 * pixel and rounded to 22-bit fixed point, a horizontal pass then a vertical one with the intermediate rounded to
 * 8 bits (Pillow's src/libImaging/Resample.c). The server uses it where libvips and Pillow disagree: when an image
 * is enlarged, libvips' resize samples half an output pixel off Pillow's grid, which moved the served point of
 * upscaled images by +0.5 model pixel (issue #12). Only the crop window is computed, so its cost is that of the
 * model input, not of the resized image. No maintained JS package reproduces Pillow's arithmetic, hence this file.
 */
import type { PreprocessGeometry } from './geometry.js';

export type ResampleFilter = 'bilinear' | 'bicubic' | 'nearest';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

const FILTERS: Record<Exclude<ResampleFilter, 'nearest'>, { support: number; weight: (x: number) => number }> = {
  bilinear: { support: 1, weight: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** `stride` fixed-point weights per output pixel. */
  weights: Float64Array;
  stride: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for output pixels [from, from + n) of an axis. */
function taps(inSize: number, outSize: number, from: number, n: number, filter: ResampleFilter): Taps {
  const scale = inSize / outSize;
  if (filter === 'nearest') {
    // Pillow's NEAREST samples the source pixel under each output pixel's centre.
    const first = new Int32Array(n);
    for (let i = 0; i < n; i++) first[i] = Math.min(inSize - 1, Math.floor((from + i + 0.5) * scale));
    return { first, count: new Int32Array(n).fill(1), weights: new Float64Array(n).fill(ONE), stride: 1 };
  }
  const { support: baseSupport, weight } = FILTERS[filter];
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Float64Array(n * stride);
  const k = new Float64Array(stride);
  for (let i = 0; i < n; i++) {
    const center = (from + i + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xcount = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xcount; x++) {
      const w = weight((x + xmin - center + 0.5) / filterScale);
      k[x] = w;
      total += w;
    }
    for (let x = 0; x < xcount; x++) {
      const w = total !== 0 ? k[x] / total : k[x];
      // C's (int) truncation of 0.5 + w * ONE (or -0.5 + ... for negatives): round half away from zero.
      weights[i * stride + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[i] = xmin;
    count[i] = xcount;
  }
  return { first, count, weights, stride };
}

const clip8 = (fixed: number) => {
  const v = Math.floor(fixed / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * The model input (the crop of the resized image) from interleaved RGB `pixels` of `width` x `height`, as Pillow's
 * resize to geometry.resized* followed by the crop would give it.
 */
export function resampleCrop(
  pixels: Uint8Array,
  width: number,
  height: number,
  geometry: PreprocessGeometry,
  filter: ResampleFilter,
): Uint8Array {
  const { inputWidth: outW, inputHeight: outH } = geometry;
  const h = taps(width, geometry.resizedWidth, geometry.cropLeft, outW, filter);
  const v = taps(height, geometry.resizedHeight, geometry.cropTop, outH, filter);
  // The source rows the vertical pass reads: only those get the horizontal pass.
  const rowFrom = v.first[0];
  const rowTo = v.first[outH - 1] + v.count[outH - 1];
  const rows = rowTo - rowFrom;
  const horizontal = new Uint8Array(rows * outW * 3);
  for (let y = 0; y < rows; y++) {
    const source = (rowFrom + y) * width * 3;
    for (let x = 0; x < outW; x++) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      const base = x * h.stride;
      for (let t = 0; t < h.count[x]; t++) {
        const w = h.weights[base + t];
        const p = source + (h.first[x] + t) * 3;
        r += pixels[p] * w;
        g += pixels[p + 1] * w;
        b += pixels[p + 2] * w;
      }
      const o = (y * outW + x) * 3;
      horizontal[o] = clip8(r);
      horizontal[o + 1] = clip8(g);
      horizontal[o + 2] = clip8(b);
    }
  }
  const out = new Uint8Array(outW * outH * 3);
  const rowBytes = outW * 3;
  for (let y = 0; y < outH; y++) {
    const base = y * v.stride;
    const top = v.first[y] - rowFrom;
    for (let i = 0; i < rowBytes; i++) {
      let sum = HALF;
      for (let t = 0; t < v.count[y]; t++) sum += horizontal[(top + t) * rowBytes + i] * v.weights[base + t];
      out[y * rowBytes + i] = clip8(sum);
    }
  }
  return out;
}
