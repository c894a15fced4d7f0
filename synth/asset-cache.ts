/**
 * Decoded photos and rasterised icons, prepared once in the main thread and shared with every worker through
 * SharedArrayBuffers. Each worker decoding and rasterising its own copies measured as the larger part of a
 * --small run, done twice on two workers; sharing also keeps one copy in memory.
 */
import { decodePhoto, mipLevels, type BackgroundIndexEntry, type RgbImage } from './backgrounds.js';
import { rasterizeIcon, type IconRef } from './icons.js';
import type { PremultipliedImage } from './raster.js';

export interface SharedImage {
  width: number;
  height: number;
  data: SharedArrayBuffer;
}

export interface SharedAssets {
  /** Icon rasters by `set:name`, premultiplied RGBA at the image side. */
  icons: Record<string, SharedImage>;
  /** Photo mip levels by id, packed RGB, full size first. */
  photos: Record<string, SharedImage[]>;
}

export const iconKey = (ref: IconRef): string => `${ref.set}:${ref.name}`;

function share(image: { width: number; height: number; data: Uint8Array }): SharedImage {
  const data = new SharedArrayBuffer(image.data.byteLength);
  new Uint8Array(data).set(image.data);
  return { width: image.width, height: image.height, data };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Every icon and photo the jobs name. Job payloads differ per part, but all of them describe objects as
 * `{ icon: { set, name }, placement }` and backgrounds as `{ photo, crop }` (sampling.ts), so a walk finds them.
 */
export function assetsNamedBy(jobs: readonly unknown[]): { icons: IconRef[]; photos: string[] } {
  const icons = new Map<string, IconRef>();
  const photos = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isRecord(value)) return;
    const icon = value.icon;
    if ('placement' in value && isRecord(icon) && typeof icon.set === 'string' && typeof icon.name === 'string') {
      icons.set(iconKey({ set: icon.set, name: icon.name }), { set: icon.set, name: icon.name });
    }
    if ('crop' in value && typeof value.photo === 'string') photos.add(value.photo);
    Object.values(value).forEach(visit);
  };
  visit(jobs);
  return { icons: [...icons.values()], photos: [...photos] };
}

/** Runs `task` over `items` with at most `limit` in flight (sharp works on libuv's threads meanwhile). */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export async function prepareAssets(
  jobs: readonly unknown[],
  photos: ReadonlyMap<string, BackgroundIndexEntry>,
  size: number,
): Promise<SharedAssets> {
  const named = assetsNamedBy(jobs);
  const shared: SharedAssets = { icons: {}, photos: {} };
  await forEachLimited(named.icons, 8, async (ref) => {
    shared.icons[iconKey(ref)] = share(await rasterizeIcon(ref, size));
  });
  await forEachLimited(named.photos, 8, async (id) => {
    const entry = photos.get(id);
    if (!entry) throw new Error(`background photo "${id}" is not in the index`);
    shared.photos[id] = mipLevels(await decodePhoto(entry), size).map(share);
  });
  return shared;
}

/** A worker's read-only view of the shared assets. */
export class AssetStore {
  constructor(private readonly shared: SharedAssets) {}

  icon(ref: IconRef): PremultipliedImage {
    const image = this.shared.icons[iconKey(ref)];
    if (!image) throw new Error(`icon ${iconKey(ref)} was not prepared for this run`);
    return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
  }

  photo(id: string): RgbImage[] {
    const levels = this.shared.photos[id];
    if (!levels) throw new Error(`background photo "${id}" was not prepared for this run`);
    return levels.map((l) => ({ width: l.width, height: l.height, data: new Uint8Array(l.data) }));
  }
}
