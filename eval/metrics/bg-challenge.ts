/** The Backgrounds Challenge's summary numbers (Xiao et al. 2021; MadryLab/backgrounds_challenge). */

/** BG-gap = accuracy on Mixed-Same - accuracy on Mixed-Rand (README: the impact of background correlations). */
export function bgGap(mixedSameAccuracy: number, mixedRandAccuracy: number): number {
  return mixedSameAccuracy - mixedRandAccuracy;
}

/**
 * The adversarial backgrounds challenge (challenge_eval.py / adv_bgs_eval_model): a foreground is vulnerable when
 * ANY of its composites is misclassified. `foreground[i]` names the foreground of composite i. Accuracy (what
 * the LUAB paper reports as BGC) is the share of foregrounds that no background fooled.
 */
export function challengeAccuracy(
  foreground: readonly string[],
  correct: readonly boolean[],
): { accuracy: number; foregrounds: number; vulnerable: number } {
  if (foreground.length !== correct.length) {
    throw new Error(`challengeAccuracy: ${foreground.length} composites, ${correct.length} outcomes`);
  }
  const fooled = new Map<string, boolean>();
  foreground.forEach((f, i) => fooled.set(f, (fooled.get(f) ?? false) || !correct[i]));
  const foregrounds = fooled.size;
  const vulnerable = [...fooled.values()].filter((v) => v).length;
  return { accuracy: foregrounds === 0 ? NaN : (foregrounds - vulnerable) / foregrounds, foregrounds, vulnerable };
}
