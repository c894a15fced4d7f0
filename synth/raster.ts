/**
 * Pixel geometry for the composites: cropping/resampling a photo, placing a scaled, rotated, flipped icon, alpha
 * compositing, and reading the mask's box and centroid.
 *
 * Written here rather than done with sharp because at these sizes libvips' per-pipeline cost dominates: a
 * resize + rotate of a 40 px RGBA raster measured 4.4 ms of CPU per call (sharp 0.35, this machine), while this
 * supersampled inverse warp takes a fraction of a millisecond and yields the object's coverage (its exact mask) in
 * the same pass. sharp still rasterises the SVGs, decodes the photos and encodes every output file.
 */
import type { RgbImage } from './backgrounds.js';
import type { RgbaImage } from './icons.js';

/** Premultiplied RGBA bytes: bilinear sampling of premultiplied colour has no dark fringes at the edges. */
export interface PremultipliedImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function premultiply(image: RgbaImage, alreadyPremultiplied = false): PremultipliedImage {
  if (alreadyPremultiplied) return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
  const n = image.width * image.height;
  const data = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const a = image.data[i * 4 + 3];
    for (let c = 0; c < 3; c++) data[i * 4 + c] = Math.round((image.data[i * 4 + c] * a) / 255);
    data[i * 4 + 3] = a;
  }
  return { width: image.width, height: image.height, data };
}

/** Where an object sits: canvas side as a fraction of the image side, centre in [0, 1], degrees counter-clockwise. */
export interface Placement {
  scale: number;
  cx: number;
  cy: number;
  rotationDeg: number;
  flip: boolean;
}

/** An object rendered into the image frame: premultiplied RGB and coverage, size x size. */
export interface ObjectLayer {
  size: number;
  rgb: Float32Array;
  alpha: Float32Array;
}

/** Image-side rectangle [x0, y0, x1, y1) that a placement can touch, clipped to the image. */
function placementBounds(
  p: Placement,
  size: number,
  aspect: { w: number; h: number },
): [number, number, number, number] {
  const longer = Math.max(aspect.w, aspect.h);
  const halfW = (p.scale * size * aspect.w) / longer / 2;
  const halfH = (p.scale * size * aspect.h) / longer / 2;
  const t = (p.rotationDeg * Math.PI) / 180;
  const ex = Math.abs(halfW * Math.cos(t)) + Math.abs(halfH * Math.sin(t));
  const ey = Math.abs(halfW * Math.sin(t)) + Math.abs(halfH * Math.cos(t));
  const cx = p.cx * size;
  const cy = p.cy * size;
  return [
    Math.max(0, Math.floor(cx - ex) - 1),
    Math.max(0, Math.floor(cy - ey) - 1),
    Math.min(size, Math.ceil(cx + ex) + 1),
    Math.min(size, Math.ceil(cy + ey) + 1),
  ];
}

