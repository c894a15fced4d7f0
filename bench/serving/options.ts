/**
 * The benchmark's command line, and the `luab serve` options it passes to both pipelines. Server options are
 * parsed by the server's own config code, so a bad one fails here with the server's message, before anything
 * starts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, flagName, SERVER_OPTIONS, type ServerConfig } from '../../server/config.js';

export interface BenchOptions {
  models: string;
  model?: string;
  duration: number;
  warmup: number;
  maxRequests: number;
  concurrency: number[];
  repeat: number;
  images?: string;
  imageCount: number;
  serverOption: string[];
  serverCpuProf?: string;
  json?: string;
  plot?: string;
  only?: string;
  busyRetries: number;
  quietWait: number;
  ghz?: string;
  strict: boolean;
}

/** `luab serve` options as raw strings keyed by config key, as resolveServerConfig() takes them. */
export type ServerFlags = Partial<Record<keyof ServerConfig, string>>;

/** Server settings the benchmark decides itself (where it listens, what it loads, what it logs). */
const RESERVED_SERVER_OPTIONS = new Set(['host', 'port', 'models', 'default-model', 'log-level']);

const positive =
  (integer: boolean) =>
  (raw: string): number => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`expected a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
    }
    return value;
  };

const count = (raw: string): number => (raw.trim() === '0' ? 0 : positive(true)(raw));

function concurrencyList(raw: string): number[] {
  const values = raw.split(',').map((part) => positive(true)(part.trim()));
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Parses argv; a usage error prints the help and exits with code 2. */
export function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('serving')
    .description('LUAB serving benchmark: gRPC vs in-process, batching on vs off, and the target ratios')
    .option('--models <dir>', 'model repository', './models')
    .option('--model <name>', "model to drive (default: the repository's default model)")
    .addOption(new Option('--duration <s>', 'measured seconds per run').default(5).argParser(positive(false)))
    .addOption(new Option('--warmup <s>', 'warm-up seconds before each run').default(1).argParser(positive(false)))
    .addOption(
      new Option('--max-requests <n>', 'end a run early after this many answers')
        .default(200_000)
        .argParser(positive(true)),
    )
    .addOption(
      new Option('--concurrency <list>', 'closed-loop clients, comma-separated')
        .default([1, 8, 64], '1,8,64')
        .argParser(concurrencyList),
    )
    .addOption(
      new Option('--repeat <n>', 'repeat every run (medians are reported)').default(1).argParser(positive(true)),
    )
    .option('--images <dir>', 'JPEG files to send (default: generated photo-like 500x375 JPEGs)')
    .addOption(new Option('--image-count <n>', 'how many JPEGs to generate').default(32).argParser(positive(true)))
    .addOption(
      new Option(
        '--server-option <name=value>',
        'a `luab serve` option for both pipelines, e.g. intra-op-threads=1 (repeatable)',
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'none'),
    )
    .option('--server-cpu-prof <dir>', "write the server children's V8 CPU profiles (node --cpu-prof) into dir")
    .option('--json <file>', 'also write every run and the targets as JSON')
    .option('--plot <file>', 'also draw throughput and latency per concurrency (.png or .svg)')
    .option('--only <text>', 'run only the scenarios whose key contains text, e.g. grpc/tensor/c64 (profiling)')
    .addOption(
      new Option('--busy-retries <n>', 'measure a run again (up to n times) when other processes took >10% CPU')
        .default(2)
        .argParser(count),
    )
    .addOption(
      new Option('--quiet-wait <s>', 'before each run, wait up to s seconds for other processes to leave the CPU')
        .default(30)
        .argParser((raw: string) => (raw.trim() === '0' ? 0 : positive(false)(raw))),
    )
    .option('--ghz <path>', 'also drive the batching-on server with ghz (JPEG, highest concurrency) as a cross-check')
    .option('--strict', 'exit 1 when a target is missed', false)
    .showHelpAfterError()
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  const options = program.opts<BenchOptions>();
  // Checked now rather than after minutes of measuring.
  if (options.plot && !/\.(png|svg)$/i.test(options.plot)) {
    program.error(`--plot: "${options.plot}" must end in .png or .svg`);
  }
  return options;
}

/**
 * `--server-option name=value` pairs → server flags. The device defaults to cpu: `auto` would try CUDA first and
 * log a fallback, and a benchmark should say what it ran on rather than discover it.
 */
export function serverFlags(options: string[]): ServerFlags {
  const flags: ServerFlags = { device: 'cpu' };
  for (const option of options) {
    const match = /^([a-z-]+)=(.*)$/.exec(option);
    const spec = match && SERVER_OPTIONS.find((s) => flagName(s) === `--${match[1]}`);
    if (!match || !spec) {
      const known = SERVER_OPTIONS.map((s) => flagName(s).slice(2)).filter((n) => !RESERVED_SERVER_OPTIONS.has(n));
      throw new ConfigError(`--server-option: expected name=value, name one of ${known.join(', ')}; got "${option}"`);
    }
    if (RESERVED_SERVER_OPTIONS.has(match[1])) {
      throw new ConfigError(`--server-option: ${match[1]} is set by the benchmark (use --models / --model)`);
    }
    flags[spec.key] = match[2];
  }
  return flags;
}

/** The same flags as `luab serve` arguments. */
export function serveArgs(flags: ServerFlags): string[] {
  return SERVER_OPTIONS.flatMap((spec) => {
    const value = flags[spec.key];
    return value === undefined ? [] : [flagName(spec), value];
  });
}
