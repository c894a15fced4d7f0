/**
 * `luab demo`'s pipeline: synth → train baseline, Rand and LUAB per seed (same backbone, recipe, epochs, seeds and
 * lambda) → export each into OUT/models → serve them (`luab serve` as a child) → evaluate every suite through the
 * evaluation engine → WSOL (CAMs from each checkpoint, trainer/luab_trainer/wsol.py) → reports.
 *
 * Every stage of every model and seed is recorded in OUT/demo-state.json when its outputs are complete, and
 * skipped on the next run: a demo interrupted anywhere continues where it stopped. A stage cut short continues
 * from what it left, where its tool can (the trainer from its last epoch's checkpoint, the evaluation from its
 * predictions.jsonl); otherwise it starts that one stage again (synth, export, WSOL).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import '../eval/suites/index.js'; // registers every suite for the evaluation engine and the report
import { prepareJob } from '../eval/job/prepare.js';
import { JobCancelledError, runJob } from '../eval/job/runner.js';
import { PREDICTIONS_FILE } from '../eval/job/job-state.js';
import { setBgcBackgroundCap } from '../eval/suites/bg-challenge-adversarial.js';
import { renderRunReports } from '../eval/report/index.js';
import { packageRoot } from '../server/util/package-root.js';
import { DemoInterrupted, DemoStageError, runChild } from './child.js';
import { startDemoServer, type DemoServer } from './server-process.js';
import { fingerprintOf, modelName, OBJECTIVES, type DemoSettings, type Objective } from './settings.js';
import { DemoState } from './state.js';
import { writeWsolReport } from './wsol-report.js';

export interface DemoRunOptions {
  outDir: string;
  settings: DemoSettings;
  /** The interpreter with PyTorch (LUAB_PYTHON, default /usr/bin/python3). */
  python: string;
  /** One line of progress (stage starts and ends, epochs, evaluation counts). */
  progress: (line: string) => void;
  signal?: AbortSignal;
}

export interface DemoResult {
  outDir: string;
  /** Stages run now, and stages found finished by an earlier run. */
  ran: string[];
  skipped: string[];
  reportFiles: string[];
}