/** Renders `master` (the icon at its own resolution) into a size x size frame at `placement`. */
export function renderObjectLayer(master: PremultipliedImage, placement: Placement, size: number): ObjectLayer {
  const rgb = new Float32Array(size * size * 3);
  const alpha = new Float32Array(size * size);
  const longer = Math.max(master.width, master.height);
  const sidePx = placement.scale * size;
  const toMaster = longer / sidePx; // master pixels per output pixel
  const n = Math.min(6, Math.max(2, Math.ceil(toMaster) + 1)); // sub-samples per axis: enough to average, not alias
  const t = (placement.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = placement.cx * size;
  const cy = placement.cy * size;
  const mw = master.width;
  const mh = master.height;
  const src = master.data;
  const [x0, y0, x1, y1] = placementBounds(placement, size, { w: mw, h: mh });
  const weight = 1 / (n * n * 255);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        const dy = y + (sy + 0.5) / n - cy;
        for (let sx = 0; sx < n; sx++) {
          const dx = x + (sx + 0.5) / n - cx;
          // Undo the counter-clockwise rotation (y grows downwards), then the flip, then the scale.
          let ox = dx * cos - dy * sin;
          const oy = dx * sin + dy * cos;
          if (placement.flip) ox = -ox;
          const u = ox * toMaster + mw / 2 - 0.5;
          const v = oy * toMaster + mh / 2 - 0.5;
          if (u <= -1 || v <= -1 || u >= mw || v >= mh) continue;
          const ix = Math.floor(u);
          const iy = Math.floor(v);
          const fx = u - ix;
          const fy = v - iy;
          for (let k = 0; k < 4; k++) {
            const px = ix + (k & 1);
            const py = iy + (k >> 1);
            if (px < 0 || py < 0 || px >= mw || py >= mh) continue;
            const w = ((k & 1) === 1 ? fx : 1 - fx) * (k >> 1 === 1 ? fy : 1 - fy);
            const o = (py * mw + px) * 4;
            r += src[o] * w;
            g += src[o + 1] * w;
            b += src[o + 2] * w;
            a += src[o + 3] * w;
          }
        }
      }
      const o = y * size + x;
      rgb[o * 3] = r * weight;
      rgb[o * 3 + 1] = g * weight;
      rgb[o * 3 + 2] = b * weight;
      alpha[o] = Math.min(1, a * weight);
    }
  }
  return { size, rgb, alpha };
}

/** A square crop of a photo: top-left corner and side in photo pixels, mirrored or not. */
export interface Crop {
  x: number;
  y: number;
  side: number;
  flip: boolean;
}

/**
 * Resamples a square crop to size x size RGB bytes: supersampled bilinear from the mip level nearest the crop's
 * scale (`levels[k]` is the photo halved k times), which averages like a box filter without aliasing.
 */
export function resampleCrop(levels: readonly RgbImage[], crop: Crop, size: number): Buffer {
  const fullStep = crop.side / size;
  const level = Math.min(levels.length - 1, Math.max(0, Math.floor(Math.log2(fullStep))));
  const { width, height, data } = levels[level];
  const shrink = 2 ** level;
  const step = fullStep / shrink;
  const cropX = crop.x / shrink;
  const cropY = crop.y / shrink;
  const cropSide = crop.side / shrink;
  const n = Math.min(5, Math.max(1, Math.ceil(step)));
  const out = Buffer.alloc(size * size * 3);
  const acc = [0, 0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 0; sy < n; sy++) {
        const v = Math.min(height - 1, Math.max(0, cropY + (y + (sy + 0.5) / n) * step - 0.5));
        const iy = Math.min(height - 2, Math.floor(v));
        const fy = v - iy;
        for (let sx = 0; sx < n; sx++) {
          const along = (x + (sx + 0.5) / n) * step;
          const u = Math.min(width - 1, Math.max(0, (crop.flip ? cropX + cropSide - along : cropX + along) - 0.5));
          const ix = Math.min(width - 2, Math.floor(u));
          const fx = u - ix;
          const o00 = (iy * width + ix) * 3;
          const o10 = o00 + 3;
          const o01 = o00 + width * 3;
          const o11 = o01 + 3;
          for (let c = 0; c < 3; c++) {
            const top = data[o00 + c] * (1 - fx) + data[o10 + c] * fx;
            const bottom = data[o01 + c] * (1 - fx) + data[o11 + c] * fx;
            acc[c] += top * (1 - fy) + bottom * fy;
          }
        }
      }
      const o = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(acc[c] / (n * n));
    }
  }
  return out;
}

/** `layer` over `background` (RGB bytes); a null background is black (the only_fg variant). */
export function compositeOver(layer: ObjectLayer, background: Buffer | null): Buffer {
  const n = layer.size * layer.size;
  const out = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    const keep = 1 - layer.alpha[i];
    for (let c = 0; c < 3; c++) {
      const under = background ? background[i * 3 + c] * keep : 0;
      out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(layer.rgb[i * 3 + c] * 255 + under)));
    }
  }
  return out;
}

