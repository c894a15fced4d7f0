/**
 * ImageNet-R style renditions: objects drawn by the held-out icon sets (art styles never seen in training), in
 * ImageNet-R's layout `<wnid>/<rendition>_<n>.jpg`. Backgrounds follow the training distribution (rho), so the
 * art style is the only shift.
 */
import { CLASSES, classByName } from '../classes.js';
import { Rng } from '../rng.js';
import { correlatedBackgroundClass, sampleBackground, sampleObject, type SceneSpec } from '../sampling.js';
import { countByVariant, gridSheet, imageRecord, writeObjectsSidecar } from './records.js';
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
        const rng = new Rng(ctx.seed, 'renditions', cls.name, n);
        const object = sampleObject(rng, ctx.icons.heldout[cls.name], ctx.config.object);
        const backgroundClass = correlatedBackgroundClass(rng, cls.name, ctx.config.rho);
        const photo = ctx.photos.get(rng.pick(ctx.pools[backgroundClass].seen));
        if (!photo) throw new Error(`pool of ${backgroundClass} names a photo missing from the index`);
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: 1,
          file: `${cls.wnid}/${object.icon.set}_${n}.jpg`,
          scene: {
            className: cls.name,
            object,
            background: sampleBackground(rng, photo, ctx.config.backgrounds),
            backgroundClass,
          },
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const cls = classByName(job.scene.className);
    const comp = ctx.composer.compose(job.scene);
    if (!comp.geometry) throw new Error(`${job.file}: the object has no visible pixel`);
    await ctx.out.jpeg(job.file, comp.rgb, size);
    return [
      imageRecord({
        path: job.file,
        variant: 'renditions',
        cls,
        size,
        geometry: comp.geometry,
        visible: true,
        icon: job.scene.object.icon,
        background: job.scene.background.photo,
        backgroundClass: job.scene.backgroundClass,
        attributes: { rendition: job.scene.object.icon.set },
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
