/**
 * `luab demo --study`: issue 13's regime study on the demo's data and recipe (settings.ts: sizes, epochs, seeds).
 * Five axes, each point trained per seed exactly as the demo trains its models (trainer-args.ts), exported, and
 * evaluated on the Backgrounds Challenge (of its own dataset) through a served repository:
 *
 * - lambda: LUAB at 1, 10, 30, 100 (realistic clicks: the simulated annotator, first-selected-mean), with the
 *   baseline (no point head) as lambda 0;
 * - click noise at lambda 10: perfect clicks (the box centre, the trainer's `box-centre` oracle rule, on the
 *   images an annotator selected), the realistic annotator, uniform points (Rand, fresh per step);
 * - correlation strength: the benchmark generated with rho 0.8 instead of 0.5 (docs/synth.md), baseline and LUAB;
 * - image size: the benchmark generated at 96 px and the models trained at 96 px, baseline and LUAB;
 * - backbone: ResNet-18 instead of the small CNN (64 px, the default data), baseline and LUAB.
 *
 * Each off-default point is compared with the baseline of its own dataset and backbone, per seed.
 *
 * Resumable as the demo is (demo-state.json in OUT, a folder tied to its settings): a rerun skips every finished
 * stage, and `--seeds` and `--points` (a subset of the points) may grow. The tables go to OUT/study.md and
 * OUT/study.json (study-table.ts); they cover the seeds and points of the latest run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { RunReport } from '../eval/types.js';
import { packageRoot } from '../server/util/package-root.js';
import { DemoStageError, runChild } from './child.js';
import { evaluateModel } from './evaluate.js';
import { startDemoServer, type DemoServer } from './server-process.js';
import { fingerprintOf, type DemoSettings, type Objective } from './settings.js';
import { DemoState } from './state.js';
import { stageRunner } from './stages.js';
import { studyMarkdown, type Comparison, type StudyRunResult } from './study-table.js';
import { runSynthStage } from './synth-stage.js';
import { describeEpoch, resumeArgs, trainArgs } from './trainer-args.js';

/** One benchmark the study generates: the demo's synth configuration with these keys layered over it. */
export interface StudyDataset {
  id: string;
  synth: Record<string, unknown>;
}

export const STUDY_DATASETS: StudyDataset[] = [
  { id: 'default', synth: {} },
  { id: 'rho-0.8', synth: { rho: 0.8 } },
  { id: 'px-96', synth: { image_size: 96 } },
];

export interface StudyPoint {
  id: string;
  label: string;
  objective: Objective;
  lambda?: number;
  targetRule?: string;
  /** STUDY_DATASETS id (default: 'default'). */
  dataset?: string;
  /** Trainer --model (default: the recipe's small_cnn). */
  model?: string;
  /** The point this one is compared with, per seed (besides the fixed comparisons below). */
  versus?: string;
}

export const STUDY_POINTS: StudyPoint[] = [
  { id: 'baseline', label: 'baseline (λ 0)', objective: 'baseline' },
  { id: 'luab-l1', label: 'LUAB λ 1', objective: 'luab', lambda: 1 },
  { id: 'luab-l10', label: 'LUAB λ 10 (realistic clicks)', objective: 'luab', lambda: 10 },
  { id: 'luab-l30', label: 'LUAB λ 30', objective: 'luab', lambda: 30 },
  { id: 'luab-l100', label: 'LUAB λ 100', objective: 'luab', lambda: 100 },
  {
    id: 'luab-perfect-l10',
    label: 'LUAB λ 10, perfect clicks',
    objective: 'luab',
    lambda: 10,
    targetRule: 'box-centre',
  },
  { id: 'rand-l10', label: 'Rand λ 10 (uniform points)', objective: 'rand', lambda: 10 },
  { id: 'baseline-rho08', label: 'baseline, rho 0.8', objective: 'baseline', dataset: 'rho-0.8' },
  {
    id: 'luab-l10-rho08',
    label: 'LUAB λ 10, rho 0.8',
    objective: 'luab',
    lambda: 10,
    dataset: 'rho-0.8',
    versus: 'baseline-rho08',
  },
  { id: 'baseline-96px', label: 'baseline, 96 px', objective: 'baseline', dataset: 'px-96' },
  {
    id: 'luab-l10-96px',
    label: 'LUAB λ 10, 96 px',
    objective: 'luab',
    lambda: 10,
    dataset: 'px-96',
    versus: 'baseline-96px',
  },
  { id: 'baseline-resnet18', label: 'baseline, ResNet-18', objective: 'baseline', model: 'resnet18' },
  {
    id: 'luab-l10-resnet18',
    label: 'LUAB λ 10, ResNet-18',
    objective: 'luab',
    lambda: 10,
    model: 'resnet18',
    versus: 'baseline-resnet18',
  },
];

