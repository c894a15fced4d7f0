/**
 * Renders scene specs to pixels inside a worker: background crop, object layer, composite, mask and geometry.
 * Decoded photos and icon rasters are cached per worker.
 */
import { PhotoCache, type BackgroundIndexEntry } from './backgrounds.js';
import { IconRasterCache } from './icons.js';
import {
  compositeOver,
  coverageMask,
  maskGeometry,
  renderObjectLayer,
  resampleCrop,
  type MaskGeometry,
  type ObjectLayer,
} from './raster.js';
import type { BackgroundSpec, ObjectSpec, SceneSpec } from './sampling.js';

export interface Composite {
  /** The finished image, packed RGB. */
  rgb: Buffer;
  /** The background alone (same crop), packed RGB. */
  background: Buffer;
  layer: ObjectLayer;
  /** 1 where the object covers at least half a pixel. */
  mask: Uint8Array;
  /** Null when no pixel of the object is inside the image. */
  geometry: MaskGeometry | null;
}

export class Composer {
  private readonly photoCache = new PhotoCache();
  private readonly icons: IconRasterCache;

  constructor(
    readonly size: number,
    private readonly photos: ReadonlyMap<string, BackgroundIndexEntry>,
  ) {
    // The largest an object gets is the whole image side (SI-Score area 1.0); its raster never needs upsampling.
    this.icons = new IconRasterCache(size);
  }

  async background(spec: BackgroundSpec): Promise<Buffer> {
    const entry = this.photos.get(spec.photo);
    if (!entry) throw new Error(`background photo "${spec.photo}" is not in the index`);
    return resampleCrop(await this.photoCache.get(entry), spec.crop, this.size);
  }

  async object(spec: ObjectSpec): Promise<{ layer: ObjectLayer; mask: Uint8Array; geometry: MaskGeometry | null }> {
    const layer = renderObjectLayer(await this.icons.get(spec.icon), spec.placement, this.size);
    const mask = coverageMask(layer);
    return { layer, mask, geometry: maskGeometry(mask, this.size) };
  }

  async compose(scene: Pick<SceneSpec, 'object' | 'background'>): Promise<Composite> {
    const [background, object] = await Promise.all([this.background(scene.background), this.object(scene.object)]);
    return { rgb: compositeOver(object.layer, background), background, ...object };
  }
}
