/**
 * ImageNet-O (Hendrycks et al. 2021; hendrycks/natural-adv-examples eval_many_models.py): out-of-distribution
 * detection. `imagenet-o/<wnid>/` holds the OOD images (the folder names the IN-1k class each is mistaken for);
 * the in-distribution images are the IN-1k validation images of the same wnids (the official script symlinks
 * them into `imagenet_val_for_imagenet_o_ood/`). They are looked up beside the suite folder, in that symlink
 * folder if present, else in `imagenet/val/` of the same data root.
 *
 * Score: the max softmax over ImageNet-O's 200 classes is the in-distribution confidence; its negation is the
 * anomaly score, OOD positive: AUPR (the published number), AUROC and FPR at 95% recall.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SPACES } from '../label-space.js';
import { oodMeasures } from '../metrics/ood.js';
import type { EvalItem } from '../types.js';
import { classFolders, defineSuite, imagesIn, metric, rel, requireFolder, wnidFolderSpace } from './common.js';
import { registerSuite } from './registry.js';

const NAME = 'imagenet-o';

/** Where the in-distribution images are, for a given ImageNet-O folder. */
export function inDistributionRoot(root: string): string {
  const tried = [join(dirname(root), 'imagenet_val_for_imagenet_o_ood'), join(dirname(root), 'imagenet', 'val')];
  const found = tried.find((dir) => existsSync(dir));
  if (!found) {
    throw new Error(`${NAME}: no in-distribution images: neither ${tried.join(' nor ')} exists (IN-1k val by wnid)`);
  }
  return found;
}

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['imagenet-o'],
    resize: 'model',
    space: SPACES.imagenetO,
    in9Copy: false,
    headline: ['aupr'],
    async list(root) {
      const folders = await classFolders(NAME, root);
      wnidFolderSpace(NAME, root, folders, SPACES.imagenetO(), false);
      const valRoot = inDistributionRoot(root);
      const items: EvalItem[] = [];
      for (const wnid of folders) {
        for (const file of await imagesIn(NAME, join(root, wnid))) {
          items.push({
            suite: NAME,
            variant: 'ood',
            path: rel(wnid, file),
            absPath: join(root, wnid, file),
            targetWnids: [],
            ood: true,
          });
        }
      }
      for (const wnid of folders) {
        const dir = join(valRoot, wnid);
        await requireFolder(NAME, dir, 'in-distribution class folder');
        for (const file of await imagesIn(NAME, dir)) {
          items.push({
            suite: NAME,
            variant: 'in-distribution',
            // Not `../imagenet/val/...`: paths stay inside the suite's namespace wherever the images live.
            path: rel('in-distribution', wnid, file),
            absPath: join(dir, file),
            targetWnids: [wnid],
            ood: false,
          });
        }
      }
      return items;
    },
    metrics(scored, result) {
      const usable = scored.filter((l) => typeof l.score.inDistributionScore === 'number');
      const ood = usable.map((l) => l.ood === true);
      const positives = ood.filter((o) => o).length;
      if (positives === 0 || positives === usable.length) {
        result.notes.push(
          `AUPR/AUROC/FPR@95 need OOD and in-distribution images; got ${positives} OOD, ${usable.length - positives} in-distribution`,
        );
        return;
      }
      const m = oodMeasures(
        ood,
        usable.map((l) => l.score.inDistributionScore as number),
      );
      result.metrics.aupr = metric.higher(m.aupr, usable.length);
      result.metrics.auroc = metric.higher(m.auroc, usable.length);
      result.metrics.fpr95 = metric.lower(m.fpr95, usable.length);
      // The accuracy baseMetrics computed is over the in-distribution images only: name it so.
      if (result.metrics.accuracy) {
        result.metrics.in_distribution_accuracy = result.metrics.accuracy;
        delete result.metrics.accuracy;
      }
    },
  }),
);
