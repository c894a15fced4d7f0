/**
 * The Backgrounds Challenge (Xiao et al. 2021; MadryLab/backgrounds_challenge in9_eval.py): ImageNet-9 variants
 * `bg_challenge/<variant>/val/<NN_label>/` (the embedded benchmark: `suites/backgrounds_challenge/`). A 1k model's
 * argmax is mapped to IN-9 with in_to_in9.json (unmapped = wrong); an IN-9 model is scored directly. Accuracy per
 * variant, BG-gap = Mixed-Same - Mixed-Rand. Images go in unresized (ToTensor only in the official loader).
 *
 * Point metrics: `fg_mask/val/<NN_label>/<stem>.npy` is the foreground's mask in every variant that keeps the
 * foreground in place (original, only_fg, mixed_*; matched by file stem); variants that removed it (no_fg,
 * only_bg_b, only_bg_t) have no location. The embedded benchmark's objects.jsonl gives box, centroid and mask.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SPACES } from '../label-space.js';
import { Sidecar } from '../locations.js';
import { bgGap } from '../metrics/bg-challenge.js';
import type { EvalItem } from '../types.js';
import { defineSuite, metric, stem, subfolders } from './common.js';
import { in9VariantItems } from './in9-folders.js';
import { registerSuite } from './registry.js';

const NAME = 'bg-challenge';
export const BG_VARIANTS = [
  'original',
  'only_fg',
  'no_fg',
  'only_bg_b',
  'only_bg_t',
  'mixed_same',
  'mixed_rand',
  'mixed_next',
];
const FOREGROUND_KEPT = new Set(['original', 'only_fg', 'mixed_same', 'mixed_rand', 'mixed_next']);
export const BG_ROOT_NAMES = ['bg_challenge', 'suites/backgrounds_challenge'];

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: BG_ROOT_NAMES,
    resize: 'keep-at-input-size',
    space: SPACES.in9,
    in9Copy: false,
    headline: ['mixed_same', 'mixed_rand', 'bg_gap'],
    async list(root) {
      const present = new Set(await subfolders(root));
      const variants = BG_VARIANTS.filter((v) => present.has(v));
      if (variants.length === 0) {
        throw new Error(`${NAME}: ${root} holds none of the variant folders ${BG_VARIANTS.join(', ')}`);
      }
      const sidecar = await Sidecar.find(root);
      const items: EvalItem[] = [];
      for (const variant of variants) {
        const maskFor = (folder: string, file: string) => {
          if (!FOREGROUND_KEPT.has(variant)) return undefined;
          const npy = join(root, 'fg_mask', 'val', folder, `${stem(file)}.npy`);
          return existsSync(npy) ? npy : undefined;
        };
        items.push(...(await in9VariantItems(NAME, root, variant, sidecar, maskFor)));
      }
      return items;
    },
    metrics(scored, result) {
      const byVariant = result.breakdowns?.accuracy_by_variant ?? {};
      for (const variant of BG_VARIANTS) {
        const n = scored.filter((l) => l.variant === variant).length;
        if (variant in byVariant) result.metrics[variant] = metric.higher(byVariant[variant], n);
      }
      if ('mixed_same' in byVariant && 'mixed_rand' in byVariant) {
        const n = scored.filter((l) => l.variant === 'mixed_same' || l.variant === 'mixed_rand').length;
        result.metrics.bg_gap = metric.lower(bgGap(byVariant.mixed_same, byVariant.mixed_rand), n);
      } else {
        result.notes.push('bg_gap needs both mixed_same and mixed_rand');
      }
      const missing = BG_VARIANTS.filter((v) => !(v in byVariant));
      if (missing.length > 0) result.notes.push(`variants not evaluated: ${missing.join(', ')}`);
      // One accuracy over all variants mixes different tests; the per-variant ones are the published numbers.
      delete result.metrics.accuracy;
    },
  }),
);
