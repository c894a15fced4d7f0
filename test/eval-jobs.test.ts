/**
 * The evaluation job engine through the real `luab eval` command against a real `luab serve` (the default model):
 * an uninterrupted run as the reference; kill -9 at a seeded random point, then --resume; a torn last line; the
 * inference server killed and restarted mid-job; an undecodable image; three shards; the errors that stop a job
 * before it starts. Predictions are compared as sets keyed by suite/variant/path, metrics exactly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../synth/rng.js';
import type { RunReport } from '../eval/types.js';
import { LUAB, runLuab, type CliResult } from './helpers/luab-cli.js';
import { FIXTURE_SUITE, UNMATCHED_SUITE } from './helpers/eval-fixture-suite.js';
import {
  byKey,
  countLines,
  FIXTURE_MODULE,
  makeSynth,
  readLines,
  startServe,
  waitUntil,
  type ServeProcess,
} from './helpers/eval-helpers.js';

const SEED = Number(process.env.LUAB_TEST_SEED ?? 20261201);

describe('luab eval (job engine, durability)', function () {
  this.timeout(300_000);
  let synth: string;
  let work: string;
  let serve: ServeProcess;
  let reference: { lines: ReturnType<typeof byKey>; report: RunReport };

  const evalArgs = (out: string, ...extra: string[]) => [
    'eval',
    '--data',
    synth,
    '--suites',
    FIXTURE_SUITE,
    '--out',
    out,
    '--endpoint',
    serve.address,
    '--suite-module',
    FIXTURE_MODULE,
    '--quiet',
    ...extra,
  ];
  const ok = (result: CliResult) => assert.equal(result.code, 0, `luab eval failed:\n${result.stderr}`);
  const report = (out: string) => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;

  /** Spawns `luab eval` and SIGKILLs it once predictions.jsonl has `after` lines. */
  async function killAfter(args: string[], out: string, after: number): Promise<void> {
    const child = spawn(process.execPath, [LUAB, ...args], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    await waitUntil(() => exitedEarly || countLines(join(out, 'predictions.jsonl')) >= after, `${after} lines`);
    assert.equal(exitedEarly, false, 'luab eval finished before the kill point');
    child.kill('SIGKILL');
    await exited;
  }

  before(async function () {
    synth = makeSynth();
    work = mkdtempSync(join(tmpdir(), 'luab-eval-jobs-'));
    serve = await startServe();
    const out = join(work, 'reference');
    ok(await runLuab(evalArgs(out)));
    reference = { lines: byKey(readLines(join(out, 'predictions.jsonl'))), report: report(out) };
  });
  after(async () => {
    await serve?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
    rmSync(join(synth, '..'), { recursive: true, force: true });
  });

  it('an uninterrupted run scores every image once and writes report.json and job.json', () => {
    assert.ok(reference.lines.size > 500, `${reference.lines.size} lines`);
    const suite = reference.report.suites[0];
    assert.equal(suite.suite, FIXTURE_SUITE);
    assert.equal(suite.counts.evaluated, reference.lines.size);
    assert.equal(reference.report.model.name, 'luab-in9-cnn');
    assert.match(reference.report.datasets[FIXTURE_SUITE].fingerprint, /^sha256:[0-9a-f]{64}$/);
    const job = JSON.parse(readFileSync(join(work, 'reference', 'job.json'), 'utf8'));
    assert.equal(job.state, 'succeeded');
    // Every class score was requested (top_k = all classes), and the 64 px images went in untouched.
    const first = [...reference.lines.values()][0];
    assert.equal(first.top5.length, 5);
    assert.equal(first.resized, false);
  });

  it('kill -9 at a seeded random point, then --resume: the same lines and the same metrics', async () => {
    const out = join(work, 'killed');
    const killAt = new Rng(SEED, 'kill-point').int(20, reference.lines.size - 100);
    await killAfter(evalArgs(out), out, killAt);
    const partial = readLines(join(out, 'predictions.jsonl'));
    assert.ok(partial.length >= killAt && partial.length < reference.lines.size, `${partial.length} lines at kill`);
    ok(await runLuab(evalArgs(out, '--resume')));
    const resumed = byKey(readLines(join(out, 'predictions.jsonl'))); // throws on a duplicate
    assert.deepEqual(new Set(resumed.keys()), new Set(reference.lines.keys()));
    for (const [key, line] of reference.lines) assert.deepEqual(resumed.get(key), line, key);
    assert.deepEqual(report(out).suites, reference.report.suites);
  });

  it('cuts a torn last line on resume and evaluates that image again', async () => {
    const out = join(work, 'torn');
    ok(await runLuab(evalArgs(out, '--limit', '40')));
    const file = join(out, 'predictions.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // Drop the last 10 lines, then leave half of the next one, as a process killed inside write() would.
    writeFileSync(file, `${lines.slice(0, 30).join('\n')}\n`);
    appendFileSync(file, lines[30].slice(0, lines[30].length / 2));
    ok(await runLuab(evalArgs(out, '--limit', '40', '--resume')));
    const again = byKey(readLines(file));
    assert.equal(again.size, 40);
    assert.ok(readFileSync(file, 'utf8').endsWith('\n'));
    assert.equal(report(out).suites[0].counts.evaluated, 40);
  });

  it('survives the inference server being killed and restarted mid-job: retries, no loss, no duplicate', async () => {
    const out = join(work, 'server-restart');
    const child = spawn(process.execPath, [LUAB, ...evalArgs(out, '--retries', '12')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitUntil(() => countLines(join(out, 'predictions.jsonl')) >= 100, '100 lines');
    const port = serve.port;
    await serve.kill('SIGKILL');
    serve = await startServe([], port);
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /retrying: UNAVAILABLE/);
    const lines = byKey(readLines(join(out, 'predictions.jsonl')));
    assert.deepEqual(new Set(lines.keys()), new Set(reference.lines.keys()));
    assert.deepEqual(report(out).suites, reference.report.suites);
  });

  it('counts and lists an undecodable image, and evaluates the rest', async () => {
    const data = join(work, 'with-broken');
    cpSync(join(synth, 'suites', 'imagenet_r'), join(data, 'suites', 'imagenet_r'), { recursive: true });
    writeFileSync(join(data, 'suites', 'imagenet_r', 'n02084071', 'broken.jpg'), 'this is not a JPEG');
    const out = join(work, 'broken');
    const result = await runLuab([...evalArgs(out), '--data', data]);
    ok(result);
    const lines = readLines(join(out, 'predictions.jsonl'));
    const broken = lines.filter((l) => l.error);
    assert.equal(broken.length, 1);
    assert.equal(broken[0].path, 'imagenet_r/n02084071/broken.jpg');
    assert.equal(broken[0].error!.code, 'INVALID_ARGUMENT');
    const suite = report(out).suites[0];
    assert.equal(suite.counts.failed, 1);
    assert.equal(suite.failures[0].path, 'imagenet_r/n02084071/broken.jpg');
    assert.equal(suite.counts.evaluated, lines.length - 1);
    assert.match(result.stdout, /1 failed/);
    assert.match(result.stdout, /failed: imagenet_r\/n02084071\/broken\.jpg: INVALID_ARGUMENT/);
  });

  it('--shard i/3: three disjoint slices whose union is the whole run', async () => {
    const whole = join(work, 'shard-whole');
    ok(await runLuab(evalArgs(whole, '--limit', '90')));
    const all = byKey(readLines(join(whole, 'predictions.jsonl')));
    const seen = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const out = join(work, `shard-${i}`);
      ok(await runLuab(evalArgs(out, '--limit', '90', '--shard', `${i}/3`)));
      const lines = byKey(readLines(join(out, 'predictions.jsonl')));
      assert.equal(lines.size, 30);
      for (const [key, line] of lines) {
        assert.equal(seen.has(key), false, `${key} in shards ${seen.get(key)} and ${i}`);
        seen.set(key, i);
        assert.deepEqual(line, all.get(key));
      }
      assert.deepEqual(report(out).job.shard, { index: i, count: 3 });
    }
    assert.deepEqual(new Set(seen.keys()), new Set(all.keys()));
  });

  describe('errors before the job starts', () => {
    const expectError = (result: CliResult, code: number, pattern: RegExp) => {
      assert.equal(result.code, code, `exit code (stderr: ${result.stderr})`);
      assert.match(result.stderr, pattern);
    };

    it('a missing suite folder names the folders tried (exit 1), and writes nothing', async () => {
      const empty = join(work, 'empty-root');
      mkdirSync(empty, { recursive: true });
      const out = join(work, 'never');
      const result = await runLuab([...evalArgs(out), '--data', empty]);
      expectError(result, 1, new RegExp(`suite ${FIXTURE_SUITE}: no folder ${empty}/suites`));
      assert.equal(countLines(join(out, 'predictions.jsonl')), 0);
    });

    it('a --suite-root that does not exist (exit 1)', async () => {
      const result = await runLuab([
        ...evalArgs(join(work, 'never')),
        '--suite-root',
        `${FIXTURE_SUITE}=/nonexistent/x`,
      ]);
      expectError(result, 1, /--suite-root fixture-wnid-tree=\/nonexistent\/x: no such folder/);
    });

    it('an unreachable endpoint (exit 1)', async () => {
      const result = await runLuab([...evalArgs(join(work, 'never')), '--endpoint', '127.0.0.1:1']);
      expectError(result, 1, /endpoint 127\.0\.0\.1:1: unreachable/);
    });

    it('an unknown model names the model and the models served (exit 1)', async () => {
      const result = await runLuab([...evalArgs(join(work, 'never')), '--model', 'no-such-model']);
      expectError(result, 1, /model "no-such-model".*no model named "no-such-model" \(models: luab-in9-cnn/);
    });

    it('an unmatched label space names the suite and the model (exit 1)', async () => {
      const result = await runLuab([...evalArgs(join(work, 'never')), '--suites', UNMATCHED_SUITE]);
      expectError(result, 1, /suite fixture-unmatched and model "luab-in9-cnn": the suite's classes \(n99999999\)/);
    });

    it('an output folder with predictions needs --resume (exit 1)', async () => {
      const result = await runLuab(evalArgs(join(work, 'reference')));
      expectError(result, 1, /already holds predictions; pass --resume/);
    });

    it('usage errors exit 2: bad --shard, unknown suite, missing --out', async () => {
      expectError(await runLuab([...evalArgs(join(work, 'never')), '--shard', '3/3']), 2, /--shard: expected i\/n/);
      expectError(await runLuab([...evalArgs(join(work, 'never')), '--suites', 'nope']), 2, /unknown suite "nope"/);
      expectError(await runLuab(['eval', '--suites', 'x', '--data', synth]), 2, /--out <dir>' not specified/);
    });

    it('every option also reads its environment variable', async () => {
      const result = await runLuab(['eval', '--quiet', '--suite-module', FIXTURE_MODULE], {
        LUAB_EVAL_DATA: synth,
        LUAB_EVAL_SUITES: FIXTURE_SUITE,
        LUAB_EVAL_OUT: join(work, 'from-env'),
        LUAB_EVAL_ENDPOINT: serve.address,
        LUAB_EVAL_LIMIT: '5',
      });
      ok(result);
      assert.equal(readLines(join(work, 'from-env', 'predictions.jsonl')).length, 5);
    });
  });
});
