/**
 * ImageNet-C style: the validation images (the same scenes as val/, rendered again from their specs rather than
 * decoded from JPEG) under every corruption and severity, in ImageNet-C's layout
 * `<corruption>/<severity>/<wnid>/<stem>.JPEG`. Corruptions do not move the object, so each image's box and
 * centroid are those of its clean validation image.
 */
import { CLASSES, classByName } from '../classes.js';
import { corruption } from '../corruptions/registry.js';
import { Rng } from '../rng.js';
import type { SceneSpec } from '../sampling.js';
import { composeVisible, countByVariant, groupBy, imageRecord, stemOf, writeObjectsSidecar } from './records.js';
import { stemFor, trainingScene } from './training.js';
import type { DatasetPart, ImageRecord, Job } from './types.js';

export interface CorruptionJob extends Job {
  stem: string;
  scene: SceneSpec;
  corruptions: string[];
  severities: number;
}

export const imagenetCPart: DatasetPart<CorruptionJob> = {
  name: 'imagenet_c',
  root: 'suites/imagenet_c',

  plan(ctx) {
    const { corruptions, severities } = ctx.config.suites.imagenet_c;
    const jobs: CorruptionJob[] = [];
    for (const cls of CLASSES) {
      for (let n = 1; n <= ctx.config.counts.val_per_class; n++) {
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: corruptions.length * severities,
          stem: stemFor('val', cls.wnid, n),
          scene: trainingScene(ctx, 'val', cls.name, n),
          corruptions,
          severities,
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const cls = classByName(job.scene.className);
    const comp = composeVisible(ctx, job.scene, job.stem);
    const clean = { width: size, height: size, data: comp.rgb };
    const records: ImageRecord[] = [];
    for (const name of job.corruptions) {
      const c = corruption(name);
      for (let severity = 1; severity <= job.severities; severity++) {
        const corrupted = await c.apply(clean, severity, new Rng(ctx.seed, 'imagenet_c', job.stem, name, severity));
        const record = imageRecord({
          path: `${name}/${severity}/${cls.wnid}/${job.stem}.JPEG`,
          variant: `${name}/${severity}`,
          scene: job.scene,
          size,
          geometry: comp.geometry,
          attributes: { corruption: name, category: c.category, severity },
        });
        await ctx.out.jpeg(record.path, corrupted, size);
        records.push(record);
      }
    }
    return records;
  },

  async finish(records, ctx) {
    await writeObjectsSidecar(ctx.out, records);
    const corruptions = Object.fromEntries(
      ctx.config.suites.imagenet_c.corruptions.map((name) => {
        const c = corruption(name);
        return [
          name,
          {
            category: c.category,
            parameter: c.parameter,
            severities: c.severities.slice(0, ctx.config.suites.imagenet_c.severities),
          },
        ];
      }),
    );
    return { layout: '<corruption>/<severity>/<wnid>/<stem>.JPEG', counts: countByVariant(records), corruptions };
  },

  /** The first image under every corruption (rows) and severity (columns); the limit does not apply. */
  sheet: (records) => groupBy(groupBy(records, stemOf)[0] ?? [], (r) => String(r.attributes.corruption)),
};
