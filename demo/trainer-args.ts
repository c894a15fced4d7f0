/**
 * The trainer command line of one demo or study run: the recipe of trainer/configs/synth-<objective>.yaml on the
 * demo's data, with the epochs, seed and (optionally) lambda and point-target rule of the run. One builder for
 * `luab demo` and `luab demo --study`, so a study point at lambda 10 is trained exactly as the demo's models are.
 */
import { join } from 'node:path';
import type { Objective } from './settings.js';

export interface TrainRun {
  objective: Objective;
  seed: number;
  epochs: number;
  dataDir: string;
  /** --output (the runs folder) and --experiment (the run's folder name in it). */
  runsDir: string;
  experiment: string;
  /** Lambda of LUAB and Rand; undefined: the config's. */
  lambda?: number;
  /** --target-rule; undefined: the config's (first-selected-mean). */
  targetRule?: string;
  /** --model; undefined: the config's (small_cnn). */
  model?: string;
  /** --input-size; undefined: the config's (64). */
  inputSize?: number;
  /** `luab synth --small` data: fewer images than the recipe's batch. */
  quick: boolean;
}

/** `python -m luab_trainer train ...` arguments of a fresh run (a cut-short one resumes from its checkpoint). */
export function trainArgs(root: string, run: TrainRun): string[] {
  return [
    '-m',
    'luab_trainer',
    'train',
    '--config',
    join(root, 'trainer', 'configs', `synth-${run.objective}.yaml`),
    '--data-dir',
    run.dataDir,
    '--epochs',
    String(run.epochs),
    '--seed',
    String(run.seed),
    '--output',
    run.runsDir,
    '--experiment',
    run.experiment,
    '--no-progress',
    ...(run.lambda !== undefined ? ['--point-lambda', String(run.lambda)] : []),
    ...(run.targetRule !== undefined ? ['--target-rule', run.targetRule] : []),
    ...(run.model !== undefined ? ['--model', run.model] : []),
    ...(run.inputSize !== undefined ? ['--input-size', String(run.inputSize)] : []),
    // Quick runs: 108 training images (luab synth --small) are fewer than the recipe's batch of 128, and
    // worker processes cost more to start than they save.
    ...(run.quick ? ['--batch-size', '32', '--workers', '0'] : []),
  ];
}

/** `python -m luab_trainer train --resume CHECKPOINT` (every other key comes from the checkpoint). */
export const resumeArgs = (checkpoint: string): string[] => [
  '-m',
  'luab_trainer',
  'train',
  '--resume',
  checkpoint,
  '--no-progress',
];

/** One trainer epoch line as the progress shows it. */
export function describeEpoch(line: string): string | undefined {
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
