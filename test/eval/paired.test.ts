/**
 * Paired differences per seed in the report (eval/report/paired.ts): LUAB − baseline and LUAB − Rand between runs
 * of the same seed, their mean and sample std, the seeds each side wins, in report.json, report.md and
 * report.html; rows of another architecture or (for Rand) another lambda are not paired.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRunReports } from '../../eval/report/index.js';
import type { PredictionLine } from '../../eval/types.js';
import {
  provenance,
  registerToySuite,
  simulateLines,
  writeImages,
  writeRun,
  type FixtureItem,
} from './report-fixture.js';

const SUITE = 'paired-test-toy';

describe('report: paired differences per seed', function () {
  let work: string;
  let items: FixtureItem[];
  let root: string;
  let report: {
    paired: { name: string; a: string; b: string; differences: Record<string, unknown>[] }[];
  };
  let markdown: string;
  let html: string;

  /** Lines of which exactly `correct` of 8 are right. */
  const lines = (name: string, seed: number, correct: number): PredictionLine[] =>
    simulateLines(SUITE, items, { name, version: 1 }, seed, { accuracy: 0.5, pointSpread: 0.1 }).map((line, i) => ({
      ...line,
      score: { ...line.score, correct: i < correct },
    }));

  const run = (name: string, prov: Record<string, unknown>, seed: number, correct: number) => {
    const dir = join(work, 'runs', name);
    writeRun({
      dir,
      model: { name, version: 1, provenance: prov },
      suites: { [SUITE]: { root, lines: lines(name, seed, correct) } },
    });
    return dir;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'luab-paired-'));
    registerToySuite(SUITE);
    root = join(work, 'data', SUITE);
    items = await writeImages(root, ['a'], 8, 32);
    const dirs = [
      // LUAB right on 4, 6, 8 of 8 over seeds 0-2; baseline on 7, 5, 4: differences -3/8, +1/8, +4/8
      ...[4, 6, 8].map((c, seed) => run(`luab-s${seed}`, provenance('luab', seed), seed, c)),
      ...[7, 5, 4].map((c, seed) => run(`base-s${seed}`, provenance('baseline', seed), seed, c)),
      // Rand only with seeds 1 and 5: one shared seed (1), difference (6 - 2) / 8
      run('rand-s1', provenance('rand', 1), 1, 2),
      run('rand-s5', provenance('rand', 5), 5, 8),
      // Rand at another lambda and a ResNet baseline: never LUAB's partners
      run('rand-l100-s0', { ...provenance('rand', 0), lambda: 100 }, 0, 0),
      run('resnet-base-s0', { ...provenance('baseline', 0), model: 'resnet18' }, 0, 0),
    ];
    const out = join(work, 'out');
    await renderRunReports(dirs, out, { samplesPerSuite: 0 });
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    markdown = readFileSync(join(out, 'report.md'), 'utf8');
    html = readFileSync(join(out, 'report.html'), 'utf8');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('pairs LUAB with the baseline and Rand of the same architecture and lambda only', () => {
    assert.deepEqual(
      report.paired.map((p) => [p.name, p.a, p.b]),
      [
        ['LUAB − baseline', 'small_cnn luab λ=10', 'small_cnn baseline'],
        ['LUAB − Rand', 'small_cnn luab λ=10', 'small_cnn rand λ=10'],
      ],
    );
  });

  it('differences per seed, their mean and sample std, and the seeds won', () => {
    const accuracy = report.paired[0].differences.find((d) => d.metric === 'accuracy')!;
    assert.deepEqual(accuracy.seeds, [0, 1, 2]);
    assert.deepEqual(accuracy.differences, [-0.375, 0.125, 0.5]);
    assert.ok(Math.abs((accuracy.mean as number) - 0.25 / 3) < 1e-12);
    const mean = 0.25 / 3;
    const std = Math.sqrt(((-0.375 - mean) ** 2 + (0.125 - mean) ** 2 + (0.5 - mean) ** 2) / 2);
    assert.ok(Math.abs((accuracy.std as number) - std) < 1e-12);
    assert.equal(accuracy.wins, 2);
    assert.equal(accuracy.losses, 1);
    const rand = report.paired[1].differences.find((d) => d.metric === 'accuracy')!;
    assert.deepEqual(rand.seeds, [1]);
    assert.deepEqual(rand.differences, [0.5]);
    assert.equal(rand.std, undefined);
  });

  it('renders them in report.md and report.html', () => {
    const section = markdown.split('## Paired differences per seed\n\n')[1].split('\n## ')[0];
    assert.match(section, /\| LUAB − baseline \| \+0\.083 ± 0\.439 \(n 3, 2\/3 better\) \|/);
    assert.match(section, /\| LUAB − Rand \| \+0\.500 \(n 1, 1\/1 better\) \|/);
    assert.match(section, /- LUAB − baseline: paired-test-toy accuracy \(0: -0\.375, 1: \+0\.125, 2: \+0\.500\)/);
    assert.match(html, /<h2>Paired differences per seed<\/h2>/);
    assert.match(html, /title="per seed: 0: -0\.375, 1: \+0\.125, 2: \+0\.500">\+0\.083 ± 0\.439 \(n 3, 2\/3 better\)/);
  });
});
