/**
 * The evaluation job engine through the real `luab eval` command against a real `luab serve` (the default model)
 * on every suite of `luab synth --small` (the built-in readers, the adversarial composites included): an
 * uninterrupted run as the reference (report.json/md/html written); kill -9 at a seeded random point, then
 * --resume; a torn last line; the inference server killed and restarted mid-job; an undecodable image; three
 * shards; the errors that stop a job before it starts. Predictions are compared as sets keyed by
 * suite/variant/path, metrics exactly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
  let referenceStderr: string;

  const evalArgs = (out: string, ...extra: string[]) => [
    'eval',
    '--data',
    synth,
    '--suites',
    'all',
    '--out',
    out,
    '--endpoint',
    serve.address,
    '--quiet',
    ...extra,
  ];
  /** The test-only suites (test/helpers/eval-fixture-suite.ts) are loaded only where a test names one. */
  const fixture = ['--suite-module', FIXTURE_MODULE];
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
    const result = await runLuab(evalArgs(out));
    ok(result);
    referenceStderr = result.stderr;
    reference = { lines: byKey(readLines(join(out, 'predictions.jsonl'))), report: report(out) };
  });
  after(async () => {
    await serve?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
    rmSync(join(synth, '..'), { recursive: true, force: true });
  });

  it('--suites all: every suite found is scored, what is not is named, and the three report files are written', () => {
    const names = reference.report.suites.map((m) => m.suite).sort();
    for (const name of ['bg-challenge', 'bg-challenge-adversarial', 'imagenet-c', 'imagenet-r', 'imagenet-val']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    for (const suite of reference.report.suites) {
      assert.ok(suite.counts.evaluated > 0, suite.suite);
      assert.equal(suite.counts.failed, 0, suite.suite);
    }
    const total = reference.report.suites.reduce((n, m) => n + m.counts.evaluated + m.counts.skipped, 0);
    assert.equal(reference.lines.size, total);
    assert.match(referenceStderr, /not found: imagenet-a \(tried .*imagenet-a\)/);
    assert.equal(reference.report.model.name, 'luab-in9-cnn');
    for (const suite of names) assert.match(reference.report.datasets[suite].fingerprint, /^sha256:[0-9a-f]{64}$/);
    const out = join(work, 'reference');
    assert.equal(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')).state, 'succeeded');
    // Table 1's columns are each suite's headline metrics (the paper's), not its first metric.
    const table1 = readFileSync(join(out, 'report.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| model |'))!;
    for (const column of ['bg-challenge mixed_rand ↑', 'bg-challenge bg_gap ↓', 'bg-challenge-adversarial bgc ↑']) {
      assert.ok(table1.includes(column), `${column} in ${table1}`);
    }
    assert.ok(table1.includes('imagenet-c mCE ↓') && table1.includes('si-size si_size ↑'), table1);
    const imagenetC = reference.report.suites.find((m) => m.suite === 'imagenet-c')!;
    assert.ok(
      imagenetC.notes.some((n) => n.includes('scored as a 9-class (IN-9) task')),
      imagenetC.notes.join('; '),
    );
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<html/i);
    // The Backgrounds Challenge does not resize: synth's 64 px images go into the 64 px model untouched.
    const bg = [...reference.lines.values()].filter((l) => l.suite === 'bg-challenge');
    assert.ok(bg.length > 0 && bg.every((l) => l.resized === false));
    assert.ok([...reference.lines.values()].every((l) => l.top5.length === 5));
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
    const args = evalArgs(out, '--suites', 'imagenet-c', '--limit', '40');
    ok(await runLuab(args));
    const file = join(out, 'predictions.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // Drop the last 10 lines, then leave half of the next one, as a process killed inside write() would.
    writeFileSync(file, `${lines.slice(0, 30).join('\n')}\n`);
    appendFileSync(file, lines[30].slice(0, lines[30].length / 2));
    ok(await runLuab([...args, '--resume']));
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
    const data = join(work, 'with-broken', 'imagenet-r');
    cpSync(join(synth, 'suites', 'imagenet_r'), data, { recursive: true });
    writeFileSync(join(data, 'n02084071', 'broken.jpg'), 'this is not a JPEG');
    const out = join(work, 'broken');
    const result = await runLuab([...evalArgs(out), '--suites', 'imagenet-r', '--suite-root', `imagenet-r=${data}`]);
    ok(result);
    const lines = readLines(join(out, 'predictions.jsonl'));
    const broken = lines.filter((l) => l.error);
    assert.equal(broken.length, 1);
    assert.equal(broken[0].path, 'n02084071/broken.jpg');
    assert.equal(broken[0].error!.code, 'INVALID_ARGUMENT');
    const suite = report(out).suites[0];
    assert.equal(suite.counts.failed, 1);
    assert.equal(suite.failures[0].path, 'n02084071/broken.jpg');
    assert.equal(suite.counts.evaluated, lines.length - 1);
    assert.match(result.stdout, /1 failed/);
    assert.match(result.stdout, /failed: n02084071\/broken\.jpg: INVALID_ARGUMENT image: cannot be decoded/);
  });

  it('counts an unreadable file (a dangling link) as UNREADABLE, and evaluates the rest', async () => {
    const data = join(work, 'with-unreadable');
    cpSync(join(synth, 'suites', 'imagenet_r'), join(data, 'suites', 'r'), { recursive: true });
    symlinkSync(join(data, 'gone.jpg'), join(data, 'suites', 'r', 'n02084071', 'dangling.jpg'));
    const out = join(work, 'unreadable');
    ok(await runLuab([...evalArgs(out), ...fixture, '--suites', FIXTURE_SUITE, '--data', data]));
    const lines = readLines(join(out, 'predictions.jsonl'));
    const failed = lines.filter((l) => l.error);
    assert.deepEqual(
      failed.map((l) => [l.path, l.error!.code]),
      [['r/n02084071/dangling.jpg', 'UNREADABLE']],
    );
    assert.match(failed[0].error!.message, /ENOENT/);
    assert.ok(lines.length > 1 && lines.filter((l) => !l.error).every((l) => l.top5.length > 0));
    assert.equal(report(out).suites[0].counts.failed, 1);
  });

  it('--bgc-max-backgrounds K: every foreground meets K backgrounds, and the report says the test was capped', async () => {
    const out = join(work, 'bgc-capped');
    const result = await runLuab([
      ...evalArgs(out, '--bgc-max-backgrounds', '2').map((a) => (a === 'all' ? 'bg-challenge-adversarial' : a)),
    ]);
    ok(result);
    const [suite] = report(out).suites;
    const foregrounds = suite.breakdowns!.challenge.foregrounds;
    assert.equal(suite.counts.evaluated, foregrounds * 2);
    assert.ok(
      suite.notes.some((n) => /subset of 2 of the \d+ only_bg_t backgrounds/.test(n)),
      suite.notes.join('; '),
    );
    // A resume under another cap would mix two item sets in one predictions.jsonl: refused, naming the field.
    const other = await runLuab([
      ...evalArgs(out, '--resume', '--bgc-max-backgrounds', '3').map((a) =>
        a === 'all' ? 'bg-challenge-adversarial' : a,
      ),
    ]);
    assert.equal(other.code, 1, other.stderr);
    assert.match(other.stderr, /bgcMaxBackgrounds=2, this run has 3/);
    const bad = await runLuab(evalArgs(join(work, 'bgc-bad'), '--bgc-max-backgrounds', '0'));
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--bgc-max-backgrounds/);
  });

  it('--shard i/3: three disjoint slices whose union is the whole run', async () => {
    const whole = join(work, 'shard-whole');
    const slice = ['--suites', 'imagenet-c,bg-challenge', '--limit', '90'];
    ok(await runLuab(evalArgs(whole, ...slice)));
    const all = byKey(readLines(join(whole, 'predictions.jsonl')));
    const seen = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const out = join(work, `shard-${i}`);
      ok(await runLuab(evalArgs(out, ...slice, '--shard', `${i}/3`)));
      const lines = byKey(readLines(join(out, 'predictions.jsonl')));
      assert.equal(lines.size, 60);
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
      const result = await runLuab([...evalArgs(out), '--data', empty, '--suites', 'imagenet-r,imagenet-a']);
      expectError(
        result,
        1,
        new RegExp(`suite imagenet-r: no folder ${empty}/imagenet-r or ${empty}/suites/imagenet_r`),
      );
      assert.match(result.stderr, new RegExp(`suite imagenet-a: no folder ${empty}/imagenet-a`));
      assert.equal(countLines(join(out, 'predictions.jsonl')), 0);
    });

    it('a --suite-root that does not exist (exit 1)', async () => {
      const result = await runLuab([...evalArgs(join(work, 'never')), '--suite-root', 'imagenet-a=/nonexistent/x']);
      expectError(result, 1, /--suite-root imagenet-a=\/nonexistent\/x: no such folder/);
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
      const result = await runLuab([...evalArgs(join(work, 'never')), ...fixture, '--suites', UNMATCHED_SUITE]);
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
      const result = await runLuab(['eval', '--quiet'], {
        LUAB_EVAL_SUITE_MODULES: FIXTURE_MODULE,
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
