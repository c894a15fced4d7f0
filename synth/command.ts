/**
 * `luab synth`: the embedded benchmark generator's command line. Exit codes follow client/cli/main.ts (which also
 * maps commander's usage errors to 2): 0 done (or the same run already there), 1 a failed run or an output folder
 * that cannot be used, 2 a usage error (unknown option, bad value, invalid config).
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, resolveConfig } from './config.js';
import { generate } from './generate.js';
import { OutputFolderError } from './output-folder.js';

function integerOption(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return n;
  };
}

interface SynthOptions {
  out: string;
  seed: number;
  small?: boolean;
  config?: string;
  size?: number;
  workers: number;
  force?: boolean;
  quiet?: boolean;
}

const say = (line: string): void => void process.stderr.write(`luab synth: ${line}\n`);

export function createSynthCommand(): Command {
  return new Command('synth')
    .description(
      'generate the embedded synthetic ImageNet-9 benchmark: train/val with annotation byproducts, and stress suites',
    )
    .requiredOption('--out <dir>', 'output folder; written beside it first and renamed when complete')
    .option('--seed <n>', 'random seed: the same seed and parameters give identical files', integerOption(0), 0)
    .option('--small', 'a tiny version (every layout, a few images each) in seconds, for tests')
    .option('--config <file>', 'JSON file layered over the defaults (docs/synth.md lists every key)')
    .option('--size <px>', 'image side in pixels (default 64; config key image_size)', integerOption(32))
    .option('--workers <n>', 'worker threads rendering images', integerOption(1), Math.min(2, availableParallelism()))
    .option('--force', 'replace a different (or the same) earlier run in --out')
    .option('--quiet', 'no progress bar and no summary line')
    .action(async (opts: SynthOptions) => {
      try {
        const config = resolveConfig({ small: opts.small, configFile: opts.config, imageSize: opts.size });
        const result = await generate({
          out: opts.out,
          seed: opts.seed,
          config,
          workers: opts.workers,
          force: Boolean(opts.force),
          showProgress: !opts.quiet,
        });
        if (opts.quiet) return;
        if (result.status === 'already-present')
          say(`${result.dir} already holds this run (seed ${opts.seed}, same parameters); --force regenerates it`);
        else say(`wrote ${result.images} images to ${result.dir} in ${result.seconds.toFixed(1)} s`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof ConfigError) {
          say(message);
          process.exitCode = 2;
        } else if (err instanceof OutputFolderError) {
          say(message);
          process.exitCode = 1;
        } else {
          say(`failed: ${err instanceof Error && process.env.LUAB_DEBUG ? (err.stack ?? message) : message}`);
          process.exitCode = 1;
        }
      }
    });
}
