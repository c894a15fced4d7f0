/**
 * Renders scene specs to pixels inside a worker: background crop, object layer, composite, mask and geometry.
 * Photos and icon rasters come prepared (asset-cache.ts).
 */
import type { AssetStore } from './asset-cache.js';
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
  constructor(
    readonly size: number,
    private readonly assets: AssetStore,
  ) {}

  background(spec: BackgroundSpec): Buffer {
    return resampleCrop(this.assets.photo(spec.photo), spec.crop, this.size);
  }

  object(spec: ObjectSpec): { layer: ObjectLayer; mask: Uint8Array; geometry: MaskGeometry | null } {
    // Icon rasters are prepared at the image side: the largest an object gets (SI-Score area 1.0).
    const layer = renderObjectLayer(this.assets.icon(spec.icon), spec.placement, this.size);
    const mask = coverageMask(layer);
    return { layer, mask, geometry: maskGeometry(mask, this.size) };
  }

  compose(scene: Pick<SceneSpec, 'object' | 'background'>): Composite {
    const background = this.background(scene.background);
    const object = this.object(scene.object);
    return { rgb: compositeOver(object.layer, background), background, ...object };
  }
}
