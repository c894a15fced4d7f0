/**
 * ObjectNet (Barbu et al. 2019): `objectnet-1.0/images/<folder>/*.png`. Only the 113 folders whose class overlaps
 * IN-1k are read (the other 200 cannot be answered by a 1k model; a note says so). Every image has a thin red
 * border; the official loader (abarbu/objectnet-template-pytorch) crops 2 pixels from each side, so items carry
 * `cropBorderPx: 2` and eval/item-bytes.ts cuts it before sending.
 *
 * Two published conventions, both reported, each labelled:
 * - `restricted-113` (the default, `accuracy`; ObjectNet paper and imagenet-testbed): the argmax over the 125 IN-1k
 *   classes of the 113 overlapping classes, right when it is one of the folder's IN-1k classes;
 * - `full-1k-mapped` (`accuracy_full_1k_mapped`; the ObjectNet challenge template): the argmax over all 1,000
 *   classes mapped to ObjectNet, an unmapped class wrong.
 */
import { join } from 'node:path';
import { in1kWnids, objectnetFolders } from '../data/load.js';
import { SPACES, labelScorer } from '../label-space.js';
import { accuracy } from '../metrics/accuracy.js';
import type { EvalItem } from '../types.js';
import { classFolders, defineSuite, imagesIn, metric, rel, requireFolder } from './common.js';
import { registerSuite } from './registry.js';

const NAME = 'objectnet';
export const OBJECTNET_BORDER_PX = 2;

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['objectnet-1.0'],
    resize: 'model',
    space: SPACES.objectnet113,
    in9Copy: false,
    async list(root) {
      const imagesRoot = join(root, 'images');
      await requireFolder(NAME, imagesRoot, 'images folder');
      const overlap = objectnetFolders();
      const wnids = in1kWnids();
      const folders = await classFolders(NAME, imagesRoot);
      const used = folders.filter((f) => f in overlap);
      if (used.length === 0) {
        throw new Error(
          `${NAME}: none of the ${folders.length} folders of ${imagesRoot} is one of the 113 IN-1k-overlapping classes`,
        );
      }
      const items: EvalItem[] = [];
      for (const folder of used) {
        const targetWnids = overlap[folder].imagenet_1k_indices.map((i) => wnids[i]);
        for (const file of await imagesIn(NAME, join(imagesRoot, folder))) {
          items.push({
            suite: NAME,
            variant: '',
            path: rel('images', folder, file),
            absPath: join(imagesRoot, folder, file),
            targetWnids,
            cropBorderPx: OBJECTNET_BORDER_PX,
          });
        }
      }
      return items;
    },
    refine(item, output, model, score) {
      if (score.skipped !== undefined) return score;
      let full;
      try {
        full = labelScorer(model, SPACES.in1k(), NAME);
      } catch {
        return { ...score, correctBy: { 'restricted-113': score.correct } }; // not a 1k model: one convention only
      }
      // An IN-9 model has one convention only (through the IN-9 map); a 1k model has both.
      const fullPrediction = full.mode === 'direct' ? full.predict(output.scores).wnid : score.predictedWnid;
      return {
        ...score,
        correctBy: {
          'restricted-113': score.correct,
          'full-1k-mapped':
            fullPrediction !== null && (full.mapTargets(item.targetWnids) ?? []).includes(fullPrediction),
        },
      };
    },
    metrics(scored, result) {
      if (scored.length > 0) {
        result.metrics.accuracy_full_1k_mapped = metric.higher(
          accuracy(scored.map((l) => l.score.correctBy?.['full-1k-mapped'] === true)),
          scored.length,
        );
      }
      result.notes.push(
        'accuracy = restricted-113 (argmax over the 125 IN-1k classes of the 113 overlapping classes); ' +
          'accuracy_full_1k_mapped = argmax over all 1,000 classes mapped to ObjectNet (challenge template); ' +
          'only the 113 overlapping classes are read; 2-pixel border removed',
      );
    },
  }),
);
