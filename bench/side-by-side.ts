/**
 * The side-by-side benchmark (docs/benchmarks.md, issue #11): the same two ONNX models (a small CNN at 96 px,
 * ResNet-18 at 224 px) behind this server (`luab serve`, defaults), a minimal grpcio + onnxruntime server,
 * KServe's Python model server and TorchServe (bench/peers/), each driven by ghz at concurrency 1, 8 and 64 with
 * one photo-like 500x375 JPEG per request, plus the server's own pipeline in-process as the limit. Systems are
 * rotated over the repeats and each is started once per model per repeat. Reports images/s, p50/p99 (ghz's),
 * server CPU ms per image (/proc, the whole process tree), the ratios of this server to each other system within
 * one repeat and issue #11's targets, PASS or FAIL; writes results.json and a chart.
 *
 *   bench/peers/setup.sh && npm run build && node dist/bench/side-by-side.js [--quick]
 *
 * Progress goes to stderr, the report (Markdown) to stdout. Exit 0 after a complete run (targets missed or not),
 * 1 when the benchmark itself fails (a system that does not start, a failed call), 2 on bad usage.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError, Option } from 'commander';
import { packageRoot } from '../server/util/package-root.js';
import { machineBusyMs, ownCpuMs, reapedChildrenCpuMs } from './serving/cpu-time.js';
import { CORPUS_HEIGHT, CORPUS_WIDTH, makeBenchJpeg } from './serving/jpeg-corpus.js';
import { runGhz } from './side-by-side/ghz-report.js';
import { runLimit, startLimit } from './side-by-side/in-process-run.js';
import { processTreeCpuMs } from './side-by-side/process-tree-cpu.js';
import { killAllLaunched } from './side-by-side/server-launch.js';
import {
  evaluateTargets,
  formatTargets,
  markdownTable,
  MODELS,
  ratioTable,
  rotated,
  summarise,
  SYSTEM_LABELS,
  SYSTEMS,
  type Cell,
  type SystemName,
} from './side-by-side/results.js';
import {
  requestBody,
  startSystem,
  templateSafe,
  TORCHSERVE_WORKERS,
  type BenchModel,
  type BenchPaths,
  type ServedSystem,
} from './side-by-side/systems.js';

const execFileAsync = promisify(execFile);
const ROOT = packageRoot();

interface Options {
  quick: boolean;
  repeats?: number;
  duration?: number;
  warmup?: number;
  concurrency: number[];
  systems: SystemName[];
  models: string;
  out: string;
  chart?: string;
  venvs: string;
  ghz?: string;
}

class UsageError extends Error {}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

function positiveIntegers(value: string): number[] {
  return value.split(',').map((part) => {
    const n = Number(part);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected positive integers, got "${part}"`);
    return n;
  });
}

function systemList(value: string): SystemName[] {
  return value.split(',').map((part) => {
    if (!(SYSTEMS as readonly string[]).includes(part)) {
      throw new InvalidArgumentError(`unknown system "${part}" (known: ${SYSTEMS.join(', ')})`);
    }
    return part as SystemName;
  });
}

function parseOptions(argv: string[]): Options {
  const out = join(ROOT, 'out', 'side-by-side');
  return new Command('side-by-side')
    .description('This server against grpcio, KServe, TorchServe and the in-process limit, driven by ghz')
    .option('--quick', 'one repeat of short cells, to try the set-up (about 5 minutes)', false)
    .option('--repeats <n>', 'rounds over all systems, in rotated order (default 3; 1 with --quick)', positiveNumber)
    .option('--duration <s>', 'measured seconds per cell (default 4; 1.5 with --quick)', positiveNumber)
    .option('--warmup <s>', 'warm-up seconds before each cell (default 1; 0.5 with --quick)', positiveNumber)
    .addOption(
      new Option('--concurrency <list>', 'calls in flight').default([1, 8, 64], '1,8,64').argParser(positiveIntegers),
    )
    .addOption(
      new Option('--systems <list>', 'systems to run').default([...SYSTEMS], SYSTEMS.join(',')).argParser(systemList),
    )
    .option(
      '--models <dir>',
      'the two models (written there by bench/make_standin_model.py when missing)',
      join(out, 'models'),
    )
    .option('--out <dir>', 'results.json, logs and scratch files', out)
    .option('--chart <png>', 'where the chart goes (default: <out>/side-by-side.png)')
    .option('--venvs <dir>', "bench/peers/setup.sh's venvs", join(ROOT, '.venv'))
    .option('--ghz <path>', 'the ghz binary (default: <venvs>/bench-go/bin/ghz)')
    .exitOverride((error) => {
      throw error.exitCode === 0 ? error : new UsageError(error.message);
    })
    .parse(argv)
    .opts<Options>();
}

/** The models, generated on first use, and a one-model repository per model for `luab serve --models`. */
async function prepareModels(dir: string, work: string): Promise<BenchModel[]> {
  if (!MODELS.every((m) => existsSync(join(dir, m.name, 'config.json')))) {
    console.error(`bench: writing the two models into ${dir} (bench/make_standin_model.py --side-by-side)`);
    await execFileAsync('/usr/bin/python3', [
      join(ROOT, 'bench', 'make_standin_model.py'),
      '--side-by-side',
      '--out',
      dir,
    ]);
  }
  return Promise.all(
    MODELS.map(async (m) => {
      // One model per repository: every system serves exactly one model, so none divides its threads by two.
      const repository = join(work, 'repositories', m.name);
      await cp(join(dir, m.name), join(repository, m.name), { recursive: true, force: true });
      return { name: m.name, dir: resolve(dir, m.name), repository };
    }),
  );
}

