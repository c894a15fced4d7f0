/**
 * ImageNet-R style renditions: objects drawn by the held-out icon sets (art styles never seen in training), in
 * ImageNet-R's layout `<wnid>/<rendition>_<n>.jpg`. Backgrounds follow the training distribution (rho), so the
 * art style is the only shift.
 */
import { CLASSES } from '../classes.js';
import { Rng } from '../rng.js';
import type { SceneSpec } from '../sampling.js';
import { composeVisible, countByVariant, gridSheet, imageRecord, writeObjectsSidecar } from './records.js';
import { correlatedScene } from './training.js';
import type { DatasetPart, Job } from './types.js';

export interface RenditionJob extends Job {
  file: string;
  scene: SceneSpec;
}

export const imagenetRPart: DatasetPart<RenditionJob> = {
  name: 'imagenet_r',
  root: 'suites/imagenet_r',

  plan(ctx) {
    const jobs: RenditionJob[] = [];
    for (const cls of CLASSES) {
      for (let n = 1; n <= ctx.config.counts.suite_per_class; n++) {
        const scene = correlatedScene(
          new Rng(ctx.seed, 'renditions', cls.name, n),
          ctx,
          cls.name,
          ctx.icons.heldout[cls.name],
        );
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: 1,
          file: `${cls.wnid}/${scene.object.icon.set}_${n}.jpg`,
          scene,
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const comp = composeVisible(ctx, job.scene, job.file);
    await ctx.out.jpeg(job.file, comp.rgb, size);
    const attributes = { rendition: job.scene.object.icon.set };
    return [
      imageRecord({
        path: job.file,
        variant: 'renditions',
        scene: job.scene,
        size,
        geometry: comp.geometry,
        attributes,
      }),
    ];
  },

  async finish(records, ctx) {
    await writeObjectsSidecar(ctx.out, records);
    const perSet: Record<string, number> = {};
    for (const r of records) perSet[String(r.attributes.rendition)] = (perSet[String(r.attributes.rendition)] ?? 0) + 1;
    return {
      layout: '<wnid>/<rendition>_<n>.jpg',
      counts: countByVariant(records),
      per_rendition_set: perSet,
      heldout_sets: ctx.plan.icons.heldoutSets,
    };
  },

  sheet: gridSheet,
};
