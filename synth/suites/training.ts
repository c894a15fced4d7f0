/**
 * The training and validation sets in ImageNet's layout plus ImageNet-AB's byproducts (docs/synth.md, "dataset
 * layout"): train/<wnid>/<wnid>_<n>.JPEG with train_xml/<wnid>/<wnid>_<n>.xml, val/<wnid>/<wnid>_val_<n>.JPEG with
 * val_xml/... (LOC only). Backgrounds carry the spurious correlation rho.
 */
import { planHits, simulateBlock, insideBox, type HitSlot, type UnitBox } from '../annotator.js';
import { CLASSES, classByName } from '../classes.js';
import { Rng } from '../rng.js';
import type { IconRef } from '../icons.js';
import { correlatedBackgroundClass, drawScene, type SceneSpec } from '../sampling.js';
import { imagenetAbXml, locXml } from '../xml.js';
import { composeVisible, countByVariant, gridSheet, imageRecord, writeObjectsSidecar } from './records.js';
import type { DatasetPart, Job, PlanContext, RecordedClick } from './types.js';

export type Split = 'train' | 'val';

export interface TrainingJob extends Job {
  split: Split;
  stem: string;
  scene: SceneSpec;
  /** One HIT slot per annotator who saw the image (train only; empty: no byproduct). */
  slots: HitSlot[];
}

export const stemFor = (split: Split, wnid: string, n: number): string =>
  split === 'train' ? `${wnid}_${n}` : `${wnid}_val_${n}`;

/** A scene whose background follows the spurious correlation: own pool with probability rho, else another. */
export function correlatedScene(rng: Rng, ctx: PlanContext, className: string, icons: readonly IconRef[]): SceneSpec {
  const backgroundClass = correlatedBackgroundClass(rng, className, ctx.config.rho);
  return drawScene(rng, ctx, { className, icons, backgroundClass, photoId: rng.pick(ctx.pools[backgroundClass].seen) });
}

/** The scene of training/validation image n (1-based) of a class; ImageNet-C re-renders the validation scenes. */
export function trainingScene(ctx: PlanContext, split: Split, className: string, n: number): SceneSpec {
  return correlatedScene(new Rng(ctx.seed, split, className, n), ctx, className, ctx.icons.training[className]);
}

function splitCount(ctx: PlanContext, split: Split): number {
  return split === 'train' ? ctx.config.counts.train_per_class : ctx.config.counts.val_per_class;
}

/** Per training image: how many annotators saw it (0 = no byproduct), from its own stream. */
function annotatorCounts(ctx: PlanContext, stems: readonly string[]): number[] {
  const a = ctx.config.annotator;
  return stems.map((stem) => {
    const rng = new Rng(ctx.seed, 'annotators', stem);
    return rng.bernoulli(a.no_byproduct_rate) ? 0 : rng.weighted(a.annotators_per_image) + 1;
  });
}

const ratio = (part: number, whole: number): number | null =>
  whole === 0 ? null : Math.round((part / whole) * 1e4) / 1e4;

