/**
 * Decoded RGB pixels (a KServe v2 UINT8 tensor [H, W, 3]) → model input, with the very geometry and normalisation
 * of an encoded image (image-preprocessor.ts): resize, centre crop, (v / 255 - mean) / std. Only the decode and the
 * EXIF orientation are skipped, since the client already did them.
 */
import sharp from 'sharp';
import { invalidArgument } from '../errors.js';
import { computeGeometry, type PreprocessGeometry } from './geometry.js';
import { KERNELS, normalise, type PreprocessSpec } from './image-preprocessor.js';
import { resampleCrop } from './pil-resample.js';

export async function preprocessPixels(
  rgb: Uint8Array,
  width: number,
  height: number,
  spec: PreprocessSpec,
  field: string,
): Promise<{ tensor: Float32Array; geometry: PreprocessGeometry }> {
  if (rgb.length !== width * height * 3) {
    throw invalidArgument(field, `has ${rgb.length} bytes, expected ${width} x ${height} x 3 = ${width * height * 3}`);
  }
  const geometry = computeGeometry(width, height, spec.inputWidth, spec.inputHeight, spec.cropPct, spec.cropMode);
  // Enlarging with Pillow's arithmetic, as for encoded images (libvips samples half a pixel off when enlarging).
  if (geometry.resizedWidth > width || geometry.resizedHeight > height) {
    return { tensor: normalise(resampleCrop(rgb, width, height, geometry, spec.interpolation), spec), geometry };
  }
  const { data } = await sharp(rgb, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: KERNELS[spec.interpolation] })
    .extract({ left: geometry.cropLeft, top: geometry.cropTop, width: spec.inputWidth, height: spec.inputHeight })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { tensor: normalise(data, spec), geometry };
}
