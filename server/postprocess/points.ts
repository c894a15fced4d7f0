/**
 * The model's point output, checked before it is mapped onto the image. A point head is a regression output with
 * nothing that keeps it inside the model input: values a little outside [0, 1] are clamped to its edge (the
 * object is at the border), and a non-finite value (NaN from 0/0 or sqrt of a negative, an overflow) is no point
 * at all: it is left out of the answer rather than mapped to a NaN or an absurd pixel position.
 */

export interface ModelPoint {
  u: number;
  v: number;
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

/** The point in model-input coordinates, clamped to [0, 1]; undefined when either coordinate is not finite. */
export function checkedModelPoint(u: number, v: number): ModelPoint | undefined {
  if (!Number.isFinite(u) || !Number.isFinite(v)) return undefined;
  return { u: clamp01(u), v: clamp01(v) };
}
