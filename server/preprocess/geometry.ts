/**
 * The preprocessing geometry of docs/model-repository.md: how an image of W0 x H0 becomes the model input, and how
 * a point of the model input maps back onto the image. Pure integer arithmetic, shared by the image preprocessor
 * and the point mapping so both use the very same numbers; tested against the golden cases the trainer also
 * reproduces (test/fixtures/contract/geometry-cases.json).
 */

export type CropMode = 'center' | 'squash';

export interface PreprocessGeometry {
  /** Image size after EXIF orientation. */
  imageWidth: number;
  imageHeight: number;
  /** Size the image is resized to before the crop. */
  resizedWidth: number;
  resizedHeight: number;
  /** Top-left corner of the crop in the resized image. */
  cropLeft: number;
  cropTop: number;
  /** Model input size (the crop). */
  inputWidth: number;
  inputHeight: number;
}

/** Python's round(): halves go to the even neighbour (torchvision's CenterCrop uses it). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function computeGeometry(
  imageWidth: number,
  imageHeight: number,
  inputWidth: number,
  inputHeight: number,
  cropPct: number,
  cropMode: CropMode,
): PreprocessGeometry {
  const scaleHeight = Math.floor(inputHeight / cropPct);
  const scaleWidth = Math.floor(inputWidth / cropPct);
  let resizedWidth: number;
  let resizedHeight: number;
  if (cropMode === 'squash') {
    resizedWidth = scaleWidth;
    resizedHeight = scaleHeight;
  } else if (imageWidth * scaleHeight >= imageHeight * scaleWidth) {
    // At least as wide as the target: the height decides, the width follows the aspect ratio.
    resizedHeight = scaleHeight;
    resizedWidth = Math.floor((scaleHeight * imageWidth) / imageHeight);
  } else {
    resizedWidth = scaleWidth;
    resizedHeight = Math.floor((scaleWidth * imageHeight) / imageWidth);
  }
  return {
    imageWidth,
    imageHeight,
    resizedWidth,
    resizedHeight,
    cropLeft: roundHalfEven((resizedWidth - inputWidth) / 2),
    cropTop: roundHalfEven((resizedHeight - inputHeight) / 2),
    inputWidth,
    inputHeight,
  };
}

/** Geometry of a request that sent the model input itself: the point stays in the tensor's frame. */
export function identityGeometry(inputWidth: number, inputHeight: number): PreprocessGeometry {
  return {
    imageWidth: inputWidth,
    imageHeight: inputHeight,
    resizedWidth: inputWidth,
    resizedHeight: inputHeight,
    cropLeft: 0,
    cropTop: 0,
    inputWidth,
    inputHeight,
  };
}

export interface MappedPoint {
  x: number;
  y: number;
  xPx: number;
  yPx: number;
}

/** Maps (u, v) in [0, 1] of the model input to the original image: normalised and in pixels. */
export function mapPointToImage(u: number, v: number, geometry: PreprocessGeometry): MappedPoint {
  const x = (geometry.cropLeft + u * geometry.inputWidth) / geometry.resizedWidth;
  const y = (geometry.cropTop + v * geometry.inputHeight) / geometry.resizedHeight;
  return { x, y, xPx: x * geometry.imageWidth, yPx: y * geometry.imageHeight };
}

/**
 * The geometry under a request's resize policy. `keep-at-input-size` (the Backgrounds Challenge's and ImageNet-C's
 * no-resize protocols): an image exactly the model's input size goes in untouched, so its point needs no mapping
 * beyond scaling [0, 1] to pixels; any other size falls back to the model's geometry and is reported as resized.
 */
export function geometryForPolicy(
  imageWidth: number,
  imageHeight: number,
  inputWidth: number,
  inputHeight: number,
  cropPct: number,
  cropMode: CropMode,
  policy: 'model' | 'keep-at-input-size',
): { geometry: PreprocessGeometry; resized: boolean } {
  if (policy === 'keep-at-input-size' && imageWidth === inputWidth && imageHeight === inputHeight) {
    return { geometry: identityGeometry(inputWidth, inputHeight), resized: false };
  }
  return {
    geometry: computeGeometry(imageWidth, imageHeight, inputWidth, inputHeight, cropPct, cropMode),
    resized: true,
  };
}
