/**
 * Draws what one composite shows (class, icon, placement, photo, crop) from that image's own random stream.
 * Runs in the main thread while planning; the workers only render the resulting plain-data specs.
 */
import type { BackgroundIndexEntry } from './backgrounds.js';
import { CLASS_NAMES } from './classes.js';
import type { BackgroundConfig, ObjectConfig } from './config.js';
import type { IconRef } from './icons.js';
import type { Crop, Placement } from './raster.js';
import type { Rng } from './rng.js';

export interface ObjectSpec {
  icon: IconRef;
  placement: Placement;
}

export interface BackgroundSpec {
  photo: string;
  crop: Crop;
}

/** Everything needed to render one composite. */
export interface SceneSpec {
  className: string;
  object: ObjectSpec;
  background: BackgroundSpec;
  /** The class whose pool the photo came from. */
  backgroundClass: string;
}

/** A random placement whose (unrotated) canvas lies inside the image, or the given fixed values. */
export function sampleObject(
  rng: Rng,
  icons: readonly IconRef[],
  c: ObjectConfig,
  fixed: Partial<Placement> = {},
): ObjectSpec {
  const icon = rng.pick(icons);
  const scale = fixed.scale ?? rng.uniform(c.scale_min, c.scale_max);
  const placement: Placement = {
    scale,
    cx: fixed.cx ?? rng.uniform(scale / 2, 1 - scale / 2),
    cy: fixed.cy ?? rng.uniform(scale / 2, 1 - scale / 2),
    rotationDeg: fixed.rotationDeg ?? rng.uniform(-c.rotation_max_deg, c.rotation_max_deg),
    flip: fixed.flip ?? rng.bernoulli(c.flip_probability),
  };
  return { icon, placement };
}

/** A random square crop (side a fraction of the short side), anywhere in the photo, mirrored or not. */
export function sampleBackground(rng: Rng, photo: BackgroundIndexEntry, c: BackgroundConfig): BackgroundSpec {
  const short = Math.min(photo.width, photo.height);
  const side = Math.max(1, Math.round(short * rng.uniform(c.crop_min, c.crop_max)));
  return {
    photo: photo.id,
    crop: {
      x: rng.int(0, photo.width - side),
      y: rng.int(0, photo.height - side),
      side,
      flip: rng.bernoulli(c.flip_probability),
    },
  };
}

/** The spurious correlation: the class's own pool with probability rho, another class's pool otherwise. */
export function correlatedBackgroundClass(rng: Rng, className: string, rho: number): string {
  if (rng.bernoulli(rho)) return className;
  return rng.pick(CLASS_NAMES.filter((c) => c !== className));
}

/** A scene of `className` with an icon from `icons` on a crop of `photoId` (from the pool of `backgroundClass`). */
export function drawScene(
  rng: Rng,
  ctx: {
    photos: ReadonlyMap<string, BackgroundIndexEntry>;
    config: { object: ObjectConfig; backgrounds: BackgroundConfig };
  },
  scene: {
    className: string;
    icons: readonly IconRef[];
    backgroundClass: string;
    photoId: string;
    fixed?: Partial<Placement>;
  },
): SceneSpec {
  const photo = ctx.photos.get(scene.photoId);
  if (!photo)
    throw new Error(
      `photo "${scene.photoId}" of the ${scene.backgroundClass} pool is missing from the background index`,
    );
  return {
    className: scene.className,
    object: sampleObject(rng, scene.icons, ctx.config.object, scene.fixed),
    background: sampleBackground(rng, photo, ctx.config.backgrounds),
    backgroundClass: scene.backgroundClass,
  };
}
