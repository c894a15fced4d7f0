/**
 * Helpers shared by the parts: building image records, the objects.jsonl sidecar, and picking contact-sheet rows.
 * @internal
 */
import { classByName } from '../classes.js';
import type { Composite } from '../composer.js';
import type { OutputWriter } from '../output-writer.js';
import type { MaskGeometry } from '../raster.js';
import type { SceneSpec } from '../sampling.js';
import type { ImageRecord, RenderContext } from './types.js';

export interface RecordInput {
  path: string;
  variant: string;
  /** The scene the image shows: class, icon and (unless `background` overrides it) the background. */
  scene: Pick<SceneSpec, 'className' | 'object'> & Partial<Pick<SceneSpec, 'background' | 'backgroundClass'>>;
  size: number;
  geometry: MaskGeometry | null;
  /** Default true: false where the variant removed the object. */
  visible?: boolean;
  mask?: string | null;
  /** A background other than the scene's (the mixed variants; null = black). */
  background?: { photo: string | null; className: string | null };
  attributes?: Record<string, string | number>;
}

const round = (v: number): number => Math.round(v * 1e4) / 1e4;

export function imageRecord(r: RecordInput): ImageRecord {
  const g = r.geometry;
  const cls = classByName(r.scene.className);
  const icon = r.scene.object.icon;
  const background = r.background ?? {
    photo: r.scene.background?.photo ?? null,
    className: r.scene.backgroundClass ?? null,
  };
  return {
    path: r.path,
    variant: r.variant,
    class: cls.name,
    label: cls.index,
    wnid: cls.wnid,
    width: r.size,
    height: r.size,
    object_visible: (r.visible ?? true) && g !== null,
    box: g ? g.box : null,
    centroid: g ? [round(g.centroid[0]), round(g.centroid[1])] : null,
    point: g ? [round(g.centroid[0] / r.size), round(g.centroid[1] / r.size)] : null,
    area: g ? g.area : 0,
    mask: r.mask ?? null,
    mask_rle: g ? g.rle : null,
    icon: `${icon.set}:${icon.name}`,
    background: background.photo,
    background_class: background.className,
    attributes: r.attributes ?? {},
  };
}

/** Renders a scene whose object must be visible (every part but SI-Score places objects inside the image). */
export function composeVisible(
  ctx: RenderContext,
  scene: Pick<SceneSpec, 'object' | 'background'>,
  name: string,
): Composite & { geometry: MaskGeometry } {
  const comp = ctx.composer.compose(scene);
  const geometry = comp.geometry;
  if (!geometry)
    throw new Error(`${name}: the object has no visible pixel (placement ${JSON.stringify(scene.object.placement)})`);
  return { ...comp, geometry };
}

/** objects.jsonl: one JSON object per image, in generation order (see docs/synth.md for the fields). */
export async function writeObjectsSidecar(out: OutputWriter, records: readonly ImageRecord[]): Promise<void> {
  const lines = records.map((r) => {
    // Training-only fields stay out of the suites' sidecars.
    const { clicks: _clicks, target: _target, ...sidecar } = r;
    return JSON.stringify(sidecar);
  });
  await out.bytes('objects.jsonl', `${lines.join('\n')}\n`);
}

/** Count of records per variant, in first-seen order. */
export function countByVariant(records: readonly ImageRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.variant] = (counts[r.variant] ?? 0) + 1;
  return counts;
}

/** `n` items spread evenly over the list (all of them when it is shorter). */
export function evenlySpaced<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/** Groups consecutive records that came from one job (same image stem), keeping their order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

/** A near-square grid of up to `limit` records spread over the part. */
export function gridSheet(records: readonly ImageRecord[], limit: number): ImageRecord[][] {
  const picked = evenlySpaced(records, limit);
  const columns = Math.max(1, Math.ceil(Math.sqrt(picked.length)));
  const rows: ImageRecord[][] = [];
  for (let i = 0; i < picked.length; i += columns) rows.push(picked.slice(i, i + columns));
  return rows;
}

/** Stem of a record's file name (no folder, no extension). */
export const stemOf = (r: ImageRecord): string => (r.path.split('/').pop() ?? r.path).replace(/\.[^.]+$/, '');

/** One row per image (all its variants side by side), as many rows as keep about `limit` tiles. */
export function variantRowsSheet(records: readonly ImageRecord[], limit: number): ImageRecord[][] {
  const rows = groupBy(records, stemOf);
  return evenlySpaced(rows, Math.max(1, Math.floor(limit / Math.max(1, rows[0]?.length ?? 1))));
}
