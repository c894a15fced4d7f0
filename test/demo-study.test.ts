/**
 * `luab demo --study`: the regime study's tables (paired differences by hand) and the study end to end on the
 * quick preset (synth --small, 1 seed, 1 epoch): every point trained with its lambda and point-target rule, the
 * perfect-click oracle regressing exactly the images the realistic clicks do, the Backgrounds Challenge
 * evaluated, the tables written, and a rerun that redoes nothing. Needs /usr/bin/python3 with PyTorch.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inputSizeOf, STUDY_POINTS } from '../demo/study.js';
import { pairedDifference, studyMarkdown, STUDY_METRICS, type StudyRunResult } from '../demo/study-table.js';
import { runLuab, type CliResult } from './helpers/luab-cli.js';

const top1 = STUDY_METRICS.find((m) => m.key === 'val_top1')!;
const gap = STUDY_METRICS.find((m) => m.key === 'bgc_bg_gap')!;
const run = (point: string, seed: number, metrics: Record<string, number | undefined>): StudyRunResult => ({
  point,
  seed,
  metrics,
  trainSeconds: 60,
});

describe('luab demo --study: tables', () => {
  const runs = [
    run('a', 0, { val_top1: 0.5, bgc_bg_gap: 0.1 }),
    run('a', 1, { val_top1: 0.7, bgc_bg_gap: 0.3 }),
    run('a', 2, { val_top1: 0.9 }), // no partner on seed 2: not paired
    run('b', 0, { val_top1: 0.4, bgc_bg_gap: 0.2 }),
    run('b', 1, { val_top1: 0.8, bgc_bg_gap: 0.1 }),
  ];

  it('pairs by seed, with the sample std and wins by the metric direction', () => {
    const d = pairedDifference(runs, 'a', 'b', top1)!;
    assert.deepEqual(
      d.perSeed.map((p) => [p.seed, Number(p.difference.toFixed(6))]),
      [
        [0, 0.1],
        [1, -0.1],
      ],
    );
    assert.ok(Math.abs(d.mean) < 1e-12);
    assert.ok(Math.abs(d.std! - Math.sqrt(0.02)) < 1e-12);
    assert.deepEqual([d.wins, d.losses, d.n], [1, 1, 2]);
    // lower is better for the BG-gap: +0.2 on seed 1 is a loss, −0.1 on seed 0 a win
    const g = pairedDifference(runs, 'a', 'b', gap)!;
    assert.deepEqual([g.wins, g.losses], [1, 1]);
    assert.equal(
      pairedDifference(
        runs,
        'a',
        'b',
        STUDY_METRICS.find((m) => m.key === 'val_point_acc')!,
      ),
      undefined,
    );
  });

  it('writes one row per point that ran and one line per comparison that has data', () => {
    const md = studyMarkdown(
      [
        { id: 'a', label: 'A' },
        { id: 'b', label: 'B' },
        { id: 'c', label: 'C' },
      ],
      [
        { a: 'a', b: 'b' },
        { a: 'c', b: 'b' },
      ],
      runs,
      'heading',
    );
    assert.match(md, /\| A \| 0, 1, 2 \| 0\.700 ± 0\.200 \|/);
    assert.match(md, /\| B \| 0, 1 \| 0\.600 ± 0\.283 \|/);
    assert.doesNotMatch(md, /\| C \|/);
    assert.match(md, /\| A − B \| \+0\.000 ± 0\.141 \(1\/2\) \|/);
    assert.doesNotMatch(md, /C − B/);
  });
});

describe('luab demo --study: usage', () => {
  it('refuses --lambda (each point has its own) with exit 2', async () => {
    const result = await runLuab(['demo', '--study', '--lambda', '5', '--out', join(tmpdir(), 'luab-study-never')]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--lambda does not apply to --study/);
    assert.ok(!existsSync(join(tmpdir(), 'luab-study-never')));
  });
});

describe('luab demo --study --quick end to end', function () {
  this.timeout(15 * 60_000);
  let out: string;
  let first: CliResult;
  let second: CliResult;

  before(async () => {
    out = join(mkdtempSync(join(tmpdir(), 'luab-study-')), 'out');
    first = await runLuab(['demo', '--study', '--quick', '--out', out]);
    second = await runLuab(['demo', '--study', '--quick', '--out', out]);
  });
  after(() => rmSync(join(out, '..'), { recursive: true, force: true }));

  it('trains every point with its objective, lambda and target rule, and evaluates the Backgrounds Challenge', () => {
    assert.equal(first.code, 0, first.stderr);
    for (const point of STUDY_POINTS) {
      const name = `study-${point.id}-s0`;
      const config = JSON.parse(readFileSync(join(out, 'models', name, 'config.json'), 'utf8'));
      const provenance = config.provenance;
      assert.equal(provenance.objective, point.objective, name);
      if (point.lambda !== undefined) assert.equal(provenance.lambda, point.lambda, name);
      assert.equal(provenance.data.target_rule, point.targetRule ?? 'first-selected-mean', name);
      // the off-default axes: each point's own backbone, input size and benchmark (rho 0.8, 96 px)
      assert.equal(provenance.model, point.model ?? 'small_cnn', name);
      assert.equal(config.input.height, inputSizeOf(point) ?? 64, name);
      const data = join(out, point.dataset ? `data-${point.dataset}` : 'data');
      assert.equal(resolve(provenance.data.data_dir), data, name);
      const report = JSON.parse(readFileSync(join(out, 'eval', name, 'report.json'), 'utf8'));
      assert.deepEqual(
        report.suites.map((s: { suite: string }) => s.suite),
        ['bg-challenge'],
      );
    }
    // the oracle regresses the same images as the realistic clicks: only where the clicks land differs
    const targets = (id: string) =>
      readFileSync(join(out, 'logs', `train-study-${id}-s0.log`), 'utf8').match(
        /train: \d+ images, (\d+) with a point target/,
      )![1];
    assert.equal(targets('luab-perfect-l10'), targets('luab-l10'));
    const study = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8'));
    assert.equal(study.runs.length, STUDY_POINTS.length);
    const md = readFileSync(join(out, 'study.md'), 'utf8');
    for (const point of STUDY_POINTS) assert.ok(md.includes(`| ${point.label} | 0 |`), point.label);
    assert.match(md, /LUAB λ 10 \(realistic clicks\) − Rand λ 10 \(uniform points\)/);
    // an off-default point is compared with the baseline of its own dataset and backbone, not the default one
    assert.match(md, /LUAB λ 10, ResNet-18 − baseline, ResNet-18/);
    assert.doesNotMatch(md, /LUAB λ 10, ResNet-18 − baseline \(λ 0\)/);
    // the benchmarks were generated as the axes say: rho in the generator's configuration, 96 px images
    const manifest = (dir: string) => JSON.parse(readFileSync(join(out, dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest('data-rho-0.8').config.rho, 0.8);
    assert.equal(manifest('data').config.rho, 0.5);
    assert.equal(manifest('data-px-96').config.image_size, 96);
  });

  it('a rerun redoes no stage', () => {
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /\(0 stage\(s\) run, \d+ done earlier\)/);
    assert.ok(existsSync(join(out, 'study.md')));
  });
});
