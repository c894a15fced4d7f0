// Label spaces matched by wnid: masks for 1k models, the IN-9 superclass map both ways, and the errors.
import assert from 'node:assert/strict';
import { in1kWnids, in9Classes } from '../../eval/data/load.js';
import { line, model1k, modelIn9, output } from './helpers.js';
import { SPACES, labelScorer, modelWnids } from '../../eval/label-space.js';
import { getSuite } from '../../eval/suites/index.js';
import type { EvalItem, ModelLabels } from '../../eval/types.js';

const item = (suite: string, targetWnids: string[], extra: Partial<EvalItem> = {}): EvalItem => ({
  suite,
  variant: '',
  path: 'x.JPEG',
  absPath: '/nonexistent/x.JPEG',
  targetWnids,
  ...extra,
});

const W = in1kWnids();

describe('eval label spaces', () => {
  it('ImageNet-A and ImageNet-R restrict a 1k model to their own 200 classes (the masks differ)', () => {
    const m = model1k();
    // Top: class 15 (in A, not in R), then 1 (in R, not in A), then 6 (in both).
    const o = output(1000, [15, 1, 6]);
    const a = getSuite('imagenet-a').scoreItem(item('imagenet-a', [W[15]]), o, m);
    assert.equal(a.predictedWnid, W[15]);
    assert.equal(a.correct, true);
    const r = getSuite('imagenet-r').scoreItem(item('imagenet-r', [W[15]]), o, m);
    assert.equal(r.predictedWnid, W[1], 'ImageNet-R never answers a class outside its mask');
    // The same answer on the full 1k suite: the global argmax.
    assert.equal(getSuite('imagenet-val').scoreItem(item('imagenet-val', [W[15]]), o, m).predictedWnid, W[15]);
    assert.equal(SPACES.imagenetA().wnids.length, 200);
    assert.notDeepEqual(SPACES.imagenetA().wnids, SPACES.imagenetR().wnids);
  });

  it('a 1k model on IN-9 suites: the argmax mapped by in_to_in9.json, an unmapped class is wrong', () => {
    const m = model1k();
    const dog = in9Classes()[0].wnid;
    const s = getSuite('bg-challenge');
    const right = s.scoreItem(item('bg-challenge', [dog], { variant: 'original' }), output(1000, [151]), m);
    assert.deepEqual([right.predictedWnid, right.correct], [dog, true]);
    // Class 25 has no IN-9 class: wrong, even though a dog class (151) is second.
    const unmapped = s.scoreItem(item('bg-challenge', [dog], { variant: 'original' }), output(1000, [25, 151]), m);
    assert.deepEqual([unmapped.predictedWnid, unmapped.correct], [null, false]);
  });

  it('an IN-9 model on 1k suites: targets mapped to IN-9, the unmapped ones skipped and counted', () => {
    const m = modelIn9();
    const s = getSuite('imagenet-val');
    const dogItem = item('imagenet-val', [W[151]], { path: 'dog.JPEG' });
    const fishless = item('imagenet-val', [W[25]], { path: 'salamander.JPEG' });
    const dog = s.scoreItem(dogItem, output(9, [0]), m);
    assert.deepEqual([dog.predictedWnid, dog.correct, dog.skipped], [in9Classes()[0].wnid, true, undefined]);
    const skipped = s.scoreItem(fishless, output(9, [0]), m);
    assert.match(skipped.skipped ?? '', /no IN-9 class for n01629819/);
    const metrics = s.aggregate([line(dogItem, output(9, [0]), m), line(fishless, output(9, [0]), m)]);
    assert.deepEqual(metrics.counts, { evaluated: 1, skipped: 1, failed: 0 });
    assert.equal(metrics.metrics.accuracy.value, 1);
    assert.ok(
      metrics.notes.some((n) => /1 images skipped: their wnid has no IN-9 class/.test(n)),
      metrics.notes.join('; '),
    );
    // An IN-9 model is scored directly on IN-9 suites.
    assert.equal(labelScorer(m, SPACES.in9(), 'bg-challenge').mode, 'direct');
    assert.equal(labelScorer(m, SPACES.imagenetA(), 'imagenet-a').mode, 'from-in9');
  });

  it('ImageNet-O: the in-distribution score is the max softmax renormalised over its 200 classes', () => {
    const m = model1k();
    const o = SPACES.imagenetO().wnids.map((w) => W.indexOf(w));
    const scores = new Array<number>(1000).fill(0);
    scores[o[0]] = 0.3;
    scores[o[1]] = 0.1;
    scores[W.findIndex((w) => !SPACES.imagenetO().wnids.includes(w))] = 0.6;
    const s = getSuite('imagenet-o').scoreItem(
      item('imagenet-o', [], { ood: true }),
      { ...output(1000, []), scores },
      m,
    );
    assert.equal(s.predictedWnid, W[o[0]]);
    assert.ok(Math.abs((s.inDistributionScore ?? 0) - 0.75) < 1e-12, String(s.inDistributionScore));
  });

  it('checkLabels: an unmatched label space is an error naming the model, the suite and the wnids', () => {
    const odd: ModelLabels = {
      ...model1k('coco-80'),
      labels: [
        { name: 'person', wnid: 'n00007846' },
        { name: 'bicycle', wnid: 'n02834778' },
      ],
    };
    assert.throws(
      () => getSuite('imagenet-a').checkLabels(odd),
      /model "coco-80" v1 cannot be scored on suite "imagenet-a" \(label space imagenet-a, 200 wnids\): the model lacks 200 of them \(n01498041, .* and 195 more\) and is not an IN-9 model/,
    );
    assert.throws(
      () => getSuite('bg-challenge').checkLabels(odd),
      /cannot be scored on suite "bg-challenge" \(IN-9 classes\)/,
    );
    // Both spaces of a suite with an embedded-benchmark copy are checked: a 1k and an IN-9 model pass.
    for (const name of [
      'imagenet-val',
      'imagenet-c',
      'imagenet-r',
      'si-size',
      'bg-challenge',
      'objectnet',
      'imagenet-o',
    ]) {
      getSuite(name).checkLabels(model1k());
      getSuite(name).checkLabels(modelIn9());
    }
  });

  it('multi-label models: the target class point against the box, each class point against its own boxes', () => {
    const m = { ...modelIn9('multi'), task: 'multi-label' as const };
    const [dog, bird] = [in9Classes()[0].wnid, in9Classes()[1].wnid];
    const it = item('bg-challenge', [dog], {
      variant: 'original',
      location: { box: [0, 0, 100, 100], classBoxes: { [dog]: [[0, 0, 100, 100]], [bird]: [[150, 150, 200, 200]] } },
    });
    const o = {
      ...output(9, [0, 1]),
      classPoints: [
        { index: 0, x: 0.2, y: 0.2, xPx: 50, yPx: 50 },
        { index: 1, x: 0.1, y: 0.1, xPx: 20, yPx: 20 },
      ],
    };
    const s = getSuite('bg-challenge').scoreItem(it, o, m);
    assert.equal(s.point?.inBox, true, "the dog's own point is in the dog's box");
    assert.equal(s.point?.distance, 0);
    assert.deepEqual(s.point?.perClass, [
      { wnid: bird, inBox: false, distance: Math.hypot(155, 155) / Math.hypot(224, 224) },
      { wnid: dog, inBox: true, distance: 0 },
    ]);
    const metrics = getSuite('bg-challenge').aggregate([line(it, o, m)]);
    assert.deepEqual(metrics.metrics.class_point_in_box, { value: 0.5, better: 'higher', count: 2 });
  });

  it('a model without wnids is an error naming the model and the field', () => {
    const bare: ModelLabels = { ...modelIn9('no-wnids'), labels: [{ name: 'cat' }, { name: 'dog' }] };
    assert.throws(
      () => getSuite('bg-challenge').checkLabels(bare),
      /model "no-wnids" v2: none of its 2 labels has a wnid \(config\.json labels\[\]\.wnid\)/,
    );
    const partial: ModelLabels = { ...modelIn9('half'), labels: [{ name: 'a', wnid: 'n01440764' }, { name: 'b' }] };
    assert.throws(() => modelWnids(partial), /model "half" v2: labels\[1\] \("b"\) has no wnid/);
    assert.throws(() => modelWnids({ ...modelIn9('empty'), labels: [] }), /model "empty" v2 has no labels/);
  });
});
