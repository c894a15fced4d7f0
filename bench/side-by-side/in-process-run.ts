/**
 * The limit of the side-by-side benchmark: the server's own pipeline (sharp preprocessing, the dynamic batcher,
 * the onnxruntime-node worker threads, postprocessing; bench/serving/in-process-pipeline.ts) called in this
 * process, without gRPC, by a closed loop at the same concurrency ghz uses for the served systems. Its CPU is this
 * whole process's during the measured window (the loop's own share is small next to decoding and inference).
 */
import { toPredictRequest } from '../../client/luab-client.js';
import { resolveServerConfig } from '../../server/config.js';
import { runClosedLoop } from '../serving/closed-loop.js';
import { ownCpuMs } from '../serving/cpu-time.js';
import { startInProcessPipeline, type InProcessPipeline } from '../serving/in-process-pipeline.js';
import { percentile } from '../serving/latency-stats.js';
import type { GhzSummary } from './ghz-report.js';

/** The pipeline as `luab serve --models DIR` would build it: the same defaults, the same environment. */
export function startLimit(repository: string, model: string): Promise<InProcessPipeline> {
  const config = resolveServerConfig({ modelsDir: repository }, process.env, {
    host: '127.0.0.1',
    port: 0,
    logLevel: 'error',
  });
  return startInProcessPipeline(config, model);
}

export async function runLimit(
  pipeline: InProcessPipeline,
  image: Buffer,
  options: { concurrency: number; warmupS: number; durationS: number },
): Promise<GhzSummary & { cpuMs: number }> {
  const request = toPredictRequest({ image, model: pipeline.model });
  // The CPU window is the answer-counting window itself, [warm-up end, warm-up end + duration], read by timers:
  // the loop's own end-of-window callback fires at the first answer after the window, which at c=64 on ResNet-18
  // can be a whole batch later and would charge that batch's CPU to the answers counted.
  const cpu = { start: 0, end: 0 };
  const timers = [
    setTimeout(() => (cpu.start = ownCpuMs()), options.warmupS * 1000),
    setTimeout(() => (cpu.end = ownCpuMs()), (options.warmupS + options.durationS) * 1000),
  ];
  const { samples, seconds } = await runClosedLoop(
    (_, signal) => pipeline.predictor.predict(request, { deadline: Infinity, signal }),
    1,
    { ...options, maxRequests: Number.POSITIVE_INFINITY, stallTimeoutMs: 60_000 },
  ).finally(() => timers.forEach(clearTimeout));
  const cpuMs = cpu.end - cpu.start;
  if (samples.length === 0) throw new Error(`in-process, c=${options.concurrency}: no answer in the measured window`);
  const latencies = Float64Array.from(samples, (s) => s.latencyMs).sort();
  return {
    requests: samples.length,
    seconds,
    throughput: samples.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMs,
  };
}