/** The first benchmark JPEG whose request bodies ghz's templating accepts for every system and model. */
async function pickImage(): Promise<{ index: number; bytes: Buffer }> {
  const served = SYSTEMS.filter((s): s is ServedSystem => s !== 'in-process');
  for (let index = 0; index < 500; index++) {
    const bytes = await makeBenchJpeg(index);
    if (served.every((s) => MODELS.every((m) => templateSafe(requestBody(s, bytes, m.name))))) return { index, bytes };
  }
  throw new Error('no benchmark JPEG among the first 500 is free of "{{" and "}}" (ghz templates its call data)');
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv);
  const repeats = o.repeats ?? (o.quick ? 1 : 3);
  const durationS = o.duration ?? (o.quick ? 1.5 : 4);
  const warmupS = o.warmup ?? (o.quick ? 0.5 : 1);
  const work = resolve(o.out);
  const paths: BenchPaths = {
    root: ROOT,
    venvs: resolve(o.venvs),
    ghz: resolve(o.ghz ?? join(o.venvs, 'bench-go', 'bin', 'ghz')),
    work,
  };
  if (!existsSync(paths.ghz)) throw new UsageError(`--ghz: ${paths.ghz} not found: run bench/peers/setup.sh first`);
  await mkdir(work, { recursive: true });
  const models = await prepareModels(resolve(o.models), work);
  const image = await pickImage();
  const cellCount = repeats * models.length * o.systems.length * o.concurrency.length;
  console.error(
    `bench: ${cellCount} cells of ${warmupS} + ${durationS} s (about ${Math.ceil((cellCount * (warmupS + durationS + 1.5) + repeats * models.length * 40) / 60)} min), ` +
      `JPEG ${CORPUS_WIDTH}x${CORPUS_HEIGHT} #${image.index} (${(image.bytes.length / 1024).toFixed(0)} KiB)`,
  );
  const loadBefore = loadavg();
  const started = new Date();
  const cells: Cell[] = [];
  const jsonFile = join(work, 'results.json');
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const model of models) {
      for (const system of rotated(o.systems, repeat)) {
        for (const cell of await measureSystem(system, model, image.bytes, paths, {
          repeat,
          warmupS,
          durationS,
          concurrency: o.concurrency,
        })) {
          cells.push(cell);
          console.error(
            `bench: repeat ${repeat + 1}/${repeats} ${model.name} ${system} c=${cell.concurrency}: ` +
              `${cell.throughput.toFixed(1)} img/s, p50 ${cell.p50Ms.toFixed(1)} ms, p99 ${cell.p99Ms.toFixed(1)} ms, ` +
              `server ${cell.serverCpuMsPerImage.toFixed(2)} CPU ms/img, others ${Math.round(cell.otherCpuShare * 100)}%`,
          );
        }
        // Kept as it goes: a run that fails later still leaves what it measured.
        await writeFile(jsonFile, JSON.stringify({ partial: true, cells }, null, 2) + '\n');
      }
    }
  }
  const loadAfter = loadavg();
  const summaries = summarise(cells);
  const targets = evaluateTargets(cells);
  const context = {
    date: started.toISOString(),
    finished: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    command: `node ${relative(ROOT, process.argv[1])} ${process.argv.slice(2).join(' ')}`.trim(),
    image: {
      generator: 'bench/serving/jpeg-corpus.ts',
      index: image.index,
      width: CORPUS_WIDTH,
      height: CORPUS_HEIGHT,
      bytes: image.bytes.length,
    },
    repeats,
    warmupS,
    durationS,
    concurrency: o.concurrency,
    systems: o.systems,
    settings: {
      luab: 'luab serve --models <one-model repository> with every other option at its default',
      grpcio: 'bench/peers/grpcio_server.py: 2 request threads, 1 ORT intra-op thread, no batching',
      kserve:
        'bench/peers/kserve_model.py: KServe ModelServer defaults, sync preprocess/predict, 2 ORT intra-op threads',
      torchserve: `bench/peers/torchserve_handler.py: ${TORCHSERVE_WORKERS} workers, 1 ORT intra-op thread each, no batching`,
      'in-process': "the server's ModelRepository + Predictor in the benchmark's process, server defaults",
    },
  };
  const report = [
    `Side-by-side, ${context.date.slice(0, 16).replace('T', ' ')} UTC, ${context.machine}; ${repeats} repeat(s) of ` +
      `${warmupS} s warm-up + ${durationS} s per cell; load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after`,
    `\`${context.command}\``,
    'Cells: images/s · p50/p99 ms · server CPU ms per image (medians over the repeats).',
    markdownTable(summaries, o.systems),
    ratioTable(cells, o.systems),
    `Targets (issue #11; ratios paired within a repeat, then the median):\n${formatTargets(targets)}`,
  ].join('\n\n');
  console.log(report);
  await writeFile(
    jsonFile,
    JSON.stringify({ context, labels: SYSTEM_LABELS, cells, summaries, targets }, null, 2) + '\n',
  );
  console.error(`bench: wrote ${jsonFile}`);
  const chart = resolve(o.chart ?? join(work, 'side-by-side.png'));
  await execFileAsync('/usr/bin/python3', [join(ROOT, 'bench', 'side-by-side', 'chart.py'), jsonFile, chart]);
  console.error(`bench: wrote ${chart}`);
  return 0;
}

