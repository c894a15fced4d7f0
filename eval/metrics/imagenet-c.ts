/**
 * ImageNet-C's corruption errors (Hendrycks & Dietterich 2019; hendrycks/robustness ImageNet-C test.py):
 * CE_c = sum over severities of the model's top-1 error / the same sum for AlexNet, mCE = the mean CE over the 15
 * standard corruptions, in percent (100 = AlexNet). Extra corruptions (speckle_noise, gaussian_blur, spatter,
 * saturate, or any other) get an error but no CE and stay out of mCE. Pure over an error table.
 */

/** Model top-1 error (fraction) per corruption and severity ("1".."5"). */
export type ErrorTable = Record<string, Record<string, number>>;

export interface AlexNetReference {
  /** The 15 standard corruptions, in the published order. */
  standard: string[];
  /** AlexNet's error per corruption for severities 1..5. */
  perSeverity: Record<string, number[]>;
}

export interface CorruptionSummary {
  /** mCE in percent over the standard corruptions present; NaN when none is. */
  mCE: number;
  /** CE per standard corruption present, in percent. */
  ce: Record<string, number>;
  /** The model's error per corruption (mean over the severities present), standard and extra. */
  error: Record<string, number>;
  /** Standard corruptions absent from the table (mCE is then over fewer than 15: say so). */
  missing: string[];
  /** Corruptions in the table that are not among the standard 15. */
  extras: string[];
  /** Mean top-1 accuracy over the standard corruptions' severities present. */
  meanAccuracy: number;
}

export function corruptionSummary(table: ErrorTable, reference: AlexNetReference): CorruptionSummary {
  const standard = new Set(reference.standard);
  const ce: Record<string, number> = {};
  const error: Record<string, number> = {};
  const accuracies: number[] = [];
  for (const corruption of Object.keys(table).sort()) {
    const severities = Object.keys(table[corruption]).sort((a, b) => Number(a) - Number(b));
    if (severities.length === 0) continue;
    const errors = severities.map((s) => table[corruption][s]);
    error[corruption] = errors.reduce((a, b) => a + b, 0) / errors.length;
    if (!standard.has(corruption)) continue;
    let alexnet = 0;
    for (const s of severities) {
      const e = reference.perSeverity[corruption]?.[Number(s) - 1];
      if (e === undefined) throw new Error(`ImageNet-C: no AlexNet error for ${corruption} severity ${s}`);
      alexnet += e;
    }
    ce[corruption] = (100 * errors.reduce((a, b) => a + b, 0)) / alexnet;
    for (const e of errors) accuracies.push(1 - e);
  }
  const ces = reference.standard.filter((c) => c in ce).map((c) => ce[c]);
  return {
    mCE: ces.length === 0 ? NaN : ces.reduce((a, b) => a + b, 0) / ces.length,
    ce,
    error,
    missing: reference.standard.filter((c) => !(c in error)),
    extras: Object.keys(error).filter((c) => !standard.has(c)),
    meanAccuracy: accuracies.length === 0 ? NaN : accuracies.reduce((a, b) => a + b, 0) / accuracies.length,
  };
}
