/**
 * Encoded image → model input, with sharp (libvips), following the contract of docs/model-repository.md: decode,
 * EXIF orientation, the colour policy (embedded ICC profiles ignored, CMYK by Pillow's formula, alpha flattened
 * onto white), resize and centre crop with Pillow's pixel-centre convention, RGB; then (v / 255 - mean) / std
 * into an NCHW float32 tensor. Every way an image can be bad becomes INVALID_ARGUMENT naming the `image` field.
 *
 * The cheap path, per image: the JPEG header is read in JS (no second libvips job for metadata), one libvips
 * pipeline decodes with JPEG shrink-on-load (sharp picks the DCT scale that keeps the decoded image at least the
 * resize target), resizes, crops and returns the crop's RGB bytes. The normalisation to float32 is left to the
 * inference worker (decodeImage() returns the bytes; the batcher packs them and the worker normalises), so the main
 * thread moves a quarter of the bytes and does no per-pixel arithmetic. preprocessImage() does both steps here, for
 * callers that need the tensor itself.
 */
import sharp, { type SharpOptions } from 'sharp';
import { invalidArgument } from '../errors.js';
import { geometryForPolicy, type CropMode, type PreprocessGeometry } from './geometry.js';
import { readJpegHeader } from './jpeg-header.js';
import { resampleCrop } from './pil-resample.js';

/**
 * libvips' operation cache only pays off when the same image is processed again; every request is a new image,
 * and looking operations up in it (and holding the decoded inputs) cost ~0.3 ms CPU per image here. Process-wide,
 * so the server calls it (Predictor) rather than this module's import, which other commands (synth) share.
 */
export function disableLibvipsCache(): void {
  sharp.cache(false);
}

export interface PreprocessSpec {
  inputWidth: number;
  inputHeight: number;
  mean: readonly number[];
  std: readonly number[];
  cropPct: number;
  cropMode: CropMode;
  interpolation: 'bilinear' | 'bicubic' | 'nearest';
}

export interface DecodedImage {
  /** The model input's pixels, interleaved RGB (HWC), 8 bits, inputWidth x inputHeight. */
  pixels: Uint8Array;
  geometry: PreprocessGeometry;
  format: string;
  /** EXIF orientation tag (1-8), 0 when absent. */
  orientation: number;
  /** False when the image went in untouched (`keep-at-input-size` and already the input size). */
  resized: boolean;
}

export interface PreprocessedImage extends Omit<DecodedImage, 'pixels'> {
  /** [3, H, W] float32, normalised. */
  tensor: Float32Array;
}

/** How an encoded image reaches the model (PredictRequest.resize_policy). */
export type ResizePolicy = 'model' | 'keep-at-input-size';

/** Formats a client may send; sharp can read more (SVG, PDF, ...) but those are not images to classify. */
const ACCEPTED_FORMATS = new Map([
  ['jpeg', 'JPEG'],
  ['png', 'PNG'],
  ['webp', 'WebP'],
  ['gif', 'GIF'],
  ['tiff', 'TIFF'],
  ['heif', 'AVIF/HEIF'],
]);
const ACCEPTED_LIST = 'JPEG, PNG, WebP, GIF, TIFF, AVIF';

export const KERNELS = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest' } as const;

/** The contract's alpha policy: transparent pixels are composited onto white (the trainer does the same). */
export const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

interface Header {
  format: string;
  width: number;
  height: number;
  orientation: number;
  cmyk: boolean;
}

/** The stored size, orientation and colour space: from the JPEG markers when possible, else sharp's metadata(). */
async function readHeader(bytes: Uint8Array, options: SharpOptions): Promise<Header> {
  const jpeg = readJpegHeader(bytes);
  if (jpeg) {
    return { format: 'jpeg', ...jpeg, cmyk: jpeg.components === 4 };
  }
  try {
    // Header only, without the pixel limit, so an oversized image is reported with its size below.
    const metadata = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
    return {
      format: metadata.format ?? 'unknown',
      width: metadata.width ?? 0,
      height: metadata.height ?? 0,
      orientation: metadata.orientation ?? 0,
      cmyk: metadata.space === 'cmyk',
    };
  } catch (error) {
    throw invalidArgument('image', `cannot be decoded as ${ACCEPTED_LIST} (${(error as Error).message})`);
  }
}

