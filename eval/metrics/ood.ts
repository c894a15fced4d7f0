/**
 * Out-of-distribution detection metrics (ImageNet-O): AUROC, AUPR and FPR at 95% recall, computed as hendrycks'
 * natural-adv-examples calibration_tools.get_measures does: scikit-learn's roc_auc_score and
 * average_precision_score with the OOD images as positives, and its own fpr_and_fdr_at_recall. Tied scores are
 * one threshold (scikit-learn's distinct-threshold curves), so the results match scikit-learn exactly.
 */

interface Curve {
  /** True and false positives at each distinct threshold, highest threshold first. */
  tps: number[];
  fps: number[];
  positives: number;
  negatives: number;
}

function binaryCurve(positive: readonly boolean[], scores: readonly number[]): Curve {
  if (positive.length !== scores.length) throw new Error(`${positive.length} labels but ${scores.length} scores`);
  for (const s of scores) if (!Number.isFinite(s)) throw new Error(`score ${s} is not a finite number`);
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  order.forEach((i, k) => {
    if (positive[i]) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
    }
  });
  if (tp === 0 || fp === 0) {
    throw new Error(`need positives and negatives, got ${tp} positive and ${fp} negative items`);
  }
  return { tps, fps, positives: tp, negatives: fp };
}

/** Area under the ROC curve (scikit-learn roc_auc_score): trapezoids from (0, 0) over the distinct thresholds. */
export function auroc(positive: readonly boolean[], scores: readonly number[]): number {
  const { tps, fps, positives, negatives } = binaryCurve(positive, scores);
  let area = 0;
  let x0 = 0;
  let y0 = 0;
  for (let k = 0; k < tps.length; k++) {
    const x = fps[k] / negatives;
    const y = tps[k] / positives;
    area += ((x - x0) * (y + y0)) / 2;
    x0 = x;
    y0 = y;
  }
  return area;
}

/** Average precision (scikit-learn average_precision_score): sum over thresholds of (R_k - R_{k-1}) P_k. */
export function averagePrecision(positive: readonly boolean[], scores: readonly number[]): number {
  const { tps, fps, positives } = binaryCurve(positive, scores);
  let ap = 0;
  let recall0 = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k] / positives;
    ap += (recall - recall0) * (tps[k] / (tps[k] + fps[k]));
    recall0 = recall;
  }
  return ap;
}

/**
 * False-positive rate at the threshold whose recall is closest to `recallLevel` (hendrycks'
 * fpr_and_fdr_at_recall: thresholds from the first with full recall upwards, the first closest one wins).
 */
export function fprAtRecall(positive: readonly boolean[], scores: readonly number[], recallLevel = 0.95): number {
  const { tps, fps, positives, negatives } = binaryCurve(positive, scores);
  const lastInd = tps.indexOf(positives);
  let best = lastInd;
  let bestGap = Infinity;
  for (let k = lastInd; k >= 0; k--) {
    const gap = Math.abs(tps[k] / positives - recallLevel);
    if (gap < bestGap) {
      bestGap = gap;
      best = k;
    }
  }
  return fps[best] / negatives;
}

/**
 * ImageNet-O's three numbers from the in-distribution confidence (max softmax over the 200 classes): the anomaly
 * score is its negation and the OOD images are the positives (eval_many_models.py get_imagenet_o_results).
 */
export function oodMeasures(
  ood: readonly boolean[],
  inDistributionScore: readonly number[],
): { auroc: number; aupr: number; fpr95: number } {
  const anomaly = inDistributionScore.map((s) => -s);
  return {
    auroc: auroc(ood, anomaly),
    aupr: averagePrecision(ood, anomaly),
    fpr95: fprAtRecall(ood, anomaly, 0.95),
  };
}
