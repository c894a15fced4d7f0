/**
 * Encoded image → model input, with sharp (libvips): decode, EXIF orientation, resize and centre crop as
 * docs/model-repository.md defines them, RGB, then (v / 255 - mean) / std into an NCHW float32 tensor.
 * Every way an image can be bad becomes INVALID_ARGUMENT naming the `image` field.
 */
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { invalidArgument } from '../errors.js';
import { geometryForPolicy, type CropMode, type PreprocessGeometry } from './geometry.js';

export interface PreprocessSpec {
  inputWidth: number;
  inputHeight: number;
  mean: readonly number[];
  std: readonly number[];
  cropPct: number;
  cropMode: CropMode;
  interpolation: 'bilinear' | 'bicubic' | 'nearest';
}

export interface PreprocessedImage {
  /** [3, H, W] float32, normalised. */
  tensor: Float32Array;
  geometry: PreprocessGeometry;
  format: string;
  /** EXIF orientation tag (1-8), 0 when absent. */
  orientation: number;
  /** False when the image went in untouched (`keep-at-input-size` and already the input size). */
  resized: boolean;
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

const KERNELS = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest' } as const;

export async function preprocessImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  maxPixels: number,
  policy: ResizePolicy = 'model',
): Promise<PreprocessedImage> {
  if (bytes.length === 0) throw invalidArgument('image', 'is empty (0 bytes)');
  // failOn 'truncated': a cut-off file is an error rather than an image with a grey bottom half.
  const options: SharpOptions = { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1 };

  let metadata: Metadata;
  try {
    // Header only, without the pixel limit, so an oversized image is reported with its size below.
    metadata = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch (error) {
    throw invalidArgument('image', `cannot be decoded as ${ACCEPTED_LIST} (${(error as Error).message})`);
  }
  const format = metadata.format ?? 'unknown';
  if (!ACCEPTED_FORMATS.has(format)) {
    throw invalidArgument('image', `format "${format}" is not accepted (send ${ACCEPTED_LIST})`);
  }
  const rawWidth = metadata.width ?? 0;
  const rawHeight = metadata.height ?? 0;
  if (rawWidth <= 0 || rawHeight <= 0) throw invalidArgument('image', 'has no pixels');
  // Checked here, before any pixel is decoded, to name the size and the limit in the message.
  if (rawWidth * rawHeight > maxPixels) {
    throw invalidArgument(
      'image',
      `${rawWidth}x${rawHeight} = ${rawWidth * rawHeight} pixels exceeds the server's limit of ${maxPixels} ` +
        `(--max-image-pixels)`,
    );
  }
  const orientation = metadata.orientation ?? 0;
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

  let pixels: Buffer;
  try {
    const oriented = sharp(bytes, options).rotate(); // EXIF orientation
    // An untouched image skips resize and crop altogether (not a resize to its own size, which may still filter).
    const shaped = resized
      ? oriented
          .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: KERNELS[spec.interpolation] })
          .extract({ left: geometry.cropLeft, top: geometry.cropTop, width: spec.inputWidth, height: spec.inputHeight })
      : oriented;
    const { data, info } = await shaped
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== spec.inputWidth || info.height !== spec.inputHeight) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected 3 channels`);
    }
    pixels = data;
  } catch (error) {
    throw invalidArgument('image', `cannot be decoded (${(error as Error).message})`);
  }
  return { tensor: normalise(pixels, spec), geometry, format, orientation, resized };
}

/** Interleaved RGB bytes → planar float32, (v / 255 - mean) / std. */
export function normalise(rgb: Uint8Array, spec: Pick<PreprocessSpec, 'mean' | 'std'>): Float32Array {
  const plane = rgb.length / 3;
  const tensor = new Float32Array(rgb.length);
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * spec.std[c]);
    const bias = -spec.mean[c] / spec.std[c];
    const offset = c * plane;
    for (let i = 0; i < plane; i++) tensor[offset + i] = rgb[i * 3 + c] * scale + bias;
  }
  return tensor;
}
