/**
 * SI-Score style (Yung et al., google-research/si-score): objects pasted at controlled area, rotation and
 * location on unrelated photos, in the release layout `<variant>/<label>/<image_id>.jpg` with metadata.csv (the
 * generator's columns), foreground_classes.csv and backgrounds.csv beside each variant. As in SI-Score, `area` is
 * the object canvas's share of the image area, coordinates are the canvas centre in [0, 1], rotation is in
 * degrees counter-clockwise and pct_inside_image is the share of the (rotated) canvas box inside the image.
 */
import { CLASS_NAMES, CLASSES, classByName } from '../classes.js';
import type { SiScoreConfig } from '../config.js';
import { Rng } from '../rng.js';
import { drawScene, type SceneSpec } from '../sampling.js';
import { countByVariant, groupBy, imageRecord, writeObjectsSidecar } from './records.js';
import type { DatasetPart, ImageRecord, Job, PlanContext } from './types.js';

interface Factors {
  x: number;
  y: number;
  area: number;
  rotation: number;
}

export interface SiScoreJob extends Job {
  variant: string;
  imageId: number;
  scene: SceneSpec;
  factors: Factors;
  instance: number;
  backgroundIndex: number;
}

const METADATA_HEADER =
  'image_id,x_coord,y_coord,area,rotation,foreground_class,foreground_instance,background,bg_resolution_width,bg_resolution_height,pct_inside_image';

/** Folder name of the location variant, as the release names it (location20_area02_min0pc for 0.05 steps, 0.2). */
export function locationVariantName(c: SiScoreConfig): string {
  return `location${c.location_steps - 1}_area${String(c.location_area).replace('.', '')}_min0pc`;
}

function variantFactors(c: SiScoreConfig): Array<{ variant: string; values: Factors[] }> {
  const centre = { x: 0.5, y: 0.5 };
  const grid = Array.from({ length: c.location_steps }, (_, i) => Number((i / (c.location_steps - 1)).toFixed(4)));
  return [
    { variant: 'area', values: c.area_values.map((area) => ({ ...centre, area, rotation: 0 })) },
    {
      variant: 'rotation',
      values: c.rotation_areas.flatMap((area) => c.rotation_values.map((rotation) => ({ ...centre, area, rotation }))),
    },
    {
      variant: locationVariantName(c),
      values: grid.flatMap((y) => grid.map((x) => ({ x, y, area: c.location_area, rotation: 0 }))),
    },
  ];
}

/** Share of the rotated canvas' bounding box inside the image (SI-Score's pct_inside_image). */
function pctInside(f: Factors): number {
  const side = Math.sqrt(f.area);
  const t = (f.rotation * Math.PI) / 180;
  const half = (side * (Math.abs(Math.cos(t)) + Math.abs(Math.sin(t)))) / 2;
  const overlap = (centre: number): number => Math.max(0, Math.min(1, centre + half) - Math.max(0, centre - half));
  return Math.round(((overlap(f.x) * overlap(f.y)) / (2 * half) ** 2) * 1e4) / 1e4;
}

function allSeenPhotos(ctx: PlanContext): string[] {
  return CLASS_NAMES.flatMap((c) => ctx.pools[c].seen).sort();
}

export const siScorePart: DatasetPart<SiScoreJob> = {
  name: 'si_score',
  root: 'suites/si_score',

  plan(ctx) {
    const photos = allSeenPhotos(ctx);
    const jobs: SiScoreJob[] = [];
    const total = ctx.config.counts.suite_per_class * CLASSES.length;
    for (const { variant, values } of variantFactors(ctx.config.suites.si_score)) {
      // Every factor value as often as the count allows: concatenated shuffles of all values.
      const order = new Rng(ctx.seed, 'si-order', variant);
      const sequence: number[] = [];
      while (sequence.length < total) sequence.push(...order.shuffle(values.map((_, i) => i)));
      for (let imageId = 0; imageId < total; imageId++) {
        const cls = CLASSES[imageId % CLASSES.length];
        const factors = values[sequence[imageId]];
        const rng = new Rng(ctx.seed, 'si', variant, imageId);
        const icons = ctx.icons.training[cls.name];
        const backgroundIndex = rng.int(0, photos.length - 1);
        const photoId = photos[backgroundIndex];
        const backgroundClass = CLASS_NAMES.find((c) => ctx.pools[c].seen.includes(photoId)) ?? '';
        const fixed = {
          scale: Math.sqrt(factors.area),
          cx: factors.x,
          cy: factors.y,
          rotationDeg: factors.rotation,
          flip: false,
        };
        const scene = drawScene(rng, ctx, { className: cls.name, icons, backgroundClass, photoId, fixed });
        const instance = icons.findIndex((i) => i.set === scene.object.icon.set && i.name === scene.object.icon.name);
        jobs.push({
          part: this.name,
          index: jobs.length,
          outputs: 1,
          variant,
          imageId,
          factors,
          instance,
          backgroundIndex,
          scene,
        });
      }
    }
    return jobs;
  },

  async render(job, ctx) {
    const size = ctx.config.image_size;
    const cls = classByName(job.scene.className);
    const comp = ctx.composer.compose(job.scene); // may leave the image: SI-Score's location grid reaches the corners
    const f = job.factors;
    const record = imageRecord({
      path: `${job.variant}/${cls.label}/${job.imageId}.jpg`,
      variant: job.variant,
      scene: job.scene,
      size,
      geometry: comp.geometry,
      attributes: {
        image_id: job.imageId,
        x_coord: f.x,
        y_coord: f.y,
        area: f.area,
        rotation: f.rotation,
        foreground_class: cls.index,
        foreground_instance: job.instance,
        background: job.backgroundIndex,
        bg_resolution_width: size,
        bg_resolution_height: size,
        pct_inside_image: pctInside(f),
      },
    });
    await ctx.out.jpeg(record.path, comp.rgb, size);
    return [record];
  },

  async finish(records, ctx) {
    await writeObjectsSidecar(ctx.out, records);
    const photos = allSeenPhotos(ctx.plan);
    const byVariant = new Map<string, ImageRecord[]>();
    for (const r of records) byVariant.set(r.variant, [...(byVariant.get(r.variant) ?? []), r]);
    const columns = METADATA_HEADER.split(',');
    for (const [variant, rows] of byVariant) {
      const csv = rows.map((r) => columns.map((c) => String(r.attributes[c])).join(','));
      await ctx.out.bytes(`${variant}/metadata.csv`, `${[METADATA_HEADER, ...csv].join('\n')}\n`);
      await ctx.out.bytes(
        `${variant}/foreground_classes.csv`,
        `${['int,label', ...CLASSES.map((c) => `${c.index},${c.label}`)].join('\n')}\n`,
      );
      await ctx.out.bytes(
        `${variant}/backgrounds.csv`,
        `${['int,label', ...photos.map((p, i) => `${i},${p}.jpg`)].join('\n')}\n`,
      );
    }
    return {
      layout: '<variant>/<label>/<image_id>.jpg + metadata.csv, foreground_classes.csv, backgrounds.csv',
      counts: countByVariant(records),
      invisible_objects: records.filter((r) => !r.object_visible).length,
    };
  },

  /** Two rows per variant: consecutive image ids cycle through the classes. */
  sheet: (records, limit) => {
    const columns = Math.max(1, Math.floor(Math.sqrt(limit)));
    return groupBy(records, (r) => r.variant).flatMap((group) => [
      group.slice(0, columns),
      group.slice(columns, 2 * columns),
    ]);
  },
};