/** One system on one model: started once, every concurrency measured (warm-up, then the window), stopped. */
async function measureSystem(
  system: SystemName,
  model: BenchModel,
  image: Buffer,
  paths: BenchPaths,
  plan: { repeat: number; warmupS: number; durationS: number; concurrency: number[] },
): Promise<Cell[]> {
  const cells: Cell[] = [];
  const timeoutS = 120; // per call: ResNet-18 at c=64 on the slowest system answers in a few seconds
  if (system === 'in-process') {
    const pipeline = await startLimit(model.repository, model.name);
    try {
      for (const concurrency of plan.concurrency) {
        const machineBefore = machineBusyMs();
        const at = performance.now();
        const r = await runLimit(pipeline, image, { concurrency, warmupS: plan.warmupS, durationS: plan.durationS });
        const machineMs = ((machineBusyMs() - machineBefore) * r.seconds * 1000) / (performance.now() - at);
        cells.push(cell(plan.repeat, model, system, concurrency, r, r.cpuMs, 0, machineMs - r.cpuMs));
      }
    } finally {
      await pipeline.close();
    }
    return cells;
  }
  const { server, target } = await startSystem(system, model, image, paths);
  try {
    for (const concurrency of plan.concurrency) {
      await runGhz(paths.ghz, target, { concurrency, seconds: plan.warmupS, timeoutS });
      const before = {
        server: processTreeCpuMs(server.pid),
        ghz: reapedChildrenCpuMs(),
        own: ownCpuMs(),
        machine: machineBusyMs(),
      };
      const r = await runGhz(paths.ghz, target, { concurrency, seconds: plan.durationS, timeoutS });
      const serverMs = processTreeCpuMs(server.pid) - before.server;
      const ghzMs = reapedChildrenCpuMs() - before.ghz;
      const others = machineBusyMs() - before.machine - serverMs - ghzMs - (ownCpuMs() - before.own);
      cells.push(cell(plan.repeat, model, system, concurrency, r, serverMs, ghzMs, others));
      const gone = server.exited();
      if (gone) throw new Error(gone);
    }
  } finally {
    await server.stop();
  }
  return cells;
}

function cell(
  repeat: number,
  model: BenchModel,
  system: SystemName,
  concurrency: number,
  r: { requests: number; seconds: number; throughput: number; p50Ms: number; p99Ms: number },
  serverMs: number,
  clientMs: number,
  othersMs: number,
): Cell {
  return {
    repeat,
    model: model.name,
    system,
    concurrency,
    ...r,
    serverCpuMsPerImage: serverMs / r.requests,
    clientCpuMsPerImage: clientMs / r.requests,
    otherCpuShare: Math.max(0, othersMs) / (r.seconds * 1000 * availableParallelism()),
  };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}: stopping the servers started`);
    killAllLaunched();
    process.exit(1);
  });
}

main().then(
  (code) => process.exit(code),
  (error: Error & { code?: string }) => {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(0);
    console.error(`bench: ${error instanceof UsageError ? error.message : (error.stack ?? error.message)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