/** Decodes, orients, resizes and crops: the model input's RGB bytes, not yet normalised. */
export async function decodeImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  maxPixels: number,
  policy: ResizePolicy = 'model',
): Promise<DecodedImage> {
  if (bytes.length === 0) throw invalidArgument('image', 'is empty (0 bytes)');
  // failOn 'truncated': a cut-off file is an error rather than an image with a grey bottom half. ignoreIcc: the
  // contract does no colour management (Pillow, which the trainer decodes with, ignores embedded profiles).
  const options: SharpOptions = { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1, ignoreIcc: true };
  const header = await readHeader(bytes, options);
  const { format, width: rawWidth, height: rawHeight, orientation } = header;
  if (!ACCEPTED_FORMATS.has(format)) {
    throw invalidArgument('image', `format "${format}" is not accepted (send ${ACCEPTED_LIST})`);
  }
  if (rawWidth <= 0 || rawHeight <= 0) throw invalidArgument('image', 'has no pixels');
  // Checked here, before any pixel is decoded, to name the size and the limit in the message (libvips'
  // limitInputPixels checks again on the decode itself).
  if (rawWidth * rawHeight > maxPixels) {
    throw invalidArgument(
      'image',
      `${rawWidth}x${rawHeight} = ${rawWidth * rawHeight} pixels exceeds the server's limit of ${maxPixels} ` +
        `(--max-image-pixels)`,
    );
  }
  const swapsAxes = orientation >= 5 && orientation <= 8;
  const width = swapsAxes ? rawHeight : rawWidth;
  const height = swapsAxes ? rawWidth : rawHeight;
  const { geometry, resized } = geometryForPolicy(
    width,
    height,
    spec.inputWidth,
    spec.inputHeight,
    spec.cropPct,
    spec.cropMode,
    policy,
  );
  // Enlarging is done in JS with Pillow's arithmetic (pil-resample.ts): libvips samples half a pixel off there.
  const enlarges = resized && (geometry.resizedWidth > width || geometry.resizedHeight > height);
  const shrinksInVips = resized && !enlarges;

  let pixels: Uint8Array;
  try {
    let pipeline = sharp(bytes, options).rotate(); // EXIF orientation
    // CMYK stays CMYK through libvips (no profile conversion) and becomes RGB by Pillow's formula below.
    pipeline = header.cmyk ? pipeline.pipelineColourspace('cmyk') : pipeline.flatten({ background: ALPHA_BACKGROUND });
    if (shrinksInVips) {
      pipeline = pipeline
        .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: KERNELS[spec.interpolation] })
        .extract({ left: geometry.cropLeft, top: geometry.cropTop, width: spec.inputWidth, height: spec.inputHeight });
    }
    const { data, info } = await pipeline
      .toColourspace(header.cmyk ? 'cmyk' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = header.cmyk ? 4 : 3;
    const [outW, outH] = shrinksInVips ? [spec.inputWidth, spec.inputHeight] : [width, height];
    if (info.channels !== channels || info.width !== outW || info.height !== outH) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${outW}x${outH}x${channels}`);
    }
    pixels = header.cmyk ? cmykToRgb(data) : data;
    if (enlarges) pixels = resampleCrop(pixels, width, height, geometry, spec.interpolation);
  } catch (error) {
    throw invalidArgument('image', `cannot be decoded (${(error as Error).message})`);
  }
  return { pixels, geometry, format, orientation, resized };
}

export async function preprocessImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  maxPixels: number,
  policy: ResizePolicy = 'model',
): Promise<PreprocessedImage> {
  const { pixels, ...rest } = await decodeImage(bytes, spec, maxPixels, policy);
  return { tensor: normalise(pixels, spec), ...rest };
}

/** Pillow's CMYK → RGB (Convert.c cmyk2rgb): R = (255 - K) - C (255 - K) / 255, rounded as Pillow's MULDIV255. */
export function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const n = cmyk.length / 4;
  const rgb = new Uint8Array(n * 3);
  const muldiv255 = (a: number, b: number) => {
    const t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  for (let i = 0; i < n; i++) {
    const nk = 255 - cmyk[i * 4 + 3];
    rgb[i * 3] = nk - muldiv255(cmyk[i * 4], nk);
    rgb[i * 3 + 1] = nk - muldiv255(cmyk[i * 4 + 1], nk);
    rgb[i * 3 + 2] = nk - muldiv255(cmyk[i * 4 + 2], nk);
  }
  return rgb;
}

/** Interleaved RGB bytes → planar float32, (v / 255 - mean) / std. */
export function normalise(rgb: Uint8Array, spec: Pick<PreprocessSpec, 'mean' | 'std'>): Float32Array {
  const tensor = new Float32Array(rgb.length);
  normaliseInto(tensor, 0, rgb, spec);
  return tensor;
}

/** normalise() into `tensor` from element `offset` on: how a batch is filled without a copy per item. */
export function normaliseInto(
  tensor: Float32Array,
  offset: number,
  rgb: Uint8Array,
  spec: Pick<PreprocessSpec, 'mean' | 'std'>,
): void {
  const plane = rgb.length / 3;
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * spec.std[c]);
    const bias = -spec.mean[c] / spec.std[c];
    const start = offset + c * plane;
    for (let i = 0; i < plane; i++) tensor[start + i] = rgb[i * 3 + c] * scale + bias;
  }
}
