/**
 * Names of the ImageNet-C-style corruptions, in ImageNet-C's folder spelling. Kept apart from their
 * implementations so the configuration schema can list them without loading image code.
 */
export const CORRUPTION_NAMES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'speckle_noise',
  'defocus_blur',
  'gaussian_blur',
  'motion_blur',
  'zoom_blur',
  'fog',
  'brightness',
  'contrast',
  'pixelate',
  'jpeg_compression',
] as const;

export type CorruptionName = (typeof CORRUPTION_NAMES)[number];