/** A point on the default dataset and backbone, compared with the plain baseline. */
const onDefaults = (p: StudyPoint) => !p.dataset && !p.model;

/** The trainer's --input-size of a point: its dataset's image size (undefined: the recipe's 64). */
export function inputSizeOf(point: StudyPoint): number | undefined {
  const size = STUDY_DATASETS.find((d) => d.id === (point.dataset ?? 'default'))?.synth.image_size;
  return typeof size === 'number' ? size : undefined;
}

export const STUDY_COMPARISONS: Comparison[] = [
  ...STUDY_POINTS.filter((p) => p.id !== 'baseline' && onDefaults(p)).map((p) => ({ a: p.id, b: 'baseline' })),
  ...STUDY_POINTS.filter((p) => p.versus).map((p) => ({ a: p.id, b: p.versus! })),
  { a: 'luab-l10', b: 'rand-l10' },
  { a: 'luab-perfect-l10', b: 'rand-l10' },
  { a: 'luab-perfect-l10', b: 'luab-l10' },
];

/** The points of `--points a,b` in STUDY_POINTS' order; an unknown or repeated id is an error naming the known ones. */
export function selectPoints(ids: string[] | undefined): StudyPoint[] {
  if (ids === undefined) return STUDY_POINTS;
  if (ids.length === 0) throw new Error('no study point given');
  const known = new Set(STUDY_POINTS.map((p) => p.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new Error(`unknown study point(s) ${unknown.join(', ')} (points: ${[...known].join(', ')})`);
  }
  if (new Set(ids).size !== ids.length) throw new Error(`a study point is listed twice in ${ids.join(',')}`);
  return STUDY_POINTS.filter((p) => ids.includes(p.id));
}

/** The folder under OUT of a STUDY_DATASETS benchmark ('default': OUT/data). */
export const dataDirOf = (out: string, dataset = 'default'): string =>
  join(out, dataset === 'default' ? 'data' : `data-${dataset}`);

/** The trainer command line of one point and seed: its objective, lambda, target rule, backbone and data. */
export function studyTrainArgs(
  root: string,
  out: string,
  settings: DemoSettings,
  point: StudyPoint,
  seed: number,
): string[] {
  return trainArgs(root, {
    objective: point.objective,
    seed,
    epochs: settings.epochs,
    dataDir: dataDirOf(out, point.dataset),
    runsDir: join(out, 'runs'),
    experiment: `${point.id}-s${seed}`,
    lambda: point.lambda,
    targetRule: point.targetRule,
    model: point.model,
    inputSize: inputSizeOf(point),
    quick: settings.quick,
  });
}

/** The study's one suite: background shift, where the paper's claims are. */
const STUDY_SUITES = ['bg-challenge'];

export interface StudyRunOptions {
  outDir: string;
  settings: DemoSettings;
  /** STUDY_POINTS ids to train (undefined: every point); a folder can be extended by more points later. */
  points?: string[];
  python: string;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

export interface StudyResult {
  outDir: string;
  ran: string[];
  skipped: string[];
  files: string[];
}

interface StudyJob {
  point: StudyPoint;
  seed: number;
  name: string;
  runDir: string;
  checkpoint: string;
}

/** The last epoch line of a run's log.jsonl. */
function lastEpoch(runDir: string): Record<string, unknown> {
  const lines = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

const numberOr = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

export async function runStudy(options: StudyRunOptions): Promise<StudyResult> {
  const { settings, progress, signal } = options;
  const out = resolve(options.outDir);
  const root = packageRoot();
  const luab = join(root, 'bin', 'luab.js');
  const logs = join(out, 'logs');
  const points = selectPoints(options.points);
  const datasets = STUDY_DATASETS.filter((d) => points.some((p) => (p.dataset ?? 'default') === d.id));
  const synthStage = (d: StudyDataset) => (d.id === 'default' ? 'synth' : `synth/${d.id}`);
  const modelsDir = join(out, 'models');
  mkdirSync(logs, { recursive: true });
  const state = DemoState.open(out, { ...fingerprintOf(settings), study: STUDY_POINTS });
  const trainerEnv = { PYTHONPATH: [join(root, 'trainer'), process.env.PYTHONPATH].filter(Boolean).join(':') };
  const jobs: StudyJob[] = settings.seeds.flatMap((seed) =>
    points.map((point) => {
      const runDir = join(out, 'runs', `${point.id}-s${seed}`);
      return {
        point,
        seed,
        name: `study-${point.id}-s${seed}`,
        runDir,
        checkpoint: join(runDir, 'checkpoint-last.pth'),
      };
    }),
  );
  const stageNames = [
    ...datasets.map(synthStage),
    ...jobs.flatMap((j) => [`train/${j.name}`, `export/${j.name}`]),
    ...jobs.map((j) => `eval/${j.name}`),
    'summary',
  ];
  const { stage, ran, skipped } = stageRunner(state, stageNames, progress, signal);

  for (const d of datasets) {
    await stage(synthStage(d), () => runSynthStage(luab, settings, out, dataDirOf(out, d.id), signal, d.synth));
  }

  for (const job of jobs) {
    await stage(`train/${job.name}`, async () => {
      const resuming = existsSync(job.checkpoint);
      const args = resuming ? resumeArgs(job.checkpoint) : studyTrainArgs(root, out, settings, job.point, job.seed);
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
      return { run: relative(out, job.runDir) };
    });
    await stage(`export/${job.name}`, async () => {
      const modelDir = join(modelsDir, job.name);
      rmSync(modelDir, { recursive: true, force: true }); // a cut-short export starts afresh: version 1
      await runChild(
        options.python,
        ['-m', 'luab_trainer', 'export', '--checkpoint', job.checkpoint, '--to', modelDir, '--description',
          `luab demo --study: ${job.point.model ?? 'small CNN'}, ${job.point.label}, seed ${job.seed}, ${settings.epochs} epochs`], // prettier-ignore
        { env: trainerEnv, logFile: join(logs, `export-${job.name}.log`), signal, what: `export of ${job.name}` },
      );
      if (!existsSync(join(modelDir, '1', 'model.onnx'))) {
        throw new DemoStageError(`export of ${job.name}: no ${relative(out, join(modelDir, '1', 'model.onnx'))}`);
      }
      return { model: job.name, folder: relative(out, modelDir) };
    });
  }

  let server: DemoServer | undefined;
  try {
    for (const job of jobs) {
      await stage(`eval/${job.name}`, async () => {
        if (!server) {
          server = await startDemoServer(luab, modelsDir, join(logs, 'serve.log'));
          progress(`  luab serve (pid ${server.pid}) on ${server.address}`);
        }
        return evaluateModel({
          model: job.name,
          endpoint: server.address,
          out,
          dataDir: dataDirOf(out, job.point.dataset),
          evalDir: join(out, 'eval', job.name),
          suites: STUDY_SUITES,
          limit: settings.evalLimit,
          bgcMaxBackgrounds: settings.bgcMaxBackgrounds,
          progress,
          signal,
        });
      });
    }
  } finally {
    if (server) {
      await (server as DemoServer).stop();
      progress(`  luab serve (pid ${(server as DemoServer).pid}) stopped`);
    }
  }

  const files = [join(out, 'study.md'), join(out, 'study.json')];
  // The summary covers this run's seeds: redone whenever the set of runs changes (a folder extended by seeds).
  const names = jobs.map((j) => j.name);
  if (JSON.stringify(state.done('summary')?.outputs.runs) !== JSON.stringify(names)) state.forget('summary');
  await stage('summary', async () => {
    const results: StudyRunResult[] = jobs.map((job) => {
      const epoch = lastEpoch(job.runDir);
      const report = JSON.parse(readFileSync(join(out, 'eval', job.name, 'report.json'), 'utf8')) as RunReport;
      const bgc = report.suites.find((s) => s.suite === 'bg-challenge')?.metrics ?? {};
      return {
        point: job.point.id,
        seed: job.seed,
        trainSeconds: state.done(`train/${job.name}`)?.seconds ?? Number.NaN,
        metrics: {
          val_top1: numberOr(epoch.val_top1),
          val_point_acc: numberOr(epoch.val_point_acc),
          val_point_error: numberOr(epoch.val_point_error),
          bgc_original: numberOr(bgc.original?.value),
          bgc_mixed_same: numberOr(bgc.mixed_same?.value),
          bgc_mixed_rand: numberOr(bgc.mixed_rand?.value),
          bgc_bg_gap: numberOr(bgc.bg_gap?.value),
        },
      };
    });
    const heading =
      `Regime study: small CNN at 64 px unless the point says otherwise, ${settings.epochs} epochs, seeds ${settings.seeds.join(', ')} ` +
      `(luab demo --study${settings.quick ? ' --quick' : ''}); mean ± sample std over the seeds.`;
    writeFileSync(files[0], studyMarkdown(STUDY_POINTS, STUDY_COMPARISONS, results, heading));
    writeFileSync(files[1], `${JSON.stringify({ settings, points, runs: results }, null, 2)}\n`);
    return { runs: names, files: files.map((f) => relative(out, f)) };
  });
  return { outDir: out, ran, skipped, files };
}
