/**
 * `luab demo`: the paper's comparison end to end on the embedded benchmark: synth → train baseline, Rand and
 * LUAB over seeds → export → serve → evaluate every suite → WSOL → reports (demo/run-demo.ts). Resumable: run the
 * same command again after an interruption and finished stages are skipped. Exit codes: 0 done, 1 a stage failed
 * (the message names it and its log), 2 a usage error or an --out folder made with other settings, 130
 * interrupted (Ctrl-C, SIGTERM: the child processes are stopped, and a rerun continues).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseInteger } from '../cli/options.js';
import { pythonInterpreter } from './trainer.js';
import { DemoInterrupted, DemoStageError } from '../../demo/child.js';
import { runDemo } from '../../demo/run-demo.js';
import { runStudy, selectPoints } from '../../demo/study.js';
import {
  DEFAULT_SYNTH_CONFIG,
  parseSeeds,
  PRESETS,
  SHIPPED_SYNTH_CONFIG,
  type DemoSettings,
} from '../../demo/settings.js';
import { DemoStateError } from '../../demo/state.js';

interface DemoOptions {
  out: string;
  quick?: boolean;
  shipped?: boolean;
  seeds?: number[];
  epochs?: number;
  lambda?: number;
  evalLimit?: number;
  quiet?: boolean;
  study?: boolean;
  points?: string[];
}

const seedsOption = (raw: string): number[] => {
  try {
    return parseSeeds(raw);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^--seeds: /, ''));
  }
};

const lambdaOption = (raw: string): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`expected a number >= 0, got "${raw}"`);
  }
  return value;
};

export function settingsFrom(options: DemoOptions): DemoSettings {
  const preset = options.quick ? PRESETS.quick : options.shipped ? PRESETS.shipped : PRESETS.default;
  return {
    quick: options.quick === true,
    seeds: options.seeds ?? parseSeeds(String(preset.seeds)),
    epochs: options.epochs ?? preset.epochs,
    lambda: options.lambda,
    synth: options.quick
      ? { small: true, config: {} }
      : { small: false, config: options.shipped ? SHIPPED_SYNTH_CONFIG : DEFAULT_SYNTH_CONFIG },
    evalLimit: options.evalLimit,
    bgcMaxBackgrounds: preset.bgcMaxBackgrounds,
    wsolLimit: 'wsolLimit' in preset ? preset.wsolLimit : undefined,
  };
}

export function createDemoCommand(): Command {
  return new Command('demo')
    .description(
      'the paper end to end on the embedded benchmark: synth, train baseline/Rand/LUAB over seeds, serve, evaluate, WSOL, report (resumable)',
    )
    .addOption(
      new Option('--out <dir>', 'output folder (data, runs, models, eval, wsol, report, logs, demo-state.json)')
        .env('LUAB_DEMO_OUT')
        .default('runs/demo'),
    )
    .addOption(
      new Option('--quick', 'a few minutes: luab synth --small (every suite, a few images each), 1 seed, 1 epoch').env(
        'LUAB_DEMO_QUICK',
      ),
    )
    .addOption(
      new Option(
        '--shipped',
        "the shipped models' settings (models/README.md): luab synth's full default size, 30 epochs, seed 0 " +
          '(about 70 min on 2 cores)',
      )
        .env('LUAB_DEMO_SHIPPED')
        .conflicts('quick'),
    )
    .addOption(
      new Option(
        '--seeds <n|list>',
        'a count (seeds 0..n-1) or a comma-separated list [default 3; --quick, --shipped: 1]',
      )
        .env('LUAB_DEMO_SEEDS')
        .argParser(seedsOption),
    )
    .addOption(
      new Option('--epochs <n>', 'training epochs of every run [default 10; --quick: 1; --shipped: 30]')
        .env('LUAB_DEMO_EPOCHS')
        .argParser(parseInteger(1, 1000)),
    )
    .addOption(
      new Option(
        '--lambda <x>',
        "point-loss weight of LUAB and Rand, none for the baseline [default: the configs', 10]",
      )
        .env('LUAB_DEMO_LAMBDA')
        .argParser(lambdaOption),
    )
    .addOption(
      new Option('--eval-limit <n>', 'evaluate the first n images of each suite [default: all]')
        .env('LUAB_DEMO_EVAL_LIMIT')
        .argParser(parseInteger(1)),
    )
    .addOption(
      new Option(
        '--study',
        'the regime study instead (lambda 1/10/30/100; perfect, realistic, uniform clicks) on the same data, recipe, ' +
          'epochs and seeds; trainer validation + Backgrounds Challenge; --out default runs/study',
      ).env('LUAB_DEMO_STUDY'),
    )
    .addOption(
      new Option(
        '--points <ids>',
        'with --study: only these points, comma-separated (e.g. baseline,luab-l10) [default: all]',
      )
        .env('LUAB_DEMO_POINTS')
        .argParser((raw: string) => raw.split(',').map((id) => id.trim())),
    )
    .addOption(new Option('--quiet', 'no progress lines (errors and the final summary only)').env('LUAB_DEMO_QUIET'))
    .addHelpText(
      'after',
      '\nRun it again after an interruption: finished stages (per model and seed) are skipped. The trainer runs on\n' +
        'LUAB_PYTHON (default /usr/bin/python3). Exit codes: 0 done, 1 a stage failed (its log is named), 2 usage\n' +
        'or an --out made with other settings, 130 interrupted. See docs/demo.md.',
    )
    .action(async (options: DemoOptions, command: Command) => {
      const settings = settingsFrom(options);
      if (options.study && options.lambda !== undefined) {
        // every study point has its own lambda (demo/study.ts): a global one would be silently ignored
        console.error('luab demo: --lambda does not apply to --study (its points set lambda 1, 10, 30, 100)');
        process.exit(2);
      }
      if (options.points !== undefined) {
        if (!options.study) {
          console.error('luab demo: --points applies to --study only (the demo trains baseline, Rand and LUAB)');
          process.exit(2);
        }
        try {
          selectPoints(options.points);
        } catch (error) {
          console.error(`luab demo: --points: ${(error as Error).message}`);
          process.exit(2);
        }
      }
      if (options.study && command.getOptionValueSource('out') === 'default') options.out = 'runs/study';
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const started = performance.now();
      const minutes = () => ((performance.now() - started) / 60_000).toFixed(1);
      try {
        const run = {
          outDir: options.out,
          settings,
          python: pythonInterpreter(),
          signal: controller.signal,
          progress: (line: string) => {
            if (!options.quiet) console.error(`luab demo ${minutes()} min ${line}`);
          },
        };
        const result = options.study ? await runStudy({ ...run, points: options.points }) : await runDemo(run);
        const files = 'files' in result ? result.files : result.reportFiles;
        console.log(
          `luab demo: done in ${minutes()} min (${result.ran.length} stage(s) run, ${result.skipped.length} done earlier); ` +
            `reports: ${files.join(', ')}`,
        );
      } catch (error) {
        if (error instanceof DemoInterrupted) {
          console.error(`luab demo: interrupted; run the same command again to continue (${options.out})`);
          process.exit(130);
        }
        if (error instanceof DemoStateError) {
          console.error(`luab demo: ${error.message}`);
          process.exit(2);
        }
        const message = error instanceof DemoStageError ? error.message : String((error as Error)?.stack ?? error);
        console.error(`luab demo: ${message}`);
        process.exit(1);
      }
    });
}
