/**
 * Test-only suites for the job engine's tests, registered when this module is imported (by the test, or by a
 * `luab eval --suite-module` child process). A real reader of a simple layout, not a stub: every image under a
 * folder named by a wnid, anywhere below the root; the variant is the first folder of its path. Scored top-1 by
 * wnid. Images are sent with `keep-at-input-size`, so the no-resize path is exercised too.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { registerSuite } from '../../eval/suites/registry.js';
import type { EvalItem, ModelLabels, PredictionLine, SuiteDefinition, SuiteMetrics } from '../../eval/types.js';

export const FIXTURE_SUITE = 'fixture-wnid-tree';
export const UNMATCHED_SUITE = 'fixture-unmatched';

const WNID = /^n\d{8}$/;
const IMAGE = /\.(jpe?g|png)$/i;

// Directory entries with their types (one readdir per folder, no stat per file), like the real readers'
// (eval/suites/common.ts): the throughput benchmark uses this reader, and a stat per image was its own cost.
function* walk(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (IMAGE.test(entry.name)) yield path;
  }
}

function checkWnids(model: ModelLabels): void {
  const missing = model.labels.filter((l) => !l.wnid).map((l) => l.name);
  if (missing.length) throw new Error(`model labels without a wnid: ${missing.join(', ')}`);
}

function accuracyOf(suite: string, lines: PredictionLine[]): SuiteMetrics {
  const failed = lines.filter((l) => l.error);
  const ok = lines.filter((l) => !l.error);
  const correct = ok.filter((l) => l.score.correct).length;
  return {
    suite,
    metrics: { accuracy: { value: ok.length ? correct / ok.length : 0, better: 'higher', count: ok.length } },
    notes: ok.some((l) => l.resized) ? ['some images were resized'] : [],
    counts: { evaluated: ok.length, skipped: 0, failed: failed.length },
    failures: failed.map((l) => ({ path: l.path, code: l.error!.code, message: l.error!.message })),
  };
}

const wnidTree: SuiteDefinition = {
  name: FIXTURE_SUITE,
  rootNames: ['suites'],
  resize: 'keep-at-input-size',
  async *read(root: string): AsyncIterable<EvalItem> {
    for (const absPath of walk(root)) {
      const path = relative(root, absPath).split(sep).join('/');
      const parts = path.split('/');
      const wnid = parts
        .slice(0, -1)
        .reverse()
        .find((p) => WNID.test(p));
      if (!wnid) continue;
      yield { suite: FIXTURE_SUITE, variant: parts[0], path, absPath, targetWnids: [wnid] };
    }
  },
  checkLabels: checkWnids,
  scoreItem(item, output, model) {
    let best = 0;
    for (let i = 1; i < output.scores.length; i++) if (output.scores[i] > output.scores[best]) best = i;
    const predictedWnid = model.labels[best].wnid ?? null;
    return { predictedWnid, correct: predictedWnid !== null && item.targetWnids.includes(predictedWnid) };
  },
  aggregate: (lines) => accuracyOf(FIXTURE_SUITE, lines),
};

registerSuite(wnidTree);
registerSuite({
  ...wnidTree,
  name: UNMATCHED_SUITE,
  checkLabels(model) {
    if (!model.labels.some((l) => l.wnid === 'n99999999')) {
      throw new Error(`the suite's classes (n99999999) are not among the model's wnids`);
    }
  },
  aggregate: (lines) => accuracyOf(UNMATCHED_SUITE, lines),
});