interface ModelJob {
  objective: Objective;
  seed: number;
  name: string;
  runDir: string;
  checkpoint: string;
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

/** One trainer epoch line as the progress shows it. */
function describeEpoch(line: string): string | undefined {
  let entry: Record<string, number>;
  try {
    entry = JSON.parse(line) as Record<string, number>;
  } catch {
    return undefined;
  }
  if (typeof entry.epoch !== 'number') return undefined;
  const parts = [`epoch ${entry.epoch + 1}/${entry.epochs}`, `loss ${entry.loss?.toFixed(3)}`];
  if (typeof entry.val_top1 === 'number') parts.push(`val top-1 ${entry.val_top1.toFixed(3)}`);
  if (typeof entry.val_point_acc === 'number') parts.push(`point in box ${entry.val_point_acc.toFixed(3)}`);
  parts.push(`${entry.train_seconds?.toFixed(1)} s`);
  return parts.join(', ');
}

export async function runDemo(options: DemoRunOptions): Promise<DemoResult> {
  const { settings, progress, signal } = options;
  const out = resolve(options.outDir);
  const root = packageRoot();
  const luab = join(root, 'bin', 'luab.js');
  const logs = join(out, 'logs');
  const dataDir = join(out, 'data');
  const modelsDir = join(out, 'models');
  mkdirSync(logs, { recursive: true });
  const state = DemoState.open(out, fingerprintOf(settings));
  const trainerEnv = { PYTHONPATH: [join(root, 'trainer'), process.env.PYTHONPATH].filter(Boolean).join(':') };
  const jobs: ModelJob[] = settings.seeds.flatMap((seed) =>
    OBJECTIVES.map((objective) => {
      const runDir = join(out, 'runs', `${objective}-s${seed}`);
      return {
        objective,
        seed,
        name: modelName(objective, seed),
        runDir,
        checkpoint: join(runDir, 'checkpoint-last.pth'),
      };
    }),
  );
  const stageNames = [
    'synth',
    ...jobs.flatMap((j) => [`train/${j.name}`, `export/${j.name}`]),
    ...jobs.map((j) => `eval/${j.name}`),
    ...jobs.map((j) => `wsol/${j.name}`),
    'report',
  ];
  const ran: string[] = [];
  const skipped: string[] = [];
  const check = () => {
    if (signal?.aborted) throw new DemoInterrupted();
  };

  /** Runs a stage unless the state says it is finished; `work` returns the stage's outputs. */
  const stage = async (name: string, work: () => Promise<Record<string, unknown>>): Promise<void> => {
    check();
    const n = stageNames.indexOf(name) + 1;
    const label = `[${n}/${stageNames.length}] ${name}`;
    const earlier = state.done(name);
    if (earlier) {
      skipped.push(name);
      progress(`${label}: done earlier (${earlier.finishedAt}), skipped`);
      return;
    }
    progress(`${label} ...`);
    const started = performance.now();
    const outputs = await work();
    state.finish(name, seconds(started), outputs);
    ran.push(name);
    progress(`${label}: done in ${seconds(started)} s`);
  };

  await stage('synth', async () => {
    const args = [luab, 'synth', '--out', dataDir, '--quiet'];
    if (settings.synth.small) args.push('--small');
    else {
      const configFile = join(out, 'synth-config.json');
      writeFileSync(configFile, `${JSON.stringify(settings.synth.config, null, 2)}\n`);
      args.push('--config', configFile);
    }
    await runChild(process.execPath, args, { logFile: join(logs, 'synth.log'), signal, what: 'luab synth' });
    return { data: relative(out, dataDir) };
  });

  for (const job of jobs) {
    await stage(`train/${job.name}`, async () => {
      const resuming = existsSync(job.checkpoint);
      const args = resuming
        ? ['-m', 'luab_trainer', 'train', '--resume', job.checkpoint, '--no-progress']
        : [
            '-m',
            'luab_trainer',
            'train',
            '--config',
            join(root, 'trainer', 'configs', `synth-${job.objective}.yaml`),
            '--data-dir',
            dataDir,
            '--epochs',
            String(settings.epochs),
            '--seed',
            String(job.seed),
            '--output',
            join(out, 'runs'),
            '--experiment',
            `${job.objective}-s${job.seed}`,
            '--no-progress',
            ...(settings.lambda !== undefined ? ['--point-lambda', String(settings.lambda)] : []),
            // Quick runs: 108 training images (luab synth --small) are fewer than the recipe's batch of 128, and
            // worker processes cost more to start than they save.
            ...(settings.quick ? ['--batch-size', '32', '--workers', '0'] : []),
          ];
      if (resuming) progress(`  continuing from ${relative(out, job.checkpoint)}`);
      await runChild(options.python, args, {
        env: trainerEnv,
        logFile: join(logs, `train-${job.name}.log`),
        signal,
        what: `training ${job.name}`,
        onStdoutLine: (line) => {
          const text = describeEpoch(line);
          if (text) progress(`  ${job.name}: ${text}`);
        },
      });
      return { run: relative(out, job.runDir), checkpoint: relative(out, job.checkpoint) };
    });
    await stage(`export/${job.name}`, async () => {
      // An export cut short may have left a version behind: start the model folder afresh, so it holds version 1.
      const modelDir = join(modelsDir, job.name);
      rmSync(modelDir, { recursive: true, force: true });
      let exported: { version?: number } = {};
      await runChild(
        options.python,
        [
          '-m',
          'luab_trainer',
          'export',
          '--checkpoint',
          job.checkpoint,
          '--to',
          modelDir,
          '--description',
          `luab demo: small CNN, ${job.objective}, seed ${job.seed}, ${settings.epochs} epochs on ${relative(out, dataDir)}`,
        ],
        {
          env: trainerEnv,
          logFile: join(logs, `export-${job.name}.log`),
          signal,
          what: `export of ${job.name}`,
          onStdoutLine: (line) => {
            if (line.startsWith('{')) exported = JSON.parse(line) as { version?: number };
          },
        },
      );
      if (exported.version !== 1)
        throw new DemoStageError(`export of ${job.name}: expected version 1, got ${exported.version}`);
      return { model: job.name, version: exported.version, folder: relative(out, modelDir) };
    });
  }

  const pendingEval = jobs.filter((j) => !state.done(`eval/${j.name}`));
  let server: DemoServer | undefined;
  try {
    for (const job of jobs) {
      await stage(`eval/${job.name}`, async () => {
        if (!server) {
          server = await startDemoServer(luab, modelsDir, join(logs, 'serve.log'));
          progress(`  luab serve (pid ${server.pid}) on ${server.address}: ${pendingEval.length} model(s) to evaluate`);
        }
        return evaluate(job, server.address);
      });
    }
  } finally {
    if (server) {
      await (server as DemoServer).stop();
      progress(`  luab serve (pid ${(server as DemoServer).pid}) stopped`);
    }
  }

  async function evaluate(job: ModelJob, endpoint: string): Promise<Record<string, unknown>> {
    const evalDir = join(out, 'eval', job.name);
    setBgcBackgroundCap(settings.bgcMaxBackgrounds);
    const prepared = await prepareJob({
      model: job.name,
      version: 0,
      endpoints: [endpoint],
      dataRoot: dataDir,
      suites: ['all'],
      suiteRoots: {},
      outDir: evalDir,
      limit: settings.evalLimit,
      concurrency: 8,
      // A job cut short continues from its predictions.jsonl (no image evaluated twice).
      resume: existsSync(join(evalDir, PREDICTIONS_FILE)),
      retries: 8,
      timeoutMs: 60_000,
      bgcMaxBackgrounds: settings.bgcMaxBackgrounds,
    });
    let lastShown = 0;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await runJob(prepared, {
        signal: controller.signal,
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastShown < 5000) return;
          lastShown = now;
          const done = p.suites.reduce((a, s) => a + s.done, 0);
          const total = p.suites.reduce((a, s) => a + s.total, 0);
          progress(`  ${job.name}: ${done}/${total} images, ${p.imagesPerSecond.toFixed(0)}/s`);
        },
      });
      const images = result.report.suites.reduce((a, s) => a + s.counts.evaluated, 0);
      progress(`  ${job.name}: ${images} images in ${result.report.suites.length} suites`);
      return { eval: relative(out, evalDir), suites: result.report.suites.map((s) => s.suite), images };
    } catch (error) {
      if (error instanceof JobCancelledError) throw new DemoInterrupted();
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  for (const job of jobs) {
    await stage(`wsol/${job.name}`, async () => {
      const file = join(out, 'wsol', `${job.name}.json`);
      mkdirSync(join(out, 'wsol'), { recursive: true });
      await runChild(
        options.python,
        [
          '-m',
          'luab_trainer',
          'wsol',
          '--checkpoint',
          job.checkpoint,
          '--data',
          dataDir,
          '--out',
          file,
          ...(settings.wsolLimit !== undefined ? ['--limit', String(settings.wsolLimit)] : []),
        ],
        { env: trainerEnv, logFile: join(logs, `wsol-${job.name}.log`), signal, what: `WSOL of ${job.name}` },
      );
      return { wsol: relative(out, file) };
    });
  }

  // The report covers this run's seeds; run again when they change (a folder extended by more seeds).
  const reportDir = join(out, 'report');
  const reportKey = `report`;
  const reportFiles: string[] = [];
  const models = jobs.map((j) => j.name);
  if (JSON.stringify(state.done(reportKey)?.outputs.models) !== JSON.stringify(models)) state.forget(reportKey);
  await stage(reportKey, async () => {
    const rendered = await renderRunReports(
      jobs.map((j) => join(out, 'eval', j.name)),
      reportDir,
      {
        title: `luab demo: baseline, Rand and LUAB on the embedded benchmark (${settings.seeds.length} seed(s))`,
        samplesPerSuite: settings.quick ? 2 : 8,
      },
    );
    const wsol = writeWsolReport(
      jobs.map((j) => ({ objective: j.objective, seed: j.seed, file: join(out, 'wsol', `${j.name}.json`) })),
      reportDir,
    );
    reportFiles.push(...rendered.files, ...wsol);
    return { models, files: reportFiles.map((f) => relative(out, f)) };
  });
  if (reportFiles.length === 0) {
    const recorded = state.done(reportKey)?.outputs.files;
    if (Array.isArray(recorded)) reportFiles.push(...recorded.map((f) => join(out, String(f))));
  }
  return { outDir: out, ran, skipped, reportFiles };
}
