/**
 * Point metrics, the project's addition to every suite that knows where the object is: is the predicted point
 * on the object (in its box, in its mask), how far is it from the object's centre, and the same for the constant
 * guess "the centre of the image" on the same images, so a number can be read against that baseline.
 */

export type Box = readonly [number, number, number, number];

/** Continuous pixel coordinates: a point on the box edge is inside (docs/synth.md's point-in-box test). */
export function pointInBox(x: number, y: number, box: Box): boolean {
  return x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];
}

export function pointInAnyBox(x: number, y: number, boxes: readonly Box[]): boolean {
  return boxes.some((b) => pointInBox(x, y, b));
}

export const boxCentre = (box: Box): [number, number] => [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];

/** Euclidean distance between two pixel points as a fraction of the image diagonal. */
export function distanceFraction(
  x: number,
  y: number,
  target: readonly [number, number],
  width: number,
  height: number,
): number {
  return Math.hypot(x - target[0], y - target[1]) / Math.hypot(width, height);
}

/** One image's point outcome (ItemScore.point). */
export interface PointOutcome {
  inBox?: boolean;
  inMask?: boolean;
  distance?: number;
  centreInBox?: boolean;
  centreInMask?: boolean;
  centreDistance?: number;
}

/** A metric and its image count. */
export interface Rate {
  value: number;
  count: number;
}

/** Means over the images that have each field: point_in_box, centre_in_box, ..., point_distance, centre_distance. */
/** Each point field and the metric it becomes, in the report's order (also the running metrics of WatchJob). */
export const POINT_METRICS: readonly [keyof PointOutcome, string][] = [
  ['inBox', 'point_in_box'],
  ['centreInBox', 'centre_in_box'],
  ['inMask', 'point_in_mask'],
  ['centreInMask', 'centre_in_mask'],
  ['distance', 'point_distance'],
  ['centreDistance', 'centre_distance'],
];

export function summarisePoints(outcomes: readonly (PointOutcome | undefined)[]): Record<string, Rate> {
  const out: Record<string, Rate> = {};
  for (const [field, name] of POINT_METRICS) {
    let sum = 0;
    let count = 0;
    for (const o of outcomes) {
      const v = o?.[field];
      if (v === undefined) continue;
      sum += typeof v === 'boolean' ? (v ? 1 : 0) : v;
      count++;
    }
    if (count > 0) out[name] = { value: sum / count, count };
  }
  return out;
}
