/**
 * The server's pipeline without gRPC, in the benchmark's own process: the same ModelRepository.load() builds the
 * same worker-thread onnxruntime sessions (OnnxWorkerPool) and dynamic batcher from the same ServerConfig, and the
 * same Predictor runs preprocessImage() (sharp), the batcher and the postprocessing. What the gRPC path adds on top
 * is exactly what the comparison is meant to price: protobuf encoding on both sides, HTTP/2 over loopback, the
 * client library, and a second process.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type ServerConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import type { ModelConfig } from '../../server/model-repository/model-config.js';
import type { LoadedVersion } from '../../server/model-repository/model-version.js';
import { ModelRepository } from '../../server/model-repository/repository.js';
import { Predictor } from '../../server/predictor.js';

export interface InProcessPipeline {
  predictor: Predictor;
  /** The model the benchmark drives (the one asked for, else the repository's default). */
  model: string;
  config: ModelConfig;
  /** Its loaded version: the worker pool, the batcher and the batching options, as the server resolves them. */
  loaded: LoadedVersion;
  close(): Promise<void>;
}

/** Where a benchmark can find a model while the repository's default one does not exist. */
const NO_MODEL_HINT =
  'the trained default model does not exist yet? Use --models test/fixtures/models/good --model centroid, or a ' +
  'stand-in of the default architecture: /usr/bin/python3 bench/make_standin_model.py --out /tmp/luab-bench-models ' +
  'and --models /tmp/luab-bench-models';

export async function startInProcessPipeline(
  config: ServerConfig,
  model: string | undefined,
): Promise<InProcessPipeline> {
  if (!existsSync(config.modelsDir)) {
    throw new ConfigError(
      `--models: model repository "${resolve(config.modelsDir)}" does not exist (${NO_MODEL_HINT})`,
    );
  }
  const repository = await ModelRepository.load(config, createLogger(config.logLevel).child({ module: 'bench' }));
  try {
    // resolve() throws NOT_FOUND / UNAVAILABLE errors whose message names the model and why it is not servable.
    const resolved = repository.resolve(model ?? '', 0);
    return {
      predictor: new Predictor(repository, config),
      model: resolved.entry.name,
      config: resolved.entry.config,
      loaded: resolved.loaded,
      close: () => repository.close(new Error('benchmark finished')),
    };
  } catch (error) {
    await repository.close(new Error('benchmark aborted'));
    throw new ConfigError(`--models ${config.modelsDir}: ${(error as Error).message}`);
  }
}
