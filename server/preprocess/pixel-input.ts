/**
 * Decoded RGB pixels (a KServe v2 UINT8 tensor [H, W, 3]) → the model input's RGB bytes, with the very geometry of
 * an encoded image (image-preprocessor.ts decodeImage): resize, centre crop. Only the decode and the EXIF
 * orientation are skipped, since the client already did them. Like decodeImage it stops at bytes: the batcher hands
 * them to the inference worker, which normalises ((v / 255 - mean) / std) the whole batch off the main thread.
 */
import sharp from 'sharp';
import { invalidArgument } from '../errors.js';
import { computeGeometry, type PreprocessGeometry } from './geometry.js';
import { KERNELS, type PreprocessSpec } from './image-preprocessor.js';
import { resampleCrop } from './pil-resample.js';

export async function resizePixels(
  rgb: Uint8Array,
  width: number,
  height: number,
  spec: PreprocessSpec,
  field: string,
): Promise<{ pixels: Uint8Array; geometry: PreprocessGeometry }> {
  if (rgb.length !== width * height * 3) {
    throw invalidArgument(field, `has ${rgb.length} bytes, expected ${width} x ${height} x 3 = ${width * height * 3}`);
  }
  const geometry = computeGeometry(width, height, spec.inputWidth, spec.inputHeight, spec.cropPct, spec.cropMode);
  // Enlarging with Pillow's arithmetic, as for encoded images (libvips samples half a pixel off when enlarging).
  if (geometry.resizedWidth > width || geometry.resizedHeight > height) {
    return { pixels: resampleCrop(rgb, width, height, geometry, spec.interpolation), geometry };
  }
  const { data } = await sharp(rgb, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .resize(geometry.resizedWidth, geometry.resizedHeight, { fit: 'fill', kernel: KERNELS[spec.interpolation] })
    .extract({ left: geometry.cropLeft, top: geometry.cropTop, width: spec.inputWidth, height: spec.inputHeight })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { pixels: data, geometry };
}
