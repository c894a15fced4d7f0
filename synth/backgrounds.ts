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
  data: Buffer;
}

/** Decodes photos on first use and keeps them: each is about 0.2 MB raw, and a run crops each thousands of times. */
export class PhotoCache {
  private readonly decoded = new Map<string, Promise<RgbImage>>();

  constructor(private readonly dir = join(assetsDir(), 'backgrounds')) {}

  get(entry: BackgroundIndexEntry): Promise<RgbImage> {
    let photo = this.decoded.get(entry.id);
    if (!photo) {
      photo = sharp(join(this.dir, entry.file))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true })
        .then(({ data, info }) => ({ width: info.width, height: info.height, data }));
      this.decoded.set(entry.id, photo);
    }
    return photo;
  }
}
