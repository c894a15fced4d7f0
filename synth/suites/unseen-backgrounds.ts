/**
 * Unseen backgrounds: training-style objects on the photos that no pool used for training or validation, in the
 * Backgrounds Challenge layout (`<variant>/val/<NN_label>/<stem>.JPEG`) so the same reader serves it.
 * `habitat`: a photo held out of the object's own class pool (its scene still fits the class);
 * `random`: a held-out photo of any pool. Both variants show the same object at the same place.
 */
import { CLASS_NAMES, CLASSES, classByName } from '../classes.js';
import { Rng } from '../rng.js';
import { drawScene, sampleBackground, type SceneSpec } from '../sampling.js';
import { composeVisible, countByVariant, imageRecord, variantRowsSheet, writeObjectsSidecar } from './records.js';
import type { DatasetPart, Job } from './types.js';

const VARIANTS = ['habitat', 'random'] as const;

export interface UnseenJob extends Job {
  stem: string;
  scenes: Record<(typeof VARIANTS)[number], SceneSpec>;
}

export const unseenBackgroundsPart: DatasetPart<UnseenJob> = {
  name: 'unseen_backgrounds',
  root: 'suites/unseen_backgrounds',

  plan(ctx) {
    const jobs: UnseenJob[] = [];
    const allUnseen = CLASS_NAMES.flatMap((c) => ctx.pools[c].unseen.map((photo) => ({ photo, className: c })));
    for (const cls of CLASSES) {
      for (let n = 1; n <= ctx.config.counts.suite_per_class; n++) {
        const rng = new Rng(ctx.seed, 'unseen', cls.name, n);
        const icons = ctx.icons.training[cls.name];
        const habitat = drawScene(rng, ctx, {
          className: cls.name,
          icons,
          backgroundClass: cls.name,
          photoId: rng.pick(ctx.pools[cls.name].unseen),
        });
        const other = rng.pick(allUnseen);
        const otherPhoto = ctx.photos.get(other.photo);
        if (!otherPhoto) throw new Error(`unseen photo ${other.photo} missing from the background index`);
        const random = {
          ...habitat,
          background: sampleBackground(rng, otherPhoto, ctx.config.backgrounds),
          backgroundClass: other.className,
        };
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: VARIANTS.length,
          stem: `${cls.wnid}_unseen_${n}`,
          scenes: { habitat, random },
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    return Promise.all(
      VARIANTS.map(async (variant) => {
        const scene = job.scenes[variant];
        const comp = composeVisible(ctx, scene, job.stem);
        const path = `${variant}/val/${classByName(scene.className).in9Folder}/${job.stem}.JPEG`;
        await ctx.out.jpeg(path, comp.rgb, size);
        return imageRecord({ path, variant, scene, size, geometry: comp.geometry });
      }),
    );
  },

  async finish(records, ctx) {
    await writeObjectsSidecar(ctx.out, records);
    return { layout: '<variant>/val/<NN_label>/<stem>.JPEG', counts: countByVariant(records) };
  },

  sheet: variantRowsSheet,
};
