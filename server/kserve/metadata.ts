/**
 * The descriptive KServe v2 answers, built from the model repository: server metadata, model metadata, Triton's
 * ModelConfig (the subset LUAB fills: inputs, outputs, batching, instances, version policy) and the repository
 * index. Both front ends send these (HTTP as JSON through the same messages).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { notFound, unavailable } from '../errors.js';
import type { ModelEntry, ModelRepository } from '../model-repository/repository.js';
import { packageRoot } from '../util/package-root.js';
import { v2Inputs, v2Outputs, type TensorSpec } from './model-view.js';
import { parseVersion } from './v2-inference.js';
import type {
  ModelMetadataResponse,
  RepositoryIndexResponse_ModelIndex,
  ServerMetadataResponse,
} from '../../proto/generated/inference/grpc_service.js';
import {
  DataType,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  type ModelConfig,
} from '../../proto/generated/inference/model_config.js';

/** Protocol extensions LUAB implements (names as Triton reports them). */
export const EXTENSIONS = [
  'classification',
  'model_repository',
  'model_configuration',
  'binary_tensor_data',
  'parameters',
  'statistics',
];

let serverVersion: string | undefined;

export function serverMetadata(): ServerMetadataResponse {
  serverVersion ??= JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
  return { name: 'luab', version: serverVersion, extensions: EXTENSIONS };
}

/** The named model, or NOT_FOUND naming `field`; a version, when given, must exist. */
export function findModel(repository: ModelRepository, name: string, version: string, field = 'name'): ModelEntry {
  const entry = repository.entry(name, field);
  const number = parseVersion(version, 'version');
  if (number !== 0 && !entry.versions.some((v) => v.version === number)) {
    const known = entry.versions.map((v) => v.version).join(', ') || 'none';
    throw notFound('version', `model "${entry.name}" has no version ${number} (versions: ${known})`);
  }
  return entry;
}

/** Whether a model (version) can serve now; an unknown model is simply not ready. */
export function modelReady(repository: ModelRepository, name: string, version: string): boolean {
  try {
    repository.resolve(name, parseVersion(version, 'version'));
    return true;
  } catch {
    return false;
  }
}

const readyVersions = (entry: ModelEntry) =>
  entry.versions.filter((v) => v.state === 'ready').map((v) => String(v.version));

function configOf(entry: ModelEntry) {
  if (!entry.config) throw unavailable(`name: model "${entry.name}" failed to load: ${entry.error}`);
  return entry.config;
}

const tensorMetadata = (s: TensorSpec) => ({ name: s.name, datatype: s.datatype, shape: s.shape });

export function modelMetadata(entry: ModelEntry): ModelMetadataResponse {
  const config = configOf(entry);
  return {
    name: entry.name,
    versions: readyVersions(entry),
    platform: 'onnxruntime_onnx',
    inputs: v2Inputs(config).map(tensorMetadata),
    outputs: v2Outputs(config).map(tensorMetadata),
  };
}

const DATA_TYPES = { FP32: DataType.TYPE_FP32, UINT8: DataType.TYPE_UINT8, BYTES: DataType.TYPE_STRING };

export function modelConfig(entry: ModelEntry, version: string): ModelConfig {
  const config = configOf(entry);
  const number = parseVersion(version, 'version');
  const state =
    number === 0
      ? [...entry.versions].reverse().find((v) => v.state === 'ready')
      : entry.versions.find((v) => v.version === number);
  const loaded = state?.state === 'ready' ? state.loaded : undefined;
  const device = loaded?.runtime.device ?? 'cpu';
  const gpu = /^cuda:(\d+)$/.exec(device);
  const formats = { tensor: ModelInput_Format.FORMAT_NCHW, pixels: ModelInput_Format.FORMAT_NHWC, encoded: 0 };
  return {
    name: entry.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    // LUAB serves every version in the folder.
    versionPolicy: { policyChoice: { $case: 'all', value: {} } },
    maxBatchSize: loaded?.batching.maxBatchSize ?? 0,
    input: v2Inputs(config).map((s) => ({
      name: s.name,
      dataType: DATA_TYPES[s.datatype],
      format: formats[s.kind],
      dims: s.shape.slice(1).length > 0 ? s.shape.slice(1) : [1],
      optional: true,
    })),
    output: v2Outputs(config).map((s) => ({
      name: s.name,
      dataType: DATA_TYPES[s.datatype],
      dims: s.shape.slice(1),
      labelFilename: '',
    })),
    instanceGroup: [
      {
        name: entry.name,
        count: loaded?.runtime.concurrency ?? 0,
        gpus: gpu ? [Number(gpu[1])] : [],
        kind: gpu ? ModelInstanceGroup_Kind.KIND_GPU : ModelInstanceGroup_Kind.KIND_CPU,
      },
    ],
    defaultModelFilename: 'model.onnx',
    schedulingChoice: loaded
      ? {
          $case: 'dynamicBatching',
          value: {
            preferredBatchSize: [],
            maxQueueDelayMicroseconds: Math.round(loaded.batching.maxQueueDelayMs * 1000),
            preserveOrdering: false,
            defaultQueuePolicy: {
              timeoutAction: 0,
              defaultTimeoutMicroseconds: 0,
              allowTimeoutOverride: false,
              maxQueueSize: loaded.batching.maxQueueSize,
            },
          },
        }
      : undefined,
    parameters: {
      task: { stringValue: config.task },
      labels: { stringValue: JSON.stringify(config.labels.map((l) => l.name)) },
      device: { stringValue: device },
    },
  };
}

export function repositoryIndex(repository: ModelRepository, readyOnly: boolean): RepositoryIndexResponse_ModelIndex[] {
  const rows: RepositoryIndexResponse_ModelIndex[] = [];
  for (const entry of repository.list()) {
    if (entry.versions.length === 0) {
      if (!readyOnly) rows.push({ name: entry.name, version: '', state: 'UNAVAILABLE', reason: entry.error ?? '' });
      continue;
    }
    for (const v of entry.versions) {
      if (v.state === 'ready') rows.push({ name: entry.name, version: String(v.version), state: 'READY', reason: '' });
      else if (!readyOnly) {
        rows.push({ name: entry.name, version: String(v.version), state: 'UNAVAILABLE', reason: v.error });
      }
    }
  }
  return rows;
}
