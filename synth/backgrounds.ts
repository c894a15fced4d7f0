/**
 * The committed background photographs (synth/assets/backgrounds/): their index, and decoded pixels for cropping.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { assetsDir } from './paths.js';

/** One downscaled photo, as synth/assets/fetch-backgrounds.ts records it in index.json. */
export interface BackgroundIndexEntry {
  id: string;
  file: string;
  scene: string;
  width: number;
  height: number;
  package: string;
  package_version: string;
  path: string;
  licence: string;
  copyright: string;
  copyright_pattern: string | null;
  original_width: number;
  original_height: number;
}

export interface BackgroundIndex {
  short_side: number;
  jpeg_quality: number;
  photos: BackgroundIndexEntry[];
}

/** Reads index.json; a missing or malformed index names the file (the photos are committed, so this is a bug). */
export function loadBackgroundIndex(dir = join(assetsDir(), 'backgrounds')): BackgroundIndex {
  const file = join(dir, 'index.json');
  let parsed: BackgroundIndex;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as BackgroundIndex;
  } catch (err) {
    throw new Error(`cannot read the background index ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed.photos) || parsed.photos.length === 0)
    throw new Error(`${file}: "photos" must be a non-empty array`);
  return parsed;
}

/** A decoded photo: packed RGB bytes, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export async function decodePhoto(
  entry: BackgroundIndexEntry,
  dir = join(assetsDir(), 'backgrounds'),
): Promise<RgbImage> {
  const { data, info } = await sharp(join(dir, entry.file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Half the size by averaging 2 x 2 blocks (the last odd row/column is dropped). */
export function halve(image: RgbImage): RgbImage {
  const width = Math.floor(image.width / 2);
  const height = Math.floor(image.height / 2);
  const data = new Uint8Array(width * height * 3);
  const src = image.data;
  const stride = image.width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 2 * y * stride + 2 * x * 3;
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] =
          (src[o + c] + src[o + 3 + c] + src[o + stride + c] + src[o + stride + 3 + c] + 2) >> 2;
    }
  }
  return { width, height, data };
}

/**
 * The photo and its halvings down to `minShortSide`: crops then sample the level nearest their scale, so a crop of
 * 256 px rendered at 64 px averages 2 x 2 samples of the quarter-size level instead of 4 x 4 of the full one.
 */
export function mipLevels(image: RgbImage, minShortSide: number): RgbImage[] {
  const levels = [image];
  for (;;) {
    const last = levels[levels.length - 1];
    if (Math.min(last.width, last.height) / 2 < minShortSide) return levels;
    levels.push(halve(last));
  }
}
