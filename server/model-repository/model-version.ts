/**
 * One loaded model version: its worker pool, its batcher and its config. Loading checks the ONNX model against
 * config.json and runs a warm-up batch (the largest batch the batcher will send) so the first request is not slow.
 * A model with a fixed batch dimension is warmed up and always run at exactly that size (the batcher pads).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DynamicBatcher, type BatchingOptions } from '../batching/dynamic-batcher.js';
import type { ServerConfig } from '../config.js';
import { effectiveIntraOpThreads } from '../config.js';
import type { WorkerDevice } from '../runtime/execution-provider.js';
import type { ModelRuntime } from '../runtime/model-runtime.js';
import { OnnxWorkerPool } from '../runtime/onnx-worker-pool.js';
import { preprocessImage, type PreprocessSpec } from '../preprocess/image-preprocessor.js';
import sharp from 'sharp';
import type { ModelConfig } from './model-config.js';
import { checkModelIo, checkOutputShapes, fixedBatchSize } from './model-io-check.js';

/**
 * Counts the requests that resolved a version and are not answered yet, so a version retired by a reload is
 * released only after the last of them (a request may resolve a version, then decode for a while, then queue).
 */
export class VersionLeases {
  private active = 0;
  private waiters: (() => void)[] = [];

  acquire(): () => void {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      if (this.active === 0) for (const wake of this.waiters.splice(0)) wake();
    };
  }

  /** Resolves when no request holds the version. */
  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface LoadedVersion {
  version: number;
  /** Requests in flight on this version (see {@link VersionLeases}). */
  leases: VersionLeases;
  runtime: ModelRuntime;
  batcher: DynamicBatcher;
  batching: BatchingOptions;
  preprocess: PreprocessSpec;
}

export const DEFAULT_BATCHING: BatchingOptions = { maxBatchSize: 32, maxQueueDelayMs: 2, maxQueueSize: 1024 };

/** Batching options: flag/env (already in `server`) > the model's config.json > defaults. */
export function batchingOptions(server: ServerConfig, model: ModelConfig): BatchingOptions {
  return {
    maxBatchSize: server.maxBatchSize ?? model.serving?.max_batch_size ?? DEFAULT_BATCHING.maxBatchSize,
    maxQueueDelayMs: server.maxQueueDelayMs ?? model.serving?.max_queue_delay_ms ?? DEFAULT_BATCHING.maxQueueDelayMs,
    maxQueueSize: server.maxQueueSize ?? model.serving?.max_queue_size ?? DEFAULT_BATCHING.maxQueueSize,
  };
}

export function preprocessSpec(config: ModelConfig): PreprocessSpec {
  return {
    inputWidth: config.input.width,
    inputHeight: config.input.height,
    mean: config.preprocess.mean,
    std: config.preprocess.std,
    cropPct: config.preprocess.crop_pct,
    cropMode: config.preprocess.crop_mode ?? 'center',
    interpolation: config.preprocess.interpolation ?? 'bilinear',
  };
}

let warmUpJpeg: Promise<Buffer> | undefined;
const warmUpImage = () =>
  (warmUpJpeg ??= sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer());

export async function loadVersion(
  name: string,
  modelDir: string,
  version: number,
  config: ModelConfig,
  server: ServerConfig,
  device: WorkerDevice,
  log: Logger,
  /** Called if the version's runtime fails for good after loading (its workers died and could not be replaced). */
  onFailure?: (reason: string) => void,
): Promise<LoadedVersion & { cudaFallbackReason?: string }> {
  const modelFile = join(modelDir, String(version), 'model.onnx');
  const workers = server.workers ?? config.serving?.workers ?? 1;
  const runtime = await OnnxWorkerPool.create({
    modelPath: modelFile,
    workers,
    intraOpThreads: effectiveIntraOpThreads(server, workers),
    device,
    log,
    label: `model "${name}" version ${version}`,
    onFailure,
  });
  try {
    checkModelIo(config, runtime.inputs, runtime.outputs, modelFile);
    const batching = batchingOptions(server, config);
    const fixedBatch = fixedBatchSize(config, runtime.inputs);
    if (fixedBatch !== undefined) {
      if (fixedBatch !== batching.maxBatchSize) {
        log.warn({ version, fixedBatch }, 'the model has a fixed batch size; batching follows it');
      }
      batching.maxBatchSize = fixedBatch;
      batching.fixedBatchSize = fixedBatch;
    }
    const { height, width } = config.input;
    const itemDims = [3, height, width];
    const itemSize = 3 * height * width;
    const warmUpSizes = fixedBatch !== undefined ? [fixedBatch] : [1, batching.maxBatchSize];
    for (const batch of new Set(warmUpSizes)) {
      const result = await runtime.run(config.input.name, new Float32Array(batch * itemSize), [batch, ...itemDims]);
      checkOutputShapes(config, result.outputs, batch, modelFile);
    }
    // libvips initialises its codecs and resize kernels lazily: one small decode here keeps that off the first request.
    const preprocess = preprocessSpec(config);
    await preprocessImage(await warmUpImage(), preprocess, server.maxImagePixels);
    const label = `model "${name}" version ${version}`;
    const batcher = new DynamicBatcher(runtime, config.input.name, itemDims, batching, label);
    return {
      version,
      leases: new VersionLeases(),
      runtime,
      batcher,
      batching,
      preprocess,
      cudaFallbackReason: runtime.cudaFallbackReason,
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
