/**
 * The embedded benchmark's unseen-backgrounds suite (no real counterpart): training objects on photographs no
 * training image used, `suites/unseen_backgrounds/{habitat,random}/val/<NN_label>/`, the Backgrounds Challenge's
 * folder layout. Accuracy per variant; locations from its objects.jsonl.
 */
import { SPACES } from '../label-space.js';
import { Sidecar } from '../locations.js';
import type { EvalItem } from '../types.js';
import { defineSuite, metric, subfolders } from './common.js';
import { in9VariantItems } from './in9-folders.js';
import { registerSuite } from './registry.js';

const NAME = 'unseen-backgrounds';
const VARIANTS = ['habitat', 'random'];

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['suites/unseen_backgrounds'],
    resize: 'keep-at-input-size',
    space: SPACES.in9,
    in9Copy: false,
    async list(root) {
      const present = new Set(await subfolders(root));
      const variants = VARIANTS.filter((v) => present.has(v));
      if (variants.length === 0) throw new Error(`${NAME}: ${root} holds neither habitat/ nor random/`);
      const sidecar = await Sidecar.find(root);
      const items: EvalItem[] = [];
      for (const variant of variants) items.push(...(await in9VariantItems(NAME, root, variant, sidecar)));
      return items;
    },
    metrics(scored, result) {
      const byVariant = result.breakdowns?.accuracy_by_variant ?? {};
      for (const variant of VARIANTS) {
        if (variant in byVariant) {
          result.metrics[variant] = metric.higher(
            byVariant[variant],
            scored.filter((l) => l.variant === variant).length,
          );
        }
      }
    },
  }),
);
