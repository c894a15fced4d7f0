/**
 * `luab demo --quick` end to end, as a user runs it (bin/luab.js in a child process): synth, training of the three
 * objectives, export, serving, evaluation, WSOL and the reports, each stage's outputs checked; then an
 * interruption (SIGTERM while the last model trains) and a rerun that must continue without redoing any stage
 * that had finished, and a rerun with other settings that must be refused. Needs /usr/bin/python3 with PyTorch
 * (scripts/setup.sh): without it the training stage fails and so does this test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LUAB, runLuab } from './helpers/luab-cli.js';

const MODELS = ['synth-baseline-s0', 'synth-rand-s0', 'synth-luab-s0'];

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `luab demo`; with `killOn`, sends SIGTERM when a progress line matches it. */
function demo(args: string[], killOn?: RegExp): Promise<DemoRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LUAB, 'demo', ...args]);
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (killOn && !killed && killOn.test(stderr)) {
        killed = true;
        child.kill('SIGTERM');
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const stateOf = (out: string) =>
  JSON.parse(readFileSync(join(out, 'demo-state.json'), 'utf8')) as { stages: Record<string, unknown> };

const logLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').length;

describe('luab demo --quick', function () {
  this.timeout(15 * 60_000);
  let out: string;
  let first: DemoRun;
  let finishedBeforeKill: string[];
  let baselineCheckpointMtime: number;
  let second: DemoRun;

  before(async () => {
    out = join(mkdtempSync(join(tmpdir(), 'luab-demo-')), 'out');
    // Interrupted while the third model trains: synth and the first two models are finished by then.
    first = await demo(['--quick', '--out', out], /\[6\/14\] train\/synth-luab-s0 \.\.\./);
    finishedBeforeKill = Object.keys(stateOf(out).stages);
    baselineCheckpointMtime = statSync(join(out, 'runs', 'baseline-s0', 'checkpoint-last.pth')).mtimeMs;
    second = await demo(['--quick', '--out', out]);
  });
  after(() => rmSync(join(out, '..'), { recursive: true, force: true }));

  it('stops on SIGTERM with exit code 130, its finished stages recorded', () => {
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /interrupted; run the same command again to continue/);
    for (const stage of ['synth', 'train/synth-baseline-s0', 'export/synth-baseline-s0', 'train/synth-rand-s0']) {
      assert.ok(finishedBeforeKill.includes(stage), `${stage} not recorded: ${finishedBeforeKill.join(', ')}`);
    }
    assert.ok(!finishedBeforeKill.includes('report'));
    // no server was left behind: the interruption came before serving
    assert.doesNotMatch(first.stderr, /luab serve \(pid/);
  });

  it('continues after the interruption without redoing a finished stage', () => {
    assert.equal(second.code, 0, second.stderr);
    for (const stage of finishedBeforeKill) {
      assert.match(second.stderr, new RegExp(`\\] ${stage.replaceAll('/', '\\/')}: done earlier`), stage);
      assert.doesNotMatch(second.stderr, new RegExp(`\\] ${stage.replaceAll('/', '\\/')} \\.\\.\\.`), stage);
    }
    // the baseline was trained once: its checkpoint is the first run's and its log has its one epoch
    assert.equal(statSync(join(out, 'runs', 'baseline-s0', 'checkpoint-last.pth')).mtimeMs, baselineCheckpointMtime);
    assert.equal(logLines(join(out, 'runs', 'baseline-s0', 'log.jsonl')), 1);
    assert.match(second.stdout, /luab demo: done in .* stage\(s\) run, \d+ done earlier/);
  });

  it('wrote every stage: data, checkpoints, models, evaluations, WSOL and the reports', () => {
    const stages = Object.keys(stateOf(out).stages);
    assert.equal(stages.length, 14, stages.join(', '));
    assert.ok(existsSync(join(out, 'data', 'manifest.json')));
    for (const objective of ['baseline', 'rand', 'luab']) {
      const log = readFileSync(join(out, 'runs', `${objective}-s0`, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(log.length, 1);
      assert.equal(JSON.parse(log[0]).epochs, 1);
    }
    for (const model of MODELS) {
      const config = JSON.parse(readFileSync(join(out, 'models', model, 'config.json'), 'utf8'));
      assert.equal(config.provenance.seed, 0);
      assert.equal(config.provenance.objective, model.split('-')[1]);
      assert.equal(config.provenance.epochs, 1);
      assert.ok(existsSync(join(out, 'models', model, '1', 'model.onnx')));
      const report = JSON.parse(readFileSync(join(out, 'eval', model, 'report.json'), 'utf8'));
      assert.equal(report.model.name, model);
      const suites = report.suites.map((s: { suite: string }) => s.suite);
      for (const suite of ['bg-challenge', 'imagenet-val', 'imagenet-c', 'si-location', 'unseen-backgrounds']) {
        assert.ok(suites.includes(suite), `${model}: ${suite} missing from ${suites.join(', ')}`);
      }
      const wsol = JSON.parse(readFileSync(join(out, 'wsol', `${model}.json`), 'utf8'));
      assert.equal(wsol.cam_method, 'grad-cam');
      const splits = wsol.splits.map((s: { split: string }) => s.split);
      assert.deepEqual(splits, [
        'val',
        'bg-challenge/original',
        'bg-challenge/only_fg',
        'bg-challenge/mixed_same',
        'bg-challenge/mixed_rand',
        'bg-challenge/mixed_next',
      ]);
      for (const split of wsol.splits) {
        for (const metric of ['top1', 'max_box_acc', 'max_box_acc_v2', 'pxap']) {
          const value = split.metrics[metric];
          assert.ok(value >= 0 && value <= 1, `${model} ${split.split} ${metric} = ${value}`);
        }
        if (model.includes('baseline')) assert.equal(split.metrics.point_acc, null);
        else assert.ok(split.metrics.point_acc >= 0 && split.metrics.point_acc <= 1);
      }
    }
    const comparison = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8'));
    assert.equal(comparison.kind, 'comparison');
    assert.deepEqual(
      comparison.rows.map((r: { label: string }) => r.label),
      ['small_cnn baseline', 'small_cnn rand λ=10', 'small_cnn luab λ=10'],
    );
    assert.deepEqual(
      comparison.paired.map((p: { name: string }) => p.name),
      ['LUAB − baseline', 'LUAB − Rand'],
    );
    const markdown = readFileSync(join(out, 'report', 'report.md'), 'utf8');
    assert.match(markdown, /## Paired differences per seed/);
    assert.match(markdown, /## WSOL: where the features look \(Table 3\)/);
    assert.match(markdown, /\| LUAB − Rand \|/);
    const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
    assert.match(html, /<section id="wsol">/);
    assert.match(html, /Paired differences per seed/);
    const wsolSummary = JSON.parse(readFileSync(join(out, 'report', 'wsol.json'), 'utf8'));
    assert.deepEqual(Object.keys(wsolSummary.rows), ['baseline', 'rand', 'luab']);
  });

  it('a third run finds everything done; other settings on the same folder are refused (exit 2)', async () => {
    const third = await demo(['--quick', '--out', out, '--quiet']);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /0 stage\(s\) run, 14 done earlier/);
    const other = await runLuab(['demo', '--quick', '--out', out, '--epochs', '2']);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /made with other settings \(epochs: 1 there, 2 now\)/);
  });

  it('refuses bad values with exit 2, naming the option', async () => {
    const bad = await runLuab(['demo', '--seeds', '0,0', '--out', join(out, 'never')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--seeds.*listed twice/);
    const lambda = await runLuab(['demo', '--lambda', '-1', '--out', join(out, 'never')]);
    assert.equal(lambda.code, 2);
    assert.match(lambda.stderr, /--lambda.*expected a number >= 0/);
    assert.ok(!existsSync(join(out, 'never')));
  });
});
