/**
 * The stress suites by name (folder names under DIR/suites/). Kept apart from their implementations so the
 * configuration schema can list them without loading image code.
 */
export const SUITE_NAMES = [
  'backgrounds_challenge',
  'unseen_backgrounds',
  'si_score',
  'imagenet_c',
  'imagenet_r',
] as const;

export type SuiteName = (typeof SUITE_NAMES)[number];
