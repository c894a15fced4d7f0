/**
 * The benchmark's JPEG inputs: photo-like 500x375 images (ImageNet's typical size), generated deterministically
 * so the benchmark runs on a fresh clone and two runs decode exactly the same bytes. A flat synthetic image would
 * flatter the decoder (JPEG decoding cost grows with the entropy of the coefficients), so each image has a colour
 * gradient, soft background blobs, a sharp-edged "object" and sensor-like grain, and is saved at quality 90:
 * the files come out at the size of real photographs of that resolution (tens of KB).
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { ConfigError } from '../../server/config.js';

export const CORPUS_WIDTH = 500;
export const CORPUS_HEIGHT = 375;
const JPEG_QUALITY = 90;
/** Standard deviation of the grain, in 8-bit levels. */
const GRAIN_SIGMA = 18;

export interface BenchImage {
  name: string;
  bytes: Buffer;
}

class Draw {
  constructor(private readonly gen: RandomGenerator) {}
  float(min = 0, max = 1): number {
    return min + (max - min) * uniformFloat64(this.gen);
  }
  colour(): string {
    const channel = () => Math.round(this.float(20, 235));
    return `rgb(${channel()},${channel()},${channel()})`;
  }
}

function sceneSvg(draw: Draw, width: number, height: number): string {
  const blobs = Array.from({ length: 6 }, () => {
    const rx = draw.float(0.1, 0.35) * width;
    const ry = draw.float(0.1, 0.35) * height;
    return (
      `<ellipse cx="${draw.float(0, width)}" cy="${draw.float(0, height)}" rx="${rx}" ry="${ry}" ` +
      `fill="${draw.colour()}" fill-opacity="${draw.float(0.3, 0.7)}" filter="url(#soft)"/>`
    );
  }).join('');
  // The object: a body and a few parts, sharp edges (high-frequency content a photo's subject has).
  const cx = draw.float(0.25, 0.75) * width;
  const cy = draw.float(0.25, 0.75) * height;
  const size = draw.float(0.12, 0.25) * Math.min(width, height);
  const parts = Array.from({ length: 4 }, () => {
    const angle = draw.float(0, 2 * Math.PI);
    const px = cx + Math.cos(angle) * size;
    const py = cy + Math.sin(angle) * size;
    return `<circle cx="${px}" cy="${py}" r="${size * draw.float(0.2, 0.45)}" fill="${draw.colour()}"/>`;
  }).join('');
  const stripes = Array.from(
    { length: 5 },
    (_, i) =>
      `<rect x="${cx - size}" y="${cy - size + i * size * 0.4}" width="${2 * size}" height="${size * 0.12}" ` +
      `fill="${draw.colour()}" transform="rotate(${draw.float(-30, 30)} ${cx} ${cy})"/>`,
  ).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="${draw.float(0, 1)}" y2="1">` +
    `<stop offset="0" stop-color="${draw.colour()}"/><stop offset="1" stop-color="${draw.colour()}"/></linearGradient>` +
    `<filter id="soft"><feGaussianBlur stdDeviation="${draw.float(8, 20)}"/></filter></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#sky)"/>${blobs}` +
    `<ellipse cx="${cx}" cy="${cy}" rx="${size}" ry="${size * draw.float(0.6, 1)}" fill="${draw.colour()}"/>` +
    `${parts}${stripes}</svg>`
  );
}

/** Grain around mid-grey (128), roughly Gaussian: the sum of three uniforms, each 10 bits of one 32-bit draw. */
function grain(gen: RandomGenerator, width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  // The sum of three uniforms on 0..1023 has mean 1534.5 and standard deviation sqrt(3 * (1024^2 - 1) / 12) = 512.
  const scale = GRAIN_SIGMA / 512;
  for (let i = 0; i < pixels.length; i++) {
    const v = gen.next();
    const sum = (v & 1023) + ((v >>> 10) & 1023) + ((v >>> 20) & 1023);
    pixels[i] = Math.max(0, Math.min(255, Math.round(128 + (sum - 1534.5) * scale)));
  }
  return pixels;
}

/** One deterministic photo-like JPEG; `index` picks the scene. */
export async function makeBenchJpeg(index: number, width = CORPUS_WIDTH, height = CORPUS_HEIGHT): Promise<Buffer> {
  const gen = xoroshiro128plus(0x1ab0 + index);
  const svg = sceneSvg(new Draw(gen), width, height);
  return sharp(Buffer.from(svg))
    .composite([{ input: grain(gen, width, height), raw: { width, height, channels: 3 }, blend: 'soft-light' }])
    .removeAlpha()
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer();
}

export async function makeBenchCorpus(count: number): Promise<BenchImage[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({ name: `synthetic-${i}.jpg`, bytes: await makeBenchJpeg(i) })),
  );
}

const JPEG_EXTENSIONS = new Set(['.jpg', '.jpeg']);

/** Every .jpg/.jpeg file of a folder (not recursive), read into memory; fails if there is none. */
export async function loadJpegFolder(dir: string): Promise<BenchImage[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => JPEG_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  } catch (error) {
    throw new ConfigError(`--images: cannot read folder "${dir}" (${(error as Error).message})`);
  }
  if (names.length === 0) throw new ConfigError(`--images: no .jpg or .jpeg file in "${dir}"`);
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })));
}
