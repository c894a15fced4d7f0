/**
 * Backgrounds Challenge (Xiao et al., "Noise or Signal", MadryLab's release layout): every variant as
 * `<variant>/val/<NN_label>/<stem>.JPEG` and the foreground masks as `fg_mask/val/<NN_label>/<stem>.npy`, the
 * layout `in9_eval.py` and `challenge_eval.py` read. `original` shows the object on its own class's habitat;
 * the other variants remove the background, the object, or swap the background for another image's only_bg_t.
 */
import { CLASSES, classByName, type SynthClass } from '../classes.js';
import { encodeNpyUint8 } from '../npy.js';
import { blackOut, compositeOver, tileOverBox } from '../raster.js';
import { Rng } from '../rng.js';
import { drawScene, type SceneSpec } from '../sampling.js';
import { composeVisible, countByVariant, imageRecord, variantRowsSheet, writeObjectsSidecar } from './records.js';
import type { DatasetPart, ImageRecord, Job, PlanContext } from './types.js';

export const BG_VARIANTS = [
  'original',
  'only_fg',
  'no_fg',
  'only_bg_b',
  'only_bg_t',
  'mixed_same',
  'mixed_rand',
  'mixed_next',
] as const;
type MixedVariant = 'mixed_same' | 'mixed_rand' | 'mixed_next';

interface Partner {
  className: string;
  n: number;
  scene: SceneSpec;
}

export interface In9Job extends Job {
  stem: string;
  scene: SceneSpec;
  partners: Record<MixedVariant, Partner>;
}

/** Coverage above which a pixel counts as object when removing it (no_fg): no faint outline may remain. */
const REMOVAL_COVERAGE = 0.02;

const in9Stem = (cls: SynthClass, n: number): string => `${cls.wnid}_in9_${n}`;

/** Image n of a class: a training-style object on its own class's habitat (IN-9's originals are natural photos). */
function in9Scene(ctx: PlanContext, className: string, n: number): SceneSpec {
  const rng = new Rng(ctx.seed, 'in9', className, n);
  const photoId = rng.pick(ctx.pools[className].seen);
  return drawScene(rng, ctx, { className, icons: ctx.icons.training[className], backgroundClass: className, photoId });
}

export const backgroundsChallengePart: DatasetPart<In9Job> = {
  name: 'backgrounds_challenge',
  root: 'suites/backgrounds_challenge',

  plan(ctx) {
    const perClass = ctx.config.counts.suite_per_class;
    const jobs: In9Job[] = [];
    for (const cls of CLASSES) {
      for (let n = 1; n <= perClass; n++) {
        const rng = new Rng(ctx.seed, 'in9-mix', cls.name, n);
        const other = (className: string): Partner => {
          // Another image of that class (not this one, where the class has more than one).
          let m = rng.int(1, perClass);
          if (className === cls.name && perClass > 1) while (m === n) m = rng.int(1, perClass);
          return { className, n: m, scene: in9Scene(ctx, className, m) };
        };
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: BG_VARIANTS.length,
          stem: in9Stem(cls, n),
          scene: in9Scene(ctx, cls.name, n),
          partners: {
            mixed_same: other(cls.name),
            mixed_rand: other(rng.pick(CLASSES).name),
            mixed_next: other(CLASSES[(cls.index + 1) % CLASSES.length].name),
          },
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const cls = classByName(job.scene.className);
    const comp = composeVisible(ctx, job.scene, job.stem);
    const box = comp.geometry.box;
    const own = { photo: job.scene.background.photo, className: cls.name };
    type Background = { photo: string | null; className: string | null };
    const images: Record<string, { rgb: Buffer; background: Background; visible: boolean }> = {
      original: { rgb: comp.rgb, background: own, visible: true },
      only_fg: { rgb: compositeOver(comp.layer, null), background: { photo: null, className: null }, visible: true },
      no_fg: {
        rgb: blackOut(comp.background, size, (x, y) => comp.layer.alpha[y * size + x] > REMOVAL_COVERAGE),
        background: own,
        visible: false,
      },
      only_bg_b: {
        rgb: blackOut(comp.background, size, (x, y) => x >= box[0] && x < box[2] && y >= box[1] && y < box[3]),
        background: own,
        visible: false,
      },
      only_bg_t: { rgb: tileOverBox(comp.background, size, box), background: own, visible: false },
    };
    for (const variant of ['mixed_same', 'mixed_rand', 'mixed_next'] as const) {
      const partner = job.partners[variant];
      const partnerComp = composeVisible(
        ctx,
        partner.scene,
        `${job.stem} (${variant} partner ${partner.className} ${partner.n})`,
      );
      // The Backgrounds Challenge pastes the foreground onto another image's only_bg_t.
      const partnerBackground = tileOverBox(partnerComp.background, size, partnerComp.geometry.box);
      images[variant] = {
        rgb: compositeOver(comp.layer, partnerBackground),
        background: { photo: partner.scene.background.photo, className: partner.className },
        visible: true,
      };
    }
    const maskPath = `fg_mask/val/${cls.in9Folder}/${job.stem}.npy`;
    const records: ImageRecord[] = BG_VARIANTS.map((variant) => {
      const image = images[variant];
      return imageRecord({
        path: `${variant}/val/${cls.in9Folder}/${job.stem}.JPEG`,
        variant,
        scene: job.scene,
        size,
        geometry: comp.geometry,
        visible: image.visible,
        mask: image.visible ? maskPath : null,
        background: image.background,
      });
    });
    await Promise.all([
      ...records.map((r) => ctx.out.jpeg(r.path, images[r.variant].rgb, size)),
      ctx.out.bytes(maskPath, encodeNpyUint8(comp.mask, size, size)),
    ]);
    return records;
  },

  async finish(records, ctx) {
    await writeObjectsSidecar(ctx.out, records);
    return {
      layout: '<variant>/val/<NN_label>/<stem>.JPEG; fg_mask/val/<NN_label>/<stem>.npy',
      counts: countByVariant(records),
      masks: records.filter((r) => r.variant === 'original').length,
    };
  },

  sheet: variantRowsSheet,
};
