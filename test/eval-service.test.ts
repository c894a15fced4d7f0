/**
 * luab.v1.Evaluation hosted by a real `luab serve --eval-dir DIR` (one process, one port, the default model):
 * `luab eval --server` submits and watches; StartJob/WatchJob/GetJob/ListJobs/GetReport/CancelJob through the
 * client; a cancelled job resumed; a job interrupted by kill -9 of the server resumed when it starts again; the
 * spec's errors as status codes naming the field or folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { LuabError } from '../client/luab-client.js';
import { EvaluationClient } from '../eval/service/evaluation-client.js';
import type { RunReport } from '../eval/types.js';
import { JobState, type JobProgress, type JobSpec } from '../proto/generated/luab/v1/evaluation.js';
import { FIXTURE_SUITE } from './helpers/eval-fixture-suite.js';
import {
  byKey,
  FIXTURE_MODULE,
  makeSynth,
  readLines,
  startEvalServer,
  startServe,
  waitUntil,
  type ServeProcess,
} from './helpers/eval-helpers.js';
import { runLuab } from './helpers/luab-cli.js';

describe('luab.v1.Evaluation on luab serve --eval-dir', function () {
  this.timeout(300_000);
  let synth: string;
  let evalDir: string;
  let serve: ServeProcess;
  let client: EvaluationClient;
  const env = { LUAB_EVAL_SUITE_MODULES: FIXTURE_MODULE };

  const spec = (outDir: string, extra: Partial<JobSpec> = {}): JobSpec => ({
    model: '',
    version: 0,
    endpoints: [],
    dataRoot: synth,
    suites: [FIXTURE_SUITE],
    suiteRoots: [],
    outDir,
    limit: 0,
    shard: undefined,
    concurrency: 0,
    resume: false,
    ...extra,
  });
  const restart = async () => {
    client?.close();
    serve = await startServe(['--eval-dir', evalDir], 0, env);
    client = new EvaluationClient(serve.address);
  };
  async function watchToEnd(id: string): Promise<JobProgress[]> {
    const messages: JobProgress[] = [];
    for await (const progress of client.watchJob(id)) messages.push(progress);
    return messages;
  }
  const expectStatus = async (promise: Promise<unknown>, code: status, pattern: RegExp) => {
    await assert.rejects(promise, (error: LuabError) => {
      assert.equal(error.code, code, error.message);
      assert.match(error.details, pattern);
      return true;
    });
  };

  before(async () => {
    synth = makeSynth();
    evalDir = mkdtempSync(join(tmpdir(), 'luab-eval-dir-'));
    await restart();
  });
  after(async () => {
    client?.close();
    await serve?.kill('SIGTERM');
    rmSync(evalDir, { recursive: true, force: true });
    rmSync(join(synth, '..'), { recursive: true, force: true });
  });

  it('`luab eval --server` submits a job, watches it and prints its report', async () => {
    const result = await runLuab([
      'eval',
      '--server',
      serve.address,
      '--data',
      synth,
      '--suites',
      FIXTURE_SUITE,
      '--out',
      'cli-job',
      '--limit',
      '30',
      '--quiet',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /fixture-wnid-tree: accuracy=[\d.]+ {2}\(30 evaluated, 0 skipped, 0 failed\)/);
    assert.ok(existsSync(join(evalDir, 'cli-job', 'report.json')));
    const job = await client.getJob('cli-job');
    assert.equal(job.state, JobState.JOB_STATE_SUCCEEDED);
    assert.equal(job.model, 'luab-in9-cnn');
    assert.ok((await client.listJobs()).jobs.some((j) => j.id === 'cli-job'));
  });

  it('WatchJob streams progress up to done = total, with running accuracy; GetReport gives report.json', async () => {
    const job = await client.startJob(spec('watched', { limit: 120 }));
    assert.equal(job.state, JobState.JOB_STATE_RUNNING);
    const messages = await watchToEnd(job.id);
    const last = messages.at(-1)!;
    assert.equal(last.state, JobState.JOB_STATE_SUCCEEDED);
    assert.equal(last.total, 120);
    assert.equal(last.done, 120);
    assert.equal(last.suites[0].suite, FIXTURE_SUITE);
    assert.equal(last.suites[0].done, 120);
    assert.equal(last.suites[0].metrics[0].name, 'accuracy');
    for (let i = 1; i < messages.length; i++) assert.ok(messages[i].done >= messages[i - 1].done);
    const report = JSON.parse((await client.getReport(job.id)).reportJson) as RunReport;
    assert.equal(report.suites[0].counts.evaluated, 120);
    assert.equal(report.suites[0].metrics.accuracy.value, last.suites[0].metrics[0].value);
  });

  it('WatchJob running metrics: the point metrics where the suite knows boxes and masks, as report.json has them', async () => {
    const job = await client.startJob(spec('watched-points', { suites: ['imagenet-r'], limit: 18 }));
    const last = (await watchToEnd(job.id)).at(-1)!;
    assert.equal(last.state, JobState.JOB_STATE_SUCCEEDED, last.error);
    const running = new Map(last.suites[0].metrics.map((m) => [m.name, m.value]));
    const report = JSON.parse((await client.getReport(job.id)).reportJson) as RunReport;
    const metrics = report.suites[0].metrics;
    for (const name of [
      'accuracy',
      'point_in_box',
      'centre_in_box',
      'point_in_mask',
      'centre_in_mask',
      'point_distance',
    ]) {
      assert.ok(metrics[name], `report.json has ${name}`);
      assert.ok(running.has(name), `WatchJob has ${name}: ${[...running.keys()].join(', ')}`);
      assert.ok(
        Math.abs(running.get(name)! - metrics[name].value) < 1e-9,
        `${name}: ${running.get(name)} vs ${metrics[name].value}`,
      );
    }
  });

  it('CancelJob stops a running job; StartJob with resume finishes it without a duplicate', async () => {
    const job = await client.startJob(spec('cancelled'));
    const predictions = join(evalDir, 'cancelled', 'predictions.jsonl');
    await waitUntil(() => readLines(predictions).length >= 20, '20 lines');
    const cancelled = await client.cancelJob(job.id);
    assert.equal(cancelled.state, JobState.JOB_STATE_CANCELLED);
    const partial = readLines(predictions).length;
    assert.ok(partial < cancelled.progress!.total, `${partial} of ${cancelled.progress!.total}`);
    await expectStatus(client.getReport(job.id), status.FAILED_PRECONDITION, /has no report \(state cancelled\)/);
    await expectStatus(client.startJob(spec('cancelled')), status.FAILED_PRECONDITION, /exists.*set resume/);
    await client.startJob(spec('cancelled', { resume: true }));
    const last = (await watchToEnd(job.id)).at(-1)!;
    assert.equal(last.state, JobState.JOB_STATE_SUCCEEDED);
    assert.equal(byKey(readLines(predictions)).size, last.total);
  });

  it('a job interrupted by kill -9 of the server resumes when the server starts again', async () => {
    const job = await client.startJob(spec('restarted'));
    const predictions = join(evalDir, 'restarted', 'predictions.jsonl');
    await waitUntil(() => readLines(predictions).length >= 50, '50 lines');
    await serve.kill('SIGKILL');
    await restart(); // another port: the job named no endpoint, so it follows the server
    const resumed = await client.getJob(job.id);
    assert.equal(resumed.state, JobState.JOB_STATE_RUNNING);
    const last = (await watchToEnd(job.id)).at(-1)!;
    assert.equal(last.state, JobState.JOB_STATE_SUCCEEDED, last.error);
    const lines = byKey(readLines(predictions));
    assert.equal(lines.size, last.total);
    assert.ok(lines.size > 500);
  });

  it('SIGTERM with a WatchJob open: the watch ends with UNAVAILABLE at once, not after the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'luab-eval-stop-'));
    const stopping = await startServe(['--eval-dir', dir, '--drain-ms', '0', '--shutdown-grace-ms', '20000'], 0, env);
    const watcher = new EvaluationClient(stopping.address);
    try {
      const job = await watcher.startJob(spec('watched'));
      const watched = (async () => {
        for await (const progress of watcher.watchJob(job.id)) void progress;
      })();
      watched.catch(() => undefined); // asserted below, once the server has stopped
      await waitUntil(() => readLines(join(dir, 'watched', 'predictions.jsonl')).length >= 20, '20 lines');
      await stopping.kill('SIGTERM');
      await expectStatus(watched, status.UNAVAILABLE, /evaluation server is shutting down; job .* resumes/);
      // Without the watch ending, the open stream held tryShutdown until the grace period forced it.
      assert.doesNotMatch(stopping.log(), /grace period over/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'watched', 'job.json'), 'utf8')).state, 'running');
    } finally {
      watcher.close();
      await stopping.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`luab serve --eval-suite-module` (repeatable) loads suites for the hosted service without the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'luab-eval-modules-'));
    // The variable is emptied so that only the flag can have loaded the fixture suite.
    const noEnv = { LUAB_EVAL_SUITE_MODULES: '' };
    const flagged = await startServe(
      ['--eval-dir', dir, '--eval-suite-module', FIXTURE_MODULE, '--eval-suite-module', FIXTURE_MODULE],
      0,
      noEnv,
    );
    const flaggedClient = new EvaluationClient(flagged.address);
    try {
      const job = await flaggedClient.startJob(spec('flagged', { limit: 10 }));
      const messages: JobProgress[] = [];
      for await (const progress of flaggedClient.watchJob(job.id)) messages.push(progress);
      assert.equal(messages.at(-1)!.state, JobState.JOB_STATE_SUCCEEDED, messages.at(-1)!.error);
      assert.equal(readLines(join(dir, 'flagged', 'predictions.jsonl')).length, 10);
    } finally {
      flaggedClient.close();
      await flagged.kill('SIGTERM');
    }
    // Without the flag the suite is unknown to the service (so the run above did need it).
    const plain = await startServe(['--eval-dir', dir], 0, noEnv);
    const plainClient = new EvaluationClient(plain.address);
    try {
      await expectStatus(
        plainClient.startJob(spec('unflagged')),
        status.INVALID_ARGUMENT,
        /unknown suite "fixture-wnid-tree"/,
      );
    } finally {
      plainClient.close();
      await plain.kill('SIGTERM');
    }
    // Every occurrence is loaded: a second module that cannot be imported stops the start, naming it.
    await assert.rejects(
      startServe(
        ['--eval-dir', dir, '--eval-suite-module', FIXTURE_MODULE, '--eval-suite-module', join(dir, 'nope.js')],
        0,
        noEnv,
      ),
      /--eval-dir .*: suite module .*nope\.js/,
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('`luab eval-server` (standalone) runs a job against the inference endpoint it was given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'luab-eval-server-'));
    const evalServer = await startEvalServer(dir, serve.address);
    try {
      const result = await runLuab([
        'eval',
        '--server',
        evalServer.address,
        '--data',
        synth,
        '--suites',
        'imagenet-r',
        '--out',
        'standalone',
        '--quiet',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /imagenet-r: accuracy=/);
      const lines = readLines(join(dir, 'standalone', 'predictions.jsonl'));
      assert.ok(lines.length > 0 && lines.every((l) => l.suite === 'imagenet-r'));
    } finally {
      await evalServer.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad specs: status codes naming the field or folder, before any image', async () => {
    await expectStatus(
      client.startJob(spec('bad-1', { dataRoot: '/nonexistent/data' })),
      status.FAILED_PRECONDITION,
      /data: no such folder: \/nonexistent\/data/,
    );
    await expectStatus(
      client.startJob(spec('bad-2', { suites: ['nope'] })),
      status.INVALID_ARGUMENT,
      /unknown suite "nope"/,
    );
    await expectStatus(
      client.startJob(spec('bad-3', { endpoints: ['127.0.0.1:1'] })),
      status.FAILED_PRECONDITION,
      /endpoint 127\.0\.0\.1:1: unreachable/,
    );
    await expectStatus(client.startJob(spec('../escape')), status.INVALID_ARGUMENT, /out_dir: must be one folder name/);
    await expectStatus(client.getJob('no-such-job'), status.NOT_FOUND, /id: no job "no-such-job"/);
    for (const name of ['bad-1', 'bad-2', 'bad-3'])
      assert.equal(existsSync(join(evalDir, name, 'predictions.jsonl')), false);
  });
});
