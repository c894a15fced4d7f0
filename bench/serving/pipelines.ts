/**
 * The three pipelines under test, alive together for the whole benchmark so that the two sides of each ratio can
 * run back to back: the in-process pipeline, and two `luab serve` children (dynamic batching as configured, and
 * batching off), each driven by its own LuabClient. Idle, a pipeline costs no CPU (its threads wait), so the one
 * being measured has the machine to itself.
 */
import { resolve } from 'node:path';
import { LuabClient, toPredictRequest } from '../../client/luab-client.js';
import type { ServerConfig } from '../../server/config.js';
import type { Tensor } from '../../proto/generated/luab/v1/inference.js';
import type { BenchCall } from './closed-loop.js';
import { startInProcessPipeline, type InProcessPipeline } from './in-process-pipeline.js';
import type { BenchImage } from './jpeg-corpus.js';
import { serveArgs, type ServerFlags } from './options.js';
import type { PlannedRun } from './scenarios.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

export type ServedPipeline = 'grpc' | 'grpc-unbatched';

export interface Pipelines {
  local: InProcessPipeline;
  servers: Record<ServedPipeline, ServerProcess>;
  clients: Record<ServedPipeline, LuabClient>;
  /** Stops the server children (their CPU profiles are written as they exit); close() is still needed. */
  stopServers(): Promise<void>;
  /** Closes everything still open, each part even if another fails. */
  close(): Promise<void>;
}

export interface BenchInputs {
  images: BenchImage[];
  /** Each image preprocessed by the server's own code: what a client that preprocesses would send. */
  tensors: Tensor[];
}

/** A call that hangs this long fails the run (the closed loop's stall watchdog uses the same bound). */
export const CALL_TIMEOUT_MS = 30_000;

export interface PipelineOptions {
  config: ServerConfig;
  flags: ServerFlags;
  model?: string;
  cpuProfileDir?: string;
}

export async function startPipelines(options: PipelineOptions): Promise<Pipelines> {
  const local = await startInProcessPipeline(options.config, options.model);
  const closers: (() => Promise<void>)[] = [];
  const servers: Partial<Record<ServedPipeline, ServerProcess>> = {};
  const clients: Partial<Record<ServedPipeline, LuabClient>> = {};
  const stopServers = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: Error) => console.error(`bench: while stopping a server: ${error.message}`));
    }
  };
  const close = async () => {
    await stopServers();
    await local.close();
  };
  try {
    const profiling = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.cpuProfileDir)] : [];
    const args = ['--models', resolve(options.config.modelsDir), '--log-level', 'info', ...serveArgs(options.flags)];
    const variants: [ServedPipeline, string[]][] = [
      ['grpc', []],
      ['grpc-unbatched', ['--max-batch-size', '1']],
    ];
    for (const [label, extra] of variants) {
      const server = await startServerProcess({ label, args: [...args, ...extra], nodeOptions: profiling });
      closers.push(() => server.stop());
      const client = new LuabClient(server.address);
      closers.push(async () => client.close());
      await client.waitForReady(10_000);
      servers[label] = server;
      clients[label] = client;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    local,
    servers: servers as Pipelines['servers'],
    clients: clients as Pipelines['clients'],
    stopServers,
    close,
  };
}

/** The request a run sends for input i, on its pipeline. */
export function callFor(run: PlannedRun, p: Pipelines, inputs: BenchInputs): BenchCall {
  const model = p.local.model;
  const { images, tensors } = inputs;
  if (run.pipeline === 'in-process') {
    if (run.input !== 'jpeg') throw new Error('the in-process pipeline is measured on JPEG inputs only');
    return (i, signal) =>
      p.local.predictor.predict(toPredictRequest({ image: images[i].bytes, model }), { deadline: Infinity, signal });
  }
  // No AbortSignal for gRPC calls: LuabClient adds an abort listener per call and never removes it, so a signal
  // shared by a whole run would collect one per request. The deadline bounds a stuck call instead.
  const client = p.clients[run.pipeline];
  const options = { timeoutMs: CALL_TIMEOUT_MS };
  return run.input === 'jpeg'
    ? (i) => client.predict({ image: images[i].bytes, model }, options)
    : (i) => client.predict({ tensor: tensors[i], model }, options);
}
