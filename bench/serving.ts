/**
 * The serving benchmark (docs/benchmarks.md): throughput and latency of the default model over gRPC with JPEG
 * inputs at concurrency 1, 8 and 64, the same images through the same pipeline in-process without gRPC, and
 * tensor inputs with dynamic batching on and off; then the three target ratios, PASS or FAIL.
 *
 *   node dist/bench/serving.js [--models DIR] [--model NAME] [--duration S] [--images DIR] [--json out.json]
 *
 * Progress goes to stderr, the report to stdout. Exit 0 after a complete run (1 with --strict when a target is
 * missed), 1 when the benchmark itself fails (a request error, a server that does not start), 2 on bad usage.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import {
  ConfigError,
  effectiveIntraOpThreads,
  effectivePreprocessConcurrency,
  resolveServerConfig,
} from '../server/config.js';
import { checkAnswers } from './serving/answer-check.js';
import { writeChart } from './serving/chart.js';
import { formatGhz, runGhz } from './serving/ghz.js';
import { formatComponentCosts, measureComponentCosts } from './serving/component-costs.js';
import { canReadProcessCpu } from './serving/cpu-time.js';
import { CORPUS_HEIGHT, CORPUS_WIDTH, loadJpegFolder, makeBenchCorpus } from './serving/jpeg-corpus.js';
import { parseOptions, serverFlags } from './serving/options.js';
import { startPipelines, type BenchInputs } from './serving/pipelines.js';
import {
  formatContext,
  formatLegend,
  formatNoiseWarning,
  formatTable,
  formatTargets,
  type BenchContext,
} from './serving/report.js';
import { aggregate } from './serving/results.js';
import { runPlan, waitForQuiet } from './serving/runner.js';
import { buildPlan, scenarioKey } from './serving/scenarios.js';
import { evaluateTargets } from './serving/targets.js';
import { tensorInputs } from './serving/tensor-inputs.js';

/** Seconds spent timing each stage alone (three stages). */
const COMPONENT_SECONDS = 2;

async function main(): Promise<number> {
  const options = parseOptions(process.argv);
  const flags = serverFlags(options.serverOption);
  // The in-process pipeline gets exactly what the server children get: these flags, the same environment.
  const config = resolveServerConfig({ ...flags, modelsDir: options.models }, process.env, {
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
  });
  const plan = buildPlan(options.concurrency, options.repeat).filter((r) =>
    scenarioKey(r).includes(options.only ?? ''),
  );
  if (plan.length === 0) throw new ConfigError(`--only: no scenario key contains "${options.only}"`);
  if (!canReadProcessCpu()) {
    console.error(`bench: /proc is not readable on ${process.platform}: server and other-process CPU show as n/a`);
  }
  const loadBefore = loadavg()[0];

  const images = options.images ? await loadJpegFolder(options.images) : await makeBenchCorpus(options.imageCount);
  const pipelines = await startPipelines({ config, flags, model: options.model, cpuProfileDir: options.serverCpuProf });
  try {
    const local = pipelines.local;
    const inputs: BenchInputs = { images, tensors: await tensorInputs(images, local.config, config) };
    await checkAnswers(pipelines, inputs);
    if (options.quietWait > 0 && canReadProcessCpu()) await waitForQuiet(pipelines, options.quietWait);
    const costs = await measureComponentCosts(local, images, config.maxImagePixels, COMPONENT_SECONDS);
    const records = await runPlan(plan, pipelines, inputs, options);
    const concurrency = Math.max(...options.concurrency);
    if (options.ghz && options.quietWait > 0 && canReadProcessCpu()) await waitForQuiet(pipelines, options.quietWait);
    const ghz = options.ghz
      ? await runGhz(options.ghz, pipelines.servers.grpc, images, local.model, {
          concurrency,
          warmupS: options.warmup,
          durationS: options.duration,
        })
      : undefined;
    await pipelines.stopServers();

    const aggregates = [...aggregate(records).values()];
    const outcomes = evaluateTargets(records);
    const meanKiB = images.reduce((sum, i) => sum + i.bytes.length, 0) / images.length / 1024;
    const context: BenchContext = {
      date: new Date().toISOString(),
      cpuModel: cpus()[0]?.model ?? 'unknown CPU',
      cores: availableParallelism(),
      memoryGiB: totalmem() / 2 ** 30,
      node: process.version,
      loadBefore,
      loadAfter: loadavg()[0],
      model: local.model,
      modelInput: `${local.config.input.width}x${local.config.input.height}`,
      device: local.loaded.runtime.device,
      workers: local.loaded.runtime.concurrency,
      intraOpThreads: effectiveIntraOpThreads(config, local.loaded.runtime.concurrency),
      maxBatchSize: local.loaded.batching.maxBatchSize,
      maxQueueDelayMs: local.loaded.batching.maxQueueDelayMs,
      preprocessConcurrency: effectivePreprocessConcurrency(config),
      images:
        (options.images
          ? `${images.length} JPEGs from ${options.images}`
          : `${images.length} generated ${CORPUS_WIDTH}x${CORPUS_HEIGHT} JPEGs`) + `, mean ${meanKiB.toFixed(0)} KiB`,
      serverOptions: options.serverOption,
      warmupS: options.warmup,
      durationS: options.duration,
      repeats: options.repeat,
    };
    const warning = formatNoiseWarning(aggregates);
    const sections = [
      formatContext(context),
      formatTable(aggregates),
      formatLegend(),
      formatComponentCosts(costs),
      formatTargets(outcomes),
    ];
    if (ghz) {
      const find = (pipeline: string) =>
        aggregates.find((a) => a.pipeline === pipeline && a.input === 'jpeg' && a.concurrency === concurrency);
      const same = find('grpc');
      sections.push(
        formatGhz(
          ghz,
          same && { throughput: same.throughput, clientCpuMsPerRequest: same.benchCpuMsPerRequest },
          find('in-process')?.throughput,
        ),
      );
    }
    console.log([...sections, ...(warning ? [warning] : [])].join('\n\n'));

    if (options.json) {
      const json = { context, options, componentCosts: costs, runs: records, aggregates, targets: outcomes, ghz };
      await writeFile(options.json, JSON.stringify(json, null, 2) + '\n');
      console.error(`bench: wrote ${options.json}`);
    }
    if (options.plot) {
      const title = `${context.model} (${context.modelInput}), ${context.cores} cores, ${context.date.slice(0, 10)}`;
      await writeChart(options.plot, aggregates, title);
      console.error(`bench: wrote ${options.plot}`);
    }
    if (options.serverCpuProf) console.error(`bench: server CPU profiles in ${resolve(options.serverCpuProf)}`);
    return options.strict && outcomes.some((t) => t.pass !== true) ? 1 : 0;
  } finally {
    await pipelines.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`bench: ${error instanceof ConfigError ? error.message : (error.stack ?? error.message)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
