/**
 * Reads and validates a model's config.json against the contract's JSON Schema (docs/model-config.schema.json,
 * the same file the trainer's tests validate against).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageRoot } from '../util/package-root.js';
import type { CropMode } from '../preprocess/geometry.js';

export type Task = 'single-label' | 'multi-label';
export type Interpolation = 'bilinear' | 'bicubic' | 'nearest';

export interface ModelConfig {
  schema_version: 1;
  description?: string;
  task: Task;
  labels: { name: string; wnid?: string }[];
  input: { name: string; height: number; width: number };
  preprocess: {
    mean: [number, number, number];
    std: [number, number, number];
    crop_pct: number;
    crop_mode?: CropMode;
    interpolation?: Interpolation;
  };
  outputs: { logits: string; point?: string; points?: string };
  serving?: {
    max_batch_size?: number;
    max_queue_delay_ms?: number;
    max_queue_size?: number;
    workers?: number;
    /** Which version folders are served (Triton's version policy): the latest (default), all, or a list. */
    version_policy?: 'latest' | 'all' | { specific: number[] };
  };
  provenance?: Record<string, unknown>;
}

export class ModelConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelConfigError';
  }
}

export const MODEL_CONFIG_SCHEMA_PATH = join(packageRoot(), 'docs', 'model-config.schema.json');

let validator: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(MODEL_CONFIG_SCHEMA_PATH, 'utf8'));
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replaceAll('/', '.');
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${where}: ${error.message}`;
}

/** Validates a parsed config object; `file` is only used in messages. */
export function validateModelConfig(value: unknown, file: string): ModelConfig {
  const validate = schemaValidator();
  if (!validate(value)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe);
    throw new ModelConfigError(file, `does not match the model config schema: ${[...new Set(problems)].join('; ')}`);
  }
  return value as ModelConfig;
}

export function readModelConfig(file: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ModelConfigError(file, `cannot be read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelConfigError(file, `is not valid JSON (${(error as Error).message})`);
  }
  return validateModelConfig(parsed, file);
}

/** The output that carries points, if the model has a point head. */
export function pointOutputName(config: ModelConfig): string | undefined {
  return config.task === 'single-label' ? config.outputs.point : config.outputs.points;
}
