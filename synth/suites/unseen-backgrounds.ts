/**
 * Unseen backgrounds: training-style objects on the photos that no pool used for training or validation, in the
 * Backgrounds Challenge layout (`<variant>/val/<NN_label>/<stem>.JPEG`) so the same reader serves it.
 * `habitat`: a photo held out of the object's own class pool (its scene still fits the class);
 * `random`: a held-out photo of any pool. Both variants show the same object at the same place.
 */
import { CLASS_NAMES, CLASSES, classByName } from '../classes.js';
import { Rng } from '../rng.js';
import { sampleBackground, sampleObject, type BackgroundSpec, type ObjectSpec } from '../sampling.js';
import { countByVariant, evenlySpaced, groupBy, imageRecord, stemOf, writeObjectsSidecar } from './records.js';
import type { DatasetPart, Job } from './types.js';

const VARIANTS = ['habitat', 'random'] as const;

export interface UnseenJob extends Job {
  stem: string;
  className: string;
  object: ObjectSpec;
  backgrounds: Record<(typeof VARIANTS)[number], { spec: BackgroundSpec; className: string }>;
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
        const object = sampleObject(rng, ctx.icons.training[cls.name], ctx.config.object);
        const background = (photoId: string, className: string): { spec: BackgroundSpec; className: string } => {
          const photo = ctx.photos.get(photoId);
          if (!photo) throw new Error(`unseen photo ${photoId} missing from the index`);
          return { spec: sampleBackground(rng, photo, ctx.config.backgrounds), className };
        };
        const anyPool = rng.pick(allUnseen);
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: VARIANTS.length,
          stem: `${cls.wnid}_unseen_${n}`,
          className: cls.name,
          object,
          backgrounds: {
            habitat: background(rng.pick(ctx.pools[cls.name].unseen), cls.name),
            random: background(anyPool.photo, anyPool.className),
          },
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const cls = classByName(job.className);
    return Promise.all(
      VARIANTS.map(async (variant) => {
        const bg = job.backgrounds[variant];
        const comp = ctx.composer.compose({ object: job.object, background: bg.spec });
        if (!comp.geometry) throw new Error(`${job.stem}: the object has no visible pixel`);
        const record = imageRecord({
          path: `${variant}/val/${cls.in9Folder}/${job.stem}.JPEG`,
          variant,
          cls,
          size,
          geometry: comp.geometry,
          visible: true,
          icon: job.object.icon,
          background: bg.spec.photo,
          backgroundClass: bg.className,
        });
        await ctx.out.jpeg(record.path, comp.rgb, size);
        return record;
      }),
    );
  },

  async finish(records, ctx) {
    await writeObjectsSidecar(ctx.out, records);
    return { layout: '<variant>/val/<NN_label>/<stem>.JPEG', counts: countByVariant(records) };
  },

  sheet: (records, limit) => evenlySpaced(groupBy(records, stemOf), Math.max(1, Math.floor(limit / VARIANTS.length))),
};