/** The object's pixels: coverage of at least one half. */
export function coverageMask(layer: ObjectLayer): Uint8Array {
  const mask = new Uint8Array(layer.size * layer.size);
  for (let i = 0; i < mask.length; i++) mask[i] = layer.alpha[i] >= 0.5 ? 1 : 0;
  return mask;
}

/**
 * Box and centroid of a mask in continuous pixel coordinates (pixel edges at integers, as docs/model-repository.md
 * defines points): box = [xmin, ymin, xmax, ymax] with xmax = last object column + 1, so every point on the object
 * satisfies xmin <= x <= xmax; centroid = mean of the object's pixel centres.
 */
export interface MaskGeometry {
  box: [number, number, number, number];
  centroid: [number, number];
  area: number;
  /** The mask itself as COCO's uncompressed RLE (see maskRle). */
  rle: CocoRle;
}

/**
 * COCO's uncompressed run-length encoding: `size` [height, width]; `counts` alternate runs of 0 and 1 over the
 * pixels in column-major order, starting with a (possibly empty) run of 0. pycocotools' `frPyObjects` reads it.
 */
export interface CocoRle {
  size: [number, number];
  counts: number[];
}

export function maskRle(mask: Uint8Array, size: number): CocoRle {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) {
      const v = mask[y * size + x];
      if (v === current) {
        run++;
      } else {
        counts.push(run);
        current = v;
        run = 1;
      }
    }
  }
  counts.push(run);
  return { size: [size, size], counts };
}

export function maskGeometry(mask: Uint8Array, size: number): MaskGeometry | null {
  let minX = size;
  let minY = size;
  let maxX = -1;
  let maxY = -1;
  let sx = 0;
  let sy = 0;
  let area = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (mask[y * size + x] === 0) continue;
      area++;
      sx += x + 0.5;
      sy += y + 0.5;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (area === 0) return null;
  return { box: [minX, minY, maxX + 1, maxY + 1], centroid: [sx / area, sy / area], area, rle: maskRle(mask, size) };
}

/** Blacks out the given pixels (no_fg: the mask; only_bg_b: the box). */
export function blackOut(image: Buffer, size: number, isRemoved: (x: number, y: number) => boolean): Buffer {
  const out = Buffer.from(image);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) if (isRemoved(x, y)) out.fill(0, (y * size + x) * 3, (y * size + x) * 3 + 3);
  return out;
}

/**
 * only_bg_t: the object's box is filled by tiling the largest background strip beside it (left, right, above or
 * below), as the Backgrounds Challenge fills it with tiles of the remaining background.
 */
export function tileOverBox(image: Buffer, size: number, box: [number, number, number, number]): Buffer {
  const [bx0, by0, bx1, by1] = box.map((v) => Math.round(v));
  const strips: Array<[number, number, number, number]> = [
    [0, 0, bx0, size],
    [bx1, 0, size, size],
    [0, 0, size, by0],
    [0, by1, size, size],
  ];
  const [sx0, sy0, sx1, sy1] = strips.reduce((best, s) =>
    (s[2] - s[0]) * (s[3] - s[1]) > (best[2] - best[0]) * (best[3] - best[1]) ? s : best,
  );
  const out = Buffer.from(image);
  const tw = sx1 - sx0;
  const th = sy1 - sy0;
  if (tw <= 0 || th <= 0) return blackOut(image, size, (x, y) => x >= bx0 && x < bx1 && y >= by0 && y < by1); // box covers all
  for (let y = by0; y < by1; y++) {
    for (let x = bx0; x < bx1; x++) {
      const src = ((sy0 + ((y - by0) % th)) * size + (sx0 + ((x - bx0) % tw))) * 3;
      image.copy(out, (y * size + x) * 3, src, src + 3);
    }
  }
  return out;
}