export const trainingPart: DatasetPart<TrainingJob> = {
  name: 'training',
  root: '',

  plan(ctx) {
    const jobs: TrainingJob[] = [];
    for (const split of ['train', 'val'] as const) {
      const splitJobs: TrainingJob[] = [];
      for (const cls of CLASSES) {
        for (let n = 1; n <= splitCount(ctx, split); n++) {
          const stem = stemFor(split, cls.wnid, n);
          splitJobs.push({
            part: 'training',
            index: 0,
            outputs: 1,
            split,
            stem,
            scene: trainingScene(ctx, split, cls.name, n),
            slots: [],
          });
        }
      }
      if (split === 'train') {
        const slots = planHits(
          ctx.seed,
          ctx.config.annotator,
          annotatorCounts(
            ctx,
            splitJobs.map((j) => j.stem),
          ),
        );
        splitJobs.forEach((job, i) => (job.slots = slots[i]));
      }
      jobs.push(...splitJobs);
    }
    jobs.forEach((job, i) => (job.index = i));
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const cls = classByName(job.scene.className);
    const comp = composeVisible(ctx, job.scene, job.stem);
    const g = comp.geometry;
    const loc = { folder: cls.wnid, filename: job.stem, width: size, height: size, wnid: cls.wnid, box: g.box };
    const imagePath = `${job.split}/${cls.wnid}/${job.stem}.JPEG`;
    const record = imageRecord({ path: imagePath, variant: job.split, scene: job.scene, size, geometry: g });
    let xml: string;
    if (job.split === 'train') {
      const unitBox = g.box.map((v) => v / size) as UnitBox;
      const centroid: [number, number] = [g.centroid[0] / size, g.centroid[1] / size];
      const blocks = job.slots.map((slot, k) =>
        simulateBlock(new Rng(ctx.seed, 'annotator', job.stem, k), ctx.config.annotator, {
          imageId: `${cls.wnid}/${job.stem}`,
          width: size,
          height: size,
          box: unitBox,
          centroid,
          slot,
        }),
      );
      xml = imagenetAbXml(loc, blocks);
      // The official loader's target: the FIRST selectedRecord of every block that ends selected, averaged.
      const clicks: RecordedClick[] = blocks
        .filter((b) => b.selected)
        .map((b) => ({
          x: b.selectedRecord[0].x,
          y: b.selectedRecord[0].y,
          inside: insideBox(b.selectedRecord[0].x, b.selectedRecord[0].y, unitBox),
          centreInBox: insideBox(0.5, 0.5, unitBox),
          kind: b.firstClickKind ?? 'unknown',
        }));
      record.clicks = clicks;
      record.target =
        clicks.length === 0
          ? null
          : [clicks.reduce((s, c) => s + c.x, 0) / clicks.length, clicks.reduce((s, c) => s + c.y, 0) / clicks.length];
      record.attributes = { annotators: blocks.length, selected_blocks: clicks.length };
    } else {
      xml = locXml(loc);
    }
    await Promise.all([
      ctx.out.jpeg(imagePath, comp.rgb, size),
      ctx.out.bytes(`${job.split}_xml/${cls.wnid}/${job.stem}.xml`, xml),
    ]);
    return [record];
  },

  async finish(records, ctx) {
    // objects.jsonl beside train/ and val/: the same sidecar as the suites (the XML stays the trainer's source).
    await writeObjectsSidecar(ctx.out, records);
    const train = records.filter((r) => r.variant === 'train');
    const blocks = train.reduce((s, r) => s + Number(r.attributes.annotators ?? 0), 0);
    const clicks = train.flatMap((r) => r.clicks ?? []);
    const own = records.filter((r) => r.background_class === r.class).length;
    return {
      counts: countByVariant(records),
      own_pool_background_rate: ratio(own, records.length),
      byproducts: {
        images_with_byproduct: train.filter((r) => Number(r.attributes.annotators) > 0).length,
        metadata_blocks: blocks,
        selected_blocks: clicks.length,
        selected_block_rate: ratio(clicks.length, blocks),
        images_with_target: train.filter((r) => r.target).length,
        first_click_inside_box_rate: ratio(clicks.filter((c) => c.inside).length, clicks.length),
        // appendix E.1's harder case: the object does not cover the image centre (paper: 56.5% inside)
        first_click_inside_box_rate_centre_outside_box: ratio(
          clicks.filter((c) => c.inside && !c.centreInBox).length,
          clicks.filter((c) => !c.centreInBox).length,
        ),
        first_click_kinds: clicks.reduce<Record<string, number>>(
          (acc, c) => ({ ...acc, [c.kind]: (acc[c.kind] ?? 0) + 1 }),
          {},
        ),
      },
    };
  },

  sheet: (records, limit) =>
    gridSheet(
      records.filter((r) => r.variant === 'train'),
      limit,
    ),
};
