/**
 * The bytes the job runner sends for one item: the file itself; the file with its border cut (ObjectNet); or, for
 * the Backgrounds Challenge's adversarial test, a composite made from its parts. Made images are PNG (lossless),
 * so the model sees exactly the pixels the protocol defines.
 */
import { readFile as readFileCallback } from 'node:fs';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { parseNpyMask } from './locations.js';
import type { EvalItem } from './types.js';

// fs.readFile's callback form, not fs/promises': for the small files of a suite the promise API's FileHandle
// round trips cost about 4x the CPU (0.21 against 0.06 ms per 64 px JPEG here), CPU the evaluation process then
// takes from the inference server it shares the machine with.
const readFile = promisify(readFileCallback);

/**
 * background * (1 - mask) + mask * foreground, per pixel and channel (challenge_eval.py with its 0/1 mask). The
 * three must have the same size: the release's foregrounds, masks and backgrounds are all 224 x 224.
 */
export async function compositeBytes(composite: NonNullable<EvalItem['composite']>): Promise<Buffer> {
  const [fg, bg, maskBuffer] = await Promise.all([
    sharp(composite.foreground).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }),
    sharp(composite.background).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }),
    readFile(composite.mask),
  ]);
  const mask = parseNpyMask(maskBuffer, composite.mask);
  const { width, height, channels } = fg.info;
  if (bg.info.width !== width || bg.info.height !== height || bg.info.channels !== channels) {
    throw new Error(
      `composite: background ${composite.background} is ${bg.info.width}x${bg.info.height}x${bg.info.channels}, ` +
        `foreground ${composite.foreground} is ${width}x${height}x${channels}`,
    );
  }
  if (mask.width !== width || mask.height !== height) {
    throw new Error(
      `composite: mask ${composite.mask} is ${mask.width}x${mask.height}, foreground is ${width}x${height}`,
    );
  }
  const out = Buffer.from(bg.data);
  for (let p = 0; p < width * height; p++) {
    if (mask.data[p] === 1) for (let c = 0; c < channels; c++) out[p * channels + c] = fg.data[p * channels + c];
  }
  return sharp(out, { raw: { width, height, channels } }).png().toBuffer();
}

/** The file without `px` pixels on every side (ObjectNet's border), as PNG. */
export async function croppedBytes(file: string, px: number): Promise<Buffer> {
  const image = sharp(file);
  const { width, height } = await image.metadata();
  if (!width || !height || width <= 2 * px || height <= 2 * px) {
    throw new Error(`${file}: ${width}x${height} is too small to remove a ${px}-pixel border`);
  }
  return image
    .extract({ left: px, top: px, width: width - 2 * px, height: height - 2 * px })
    .png()
    .toBuffer();
}

/** Whether the bytes sent are the item's file as it is (most suites), not an image made from it or its parts. */
export const isPlainFile = (item: EvalItem): boolean =>
  !item.composite && !(item.cropBorderPx !== undefined && item.cropBorderPx > 0);

export async function readItemBytes(item: EvalItem): Promise<Buffer> {
  if (item.composite) return compositeBytes(item.composite);
  if (item.cropBorderPx !== undefined && item.cropBorderPx > 0) return croppedBytes(item.absPath, item.cropBorderPx);
  return readFile(item.absPath);
}
