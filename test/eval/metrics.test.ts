// The evaluation metrics against hand-computed values, and AUPR/AUROC against scikit-learn itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { imagenetCAlexNet } from '../../eval/data/load.js';
import {
  decodeRle,
  maskAt,
  maskBox,
  maskCentroid,
  parseLocXml,
  parseNpyMask,
  parseSiScoreMetadata,
} from '../../eval/locations.js';
import { accuracy, compareGroupKeys, groupAccuracy, macroAverage } from '../../eval/metrics/accuracy.js';
import { bgGap, challengeAccuracy } from '../../eval/metrics/bg-challenge.js';
import { corruptionSummary } from '../../eval/metrics/imagenet-c.js';
import { auroc, averagePrecision, fprAtRecall, oodMeasures } from '../../eval/metrics/ood.js';
import { distanceFraction, pointInBox, summarisePoints } from '../../eval/metrics/points.js';
import { npyBytes } from './helpers.js';

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

describe('eval metrics', () => {
  it('accuracy is the share correct; an empty set is NaN, not 0', () => {
    assert.equal(accuracy([true, false, true, true]), 0.75);
    assert.ok(Number.isNaN(accuracy([])));
  });

  it('SI-Score: per-group accuracy, then the unweighted mean over groups (not over images)', () => {
    // area 0.1: 2 of 3 right; area 0.2: 0 of 1 → macro (2/3 + 0) / 2 = 1/3, while 2 of 4 images are right.
    const perGroup = groupAccuracy(['0.1', '0.2', '0.1', '0.1'], [true, false, true, false]);
    assert.deepEqual(Object.keys(perGroup), ['0.1', '0.2']);
    close(perGroup['0.1'], 2 / 3);
    close(macroAverage(perGroup), 1 / 3);
    // Numeric group keys sort as numbers ("0.05" < "0.5" < "1"; location pairs by x then y).
    assert.deepEqual(['1', '0.5', '0.05'].sort(compareGroupKeys), ['0.05', '0.5', '1']);
    assert.deepEqual(['0.5,0.1', '0.05,1', '0.5,0.05'].sort(compareGroupKeys), ['0.05,1', '0.5,0.05', '0.5,0.1']);
  });

  it('ImageNet-C: CE per corruption over the severities present, mCE over the standard ones, extras apart', () => {
    const reference = { standard: ['a', 'b', 'c'], perSeverity: { a: [0.5, 0.5], b: [0.8, 0.4], c: [1, 1] } };
    const s = corruptionSummary({ a: { 1: 0.25, 2: 0.25 }, b: { 1: 0.6 }, x: { 1: 0.9 } }, reference);
    close(s.ce.a, 50); // 100 * (0.25 + 0.25) / (0.5 + 0.5)
    close(s.ce.b, 75); // 100 * 0.6 / 0.8
    close(s.mCE, 62.5);
    assert.deepEqual(s.missing, ['c']);
    assert.deepEqual(s.extras, ['x']);
    close(s.error.x, 0.9);
    assert.equal(s.ce.x, undefined);
    close(s.meanAccuracy, (0.75 + 0.75 + 0.4) / 3);
  });

  it("ImageNet-C: a model with exactly AlexNet's errors has mCE 100 over the 15 standard corruptions", () => {
    const alexnet = imagenetCAlexNet();
    assert.equal(alexnet.corruptions_order.length, 15);
    const table = Object.fromEntries(
      alexnet.corruptions_order.map((c) => [
        c,
        Object.fromEntries(alexnet.alexnet_error_per_severity_1_to_5[c].map((e, i) => [String(i + 1), e])),
      ]),
    );
    const s = corruptionSummary(table, {
      standard: alexnet.corruptions_order,
      perSeverity: alexnet.alexnet_error_per_severity_1_to_5,
    });
    close(s.mCE, 100, 1e-9);
    assert.deepEqual(s.missing, []);
    // Each per-severity row averages to the published AlexNet error (augmix ALEXNET_ERR) to 1e-6.
    for (const c of alexnet.corruptions_order) close(s.error[c], alexnet.alexnet_error_mean_over_severities[c], 1e-6);
  });

  it('BG-gap is Mixed-Same minus Mixed-Rand', () => {
    close(bgGap(0.8, 0.55), 0.25);
  });

  it('the adversarial challenge: a foreground fails if any of its composites is wrong', () => {
    const c = challengeAccuracy(['A', 'A', 'A', 'B', 'B', 'C'], [true, true, true, true, false, false]);
    assert.deepEqual(c, { accuracy: 1 / 3, foregrounds: 3, vulnerable: 2 });
  });

  it('AUROC and AUPR by hand on four items', () => {
    // Scores 0.9 (P), 0.8 (N), 0.7 (P), 0.1 (N): 3 of 4 positive-negative pairs ranked right → AUROC 0.75;
    // AP = 0.5 * 1 (recall 0.5 at precision 1) + 0.5 * 2/3 (recall 1 at precision 2/3).
    const pos = [true, false, true, false];
    const scores = [0.9, 0.8, 0.7, 0.1];
    close(auroc(pos, scores), 0.75);
    close(averagePrecision(pos, scores), 0.5 + 0.5 * (2 / 3));
    // A tie between a positive and a negative counts half in AUROC.
    close(auroc([true, false], [0.5, 0.5]), 0.5);
  });

  it('FPR at 95% recall (hendrycks fpr_and_fdr_at_recall)', () => {
    // 20 positives scored 1..20, negatives at 10.5, 2.5, 1.5, -1. Recall is 19/20 = 0.95 exactly at threshold 2
    // (negatives 10.5, 2.5 above: FPR 2/4) and still at threshold 1.5 (FPR 3/4). The reference walks from the
    // lowest full-recall threshold upwards and keeps the first closest one: the lower threshold, FPR 3/4.
    const pos = [...Array(20).fill(true), false, false, false, false];
    const scores = [...Array.from({ length: 20 }, (_, i) => i + 1), 10.5, 2.5, 1.5, -1];
    close(fprAtRecall(pos, scores, 0.95), 0.75);
    // Without the tie (no negative at 1.5) the threshold 2 is the only one at recall 0.95: FPR 2/3.
    close(fprAtRecall(pos.slice(0, 22).concat([false]), scores.slice(0, 22).concat([-1]), 0.95), 2 / 3);
    // Perfect separation: no negative above the 95% threshold.
    close(fprAtRecall([true, true, false], [2, 3, 1]), 0);
  });

  it('ImageNet-O: the OOD images are the positives of the negated confidence', () => {
    // OOD images with low in-distribution confidence are detected: AUROC 1.
    const m = oodMeasures([true, true, false, false], [0.1, 0.2, 0.9, 0.8]);
    assert.deepEqual(m, { auroc: 1, aupr: 1, fpr95: 0 });
    assert.throws(() => oodMeasures([true, true], [0.1, 0.2]), /need positives and negatives/);
  });

  it('AUROC and AUPR equal scikit-learn roc_auc_score / average_precision_score (ties included)', () => {
    // Deterministic pseudo-random data (a linear congruential generator), rounded so that scores tie.
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const cases: { labels: boolean[]; scores: number[] }[] = [];
    for (const [n, decimals] of [
      [50, 1],
      [200, 2],
      [1000, 3],
    ]) {
      const labels = Array.from({ length: n }, () => next() < 0.3);
      const scores = labels.map((l) => Number((next() + (l ? 0.25 : 0)).toFixed(decimals)));
      cases.push({ labels, scores });
    }
    const script =
      'import json, sys\n' +
      'from sklearn.metrics import roc_auc_score, average_precision_score\n' +
      'cases = json.load(sys.stdin)\n' +
      'print(json.dumps([[roc_auc_score(c["labels"], c["scores"]), average_precision_score(c["labels"], c["scores"])] for c in cases]))\n';
    const run = spawnSync('/usr/bin/python3', ['-c', script], {
      input: JSON.stringify(cases.map((c) => ({ labels: c.labels.map(Number), scores: c.scores }))),
      encoding: 'utf8',
    });
    assert.equal(
      run.status,
      0,
      `/usr/bin/python3 with scikit-learn failed (scripts/setup.sh installs python3-sklearn): ${run.stderr}`,
    );
    const expected = JSON.parse(run.stdout) as [number, number][];
    cases.forEach((c, i) => {
      close(auroc(c.labels, c.scores), expected[i][0], 1e-12);
      close(averagePrecision(c.labels, c.scores), expected[i][1], 1e-12);
    });
  });

  it('point in box (edges inside), distance as a fraction of the diagonal, and their means', () => {
    assert.equal(pointInBox(10, 20, [10, 5, 30, 20]), true);
    assert.equal(pointInBox(9.99, 20, [10, 5, 30, 20]), false);
    close(distanceFraction(3, 4, [0, 0], 30, 40), 0.1); // 5 px of a 50 px diagonal
    const s = summarisePoints([
      { inBox: true, distance: 0.1, centreInBox: false, centreDistance: 0.3 },
      { inBox: false, distance: 0.3, centreInBox: false, centreDistance: 0.2 },
      undefined,
    ]);
    assert.deepEqual(s.point_in_box, { value: 0.5, count: 2 });
    close(s.point_distance.value, 0.2);
    assert.deepEqual(s.centre_in_box, { value: 0, count: 2 });
    assert.equal(s.point_in_mask, undefined);
  });

  it('COCO uncompressed RLE: column-major runs starting with 0s', () => {
    // A 2x3 mask (H=2, W=3) with object pixels (x=1, y=0), (x=1, y=1), (x=2, y=1):
    // column-major order: (0,0)=0 (0,1)=0 (1,0)=1 (1,1)=1 (2,0)=0 (2,1)=1 → runs 2 zeros, 2 ones, 1 zero, 1 one.
    const m = decodeRle({ size: [2, 3], counts: [2, 2, 1, 1] });
    assert.deepEqual([...m.data], [0, 1, 0, 0, 1, 1]);
    assert.equal(maskAt(m, 1.5, 0.2), true);
    assert.equal(maskAt(m, 2.9, 0.2), false);
    assert.equal(maskAt(m, 3, 2), true); // the bottom-right corner belongs to the last pixel
    assert.equal(maskAt(m, -0.1, 1), false);
    assert.deepEqual(maskBox(m), [1, 0, 3, 2]);
    assert.deepEqual(maskCentroid(m), [(1.5 + 1.5 + 2.5) / 3, (0.5 + 1.5 + 1.5) / 3]);
    assert.throws(() => decodeRle({ size: [2, 3], counts: [2, 2] }), /RLE runs sum to 4, not 2x3 = 6/);
  });

  it('ILSVRC LOC XML and SI-Score metadata.csv: values parsed, bad files are errors naming file and field', () => {
    const xml =
      '<annotation><size><width>500</width><height>375</height></size><object><name>n01440764</name>' +
      '<bndbox><xmin>10</xmin><ymin>20</ymin><xmax>300</xmax><ymax>200</ymax></bndbox></object></annotation>';
    assert.deepEqual(parseLocXml(xml, 'a.xml'), {
      width: 500,
      height: 375,
      objects: [{ name: 'n01440764', box: [10, 20, 300, 200] }],
    });
    assert.throws(() => parseLocXml('<annotation><size>', 'b.xml'), /b\.xml: not valid XML/);
    assert.throws(
      () => parseLocXml(xml.replace('<xmin>10</xmin>', '<xmin>ten</xmin>'), 'c.xml'),
      /c\.xml: object\[0\]\.bndbox\.xmin is not a number/,
    );
    const header =
      'image_id,x_coord,y_coord,area,rotation,foreground_class,foreground_instance,background,bg_resolution_width,bg_resolution_height,pct_inside_image';
    const rows = parseSiScoreMetadata(`${header}\n7,0.5,0.25,0.2,21,407,3,9,512,512,1\n`, 'm.csv');
    assert.equal(rows.get(7)?.rotation, 21);
    assert.throws(
      () => parseSiScoreMetadata(`${header}\n7,0.5,x,0.2,21,407,3,9,512,512,1\n`, 'm.csv'),
      /m\.csv:2: column "y_coord" is not a number \("x"\)/,
    );
  });

  it('.npy masks: uint8 and bool, C order; other files are errors naming them', () => {
    const m = parseNpyMask(npyBytes(2, 3, [0, 1, 0, 0, 1, 1]), 'm.npy');
    assert.deepEqual({ h: m.height, w: m.width, data: [...m.data] }, { h: 2, w: 3, data: [0, 1, 0, 0, 1, 1] });
    assert.deepEqual([...parseNpyMask(npyBytes(1, 2, [1, 0], '|b1'), 'b.npy').data], [1, 0]);
    assert.throws(() => parseNpyMask(Buffer.from('not numpy at all'), 'x.npy'), /x\.npy: not a \.npy file/);
    assert.throws(() => parseNpyMask(npyBytes(2, 3, [0, 1]), 't.npy'), /t\.npy: \.npy data is truncated/);
  });
});
