/** Accuracy and error over per-image outcomes. Pure functions over arrays. */

/** Fraction of true values; NaN for an empty array (no images: no accuracy, never a silent 0 or 1). */
export function accuracy(correct: readonly boolean[]): number {
  if (correct.length === 0) return NaN;
  let n = 0;
  for (const c of correct) if (c) n++;
  return n / correct.length;
}

/** Top-1 error = 1 - accuracy. */
export function errorRate(correct: readonly boolean[]): number {
  return 1 - accuracy(correct);
}

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Accuracy of each group (key → fraction correct), keys sorted. */
export function groupAccuracy(groups: readonly string[], correct: readonly boolean[]): Record<string, number> {
  if (groups.length !== correct.length)
    throw new Error(`groupAccuracy: ${groups.length} groups, ${correct.length} outcomes`);
  const totals = new Map<string, [number, number]>();
  groups.forEach((g, i) => {
    const t = totals.get(g) ?? [0, 0];
    t[0] += correct[i] ? 1 : 0;
    t[1] += 1;
    totals.set(g, t);
  });
  const out: Record<string, number> = {};
  for (const key of [...totals.keys()].sort(compareGroupKeys)) {
    const [right, all] = totals.get(key) as [number, number];
    out[key] = right / all;
  }
  return out;
}

/** Numeric keys ("0.05", "21", "0.5,0.25") in numeric order, anything else after, as text. */
export function compareGroupKeys(a: string, b: string): number {
  const na = a.split(',').map(Number);
  const nb = b.split(',').map(Number);
  if (na.every(Number.isFinite) && nb.every(Number.isFinite)) {
    for (let i = 0; i < Math.min(na.length, nb.length); i++) if (na[i] !== nb[i]) return na[i] - nb[i];
    return na.length - nb.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * SI-Score's summary (robustness_metrics `synthetic`: size/rotation/location_average): the unweighted mean of the
 * per-group accuracies, so a group with many images counts as much as one with few.
 */
export function macroAverage(perGroup: Record<string, number>): number {
  return mean(Object.values(perGroup));
}
