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
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderRunReports } from '../eval/report/index.js';
import { packageRoot } from '../server/util/package-root.js';
import { DemoStageError, runChild } from './child.js';
import { evaluateModel } from './evaluate.js';
import { startDemoServer, type DemoServer } from './server-process.js';
import { fingerprintOf, modelName, OBJECTIVES, type DemoSettings, type Objective } from './settings.js';
import { DemoState } from './state.js';
import { stageRunner } from './stages.js';
import { runSynthStage } from './synth-stage.js';
import { describeEpoch, resumeArgs, trainArgs } from './trainer-args.js';
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

/** The trainer command line of one objective and seed of the demo (OUT/data, OUT/runs/<objective>-s<seed>). */
export function demoTrainArgs(
  root: string,
  out: string,
  settings: DemoSettings,
  objective: Objective,
  seed: number,
): string[] {
  return trainArgs(root, {
    objective,
    seed,
    epochs: settings.epochs,
    dataDir: join(out, 'data'),
    runsDir: join(out, 'runs'),
    experiment: `${objective}-s${seed}`,
    lambda: settings.lambda,
    quick: settings.quick,
  });
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
  const { stage, ran, skipped } = stageRunner(state, stageNames, progress, signal);

  await stage('synth', () => runSynthStage(luab, settings, out, dataDir, signal));

  for (const job of jobs) {
    await stage(`train/${job.name}`, async () => {
      const resuming = existsSync(job.checkpoint);
      const args = resuming ? resumeArgs(job.checkpoint) : demoTrainArgs(root, out, settings, job.objective, job.seed);
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

  function evaluate(job: ModelJob, endpoint: string): Promise<Record<string, unknown>> {
    return evaluateModel({
      model: job.name,
      endpoint,
      out,
      dataDir,
      evalDir: join(out, 'eval', job.name),
      suites: ['all'],
      limit: settings.evalLimit,
      bgcMaxBackgrounds: settings.bgcMaxBackgrounds,
      progress,
      signal,
    });
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
