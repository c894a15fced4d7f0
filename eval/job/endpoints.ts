/**
 * The inference side of a job: every endpoint is checked before the job starts (reachable, serving the model,
 * with the same labels), the model's label space is read from GetModel, and each image is sent with retries of
 * the errors that a restarting or overloaded server gives.
 */
import { status } from '@grpc/grpc-js';
import pRetry from 'p-retry';
import {
  LuabClient,
  LuabError,
  ModelVersion_State,
  type LuabClientOptions,
  type ModelInfo,
  type PredictResponse,
} from '../../client/luab-client.js';
import type { ModelLabels, ModelOutput, ResizePolicy } from '../types.js';
import { JobError } from './job-spec.js';

/** How long an endpoint may take to accept a connection before the job refuses to start. */
const CONNECT_TIMEOUT_MS = 5000;

/** Errors that a later attempt can cure: a server restarting, a deadline under load, a full queue. */
const TRANSIENT = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);
/** Errors of one image (an undecodable file): recorded on its line, and the job goes on. */
const PER_IMAGE = new Set([status.INVALID_ARGUMENT]);

export const isTransient = (error: unknown) => error instanceof LuabError && TRANSIENT.has(error.code);
export const isPerImage = (error: unknown) => error instanceof LuabError && PER_IMAGE.has(error.code);

export interface ResolvedModel {
  labels: ModelLabels;
  provenance?: unknown;
}

function toLabels(info: ModelInfo, version: number): ModelLabels {
  return {
    name: info.name,
    version,
    task: info.task === 'multi-label' ? 'multi-label' : 'single-label',
    labels: info.labels.map((l) => (l.wnid ? { name: l.name, wnid: l.wnid } : { name: l.name })),
    inputWidth: info.inputWidth,
    inputHeight: info.inputHeight,
    hasPoint: info.pointOutput !== '',
  };
}

/**
 * Checks each endpoint on its own connection and returns the model's label space (the same on all of them).
 * @param version 0: the latest ready version of the first endpoint, then required on all
 * @param clientOptions TLS and token for secured endpoints
 */
export async function resolveModel(
  endpoints: string[],
  model: string,
  version: number,
  clientOptions: LuabClientOptions = {},
): Promise<ResolvedModel> {
  let resolved: ResolvedModel | undefined;
  for (const endpoint of endpoints) {
    const client = new LuabClient(endpoint, clientOptions);
    try {
      try {
        await client.waitForReady(CONNECT_TIMEOUT_MS);
      } catch (error) {
        throw new JobError(`endpoint ${endpoint}: unreachable (${(error as Error).message})`);
      }
      let info: ModelInfo;
      try {
        info = await client.getModel(model, version, { timeoutMs: CONNECT_TIMEOUT_MS });
      } catch (error) {
        const detail = error instanceof LuabError ? error.details : (error as Error).message;
        throw new JobError(`model ${model ? `"${model}"` : '(default)'}: endpoint ${endpoint}: ${detail}`);
      }
      if (info.error) throw new JobError(`model "${info.name}" at ${endpoint} failed to load: ${info.error}`);
      const wanted = version || resolved?.labels.version || info.latestVersion;
      const ready = info.versions.find((v) => v.version === wanted && v.state === ModelVersion_State.STATE_READY);
      if (!ready) {
        throw new JobError(`model "${info.name}" at ${endpoint}: version ${wanted || '(latest)'} is not ready`);
      }
      if (info.labels.length === 0) throw new JobError(`model "${info.name}" at ${endpoint}: has no labels`);
      const labels = toLabels(info, wanted);
      if (resolved && JSON.stringify(resolved.labels) !== JSON.stringify(labels)) {
        throw new JobError(
          `model "${info.name}" at ${endpoint}: labels or input size differ from those at ${endpoints[0]}`,
        );
      }
      resolved ??= {
        labels,
        provenance: info.provenanceJson ? (JSON.parse(info.provenanceJson) as unknown) : undefined,
      };
    } finally {
      client.close();
    }
  }
  return resolved!;
}

export interface Prediction {
  output: ModelOutput;
  response: PredictResponse;
}

/**
 * One image through the shared client (round-robin over the endpoints), all class scores requested so that
 * suites can apply their masks; transient errors are retried with exponential backoff and jitter. The first
 * attempt is a plain call: p-retry's bookkeeping (an options copy, validation, abort checks) is paid only by an
 * image whose first attempt failed, and then with that failure as its first attempt, so the backoff and the
 * number of retries are those of p-retry over every attempt.
 */
export async function predictWithRetry(
  client: LuabClient,
  image: Buffer,
  model: ModelLabels,
  resize: ResizePolicy,
  options: { retries: number; timeoutMs: number; signal: AbortSignal; onRetry?: (error: Error) => void },
): Promise<Prediction> {
  const request = { image, model: model.name, version: model.version, topK: model.labels.length, resizePolicy: resize };
  const attempt = () => client.predict(request, { timeoutMs: options.timeoutMs, signal: options.signal });
  let response: PredictResponse;
  try {
    response = await attempt();
  } catch (firstError) {
    response = await pRetry((n) => (n === 1 ? Promise.reject(firstError as Error) : attempt()), {
      retries: options.retries,
      factor: 2,
      minTimeout: 100,
      maxTimeout: 5000,
      randomize: true,
      signal: options.signal,
      shouldRetry: ({ error }) => isTransient(error) && !options.signal.aborted,
      onFailedAttempt: ({ error }) => {
        if (isTransient(error)) options.onRetry?.(error);
      },
    });
  }
  return { response, output: toModelOutput(response, model) };
}

export function toModelOutput(response: PredictResponse, model: ModelLabels): ModelOutput {
  const scores = new Float32Array(model.labels.length);
  for (const c of response.classes) scores[c.index] = c.score;
  const point = response.point ? { ...response.point } : undefined;
  const classPoints = response.classPoints.length
    ? response.classPoints.map((cp) => ({ index: cp.index, ...cp.point! }))
    : undefined;
  return {
    scores,
    point,
    classPoints,
    imageWidth: response.image?.width ?? 0,
    imageHeight: response.image?.height ?? 0,
    resized: response.image?.resized ?? true,
  };
}
