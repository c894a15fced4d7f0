/**
 * The HTTP port's routes: KServe v2 REST (health, metadata, config, statistics, inference, repository), the
 * plain POST /v1/predict for curl users (an image body, Predict's JSON answer), /metrics, and the page at /.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { invalidArgument } from '../errors.js';
import type { ModelRepository } from '../model-repository/repository.js';
import type { InferenceStatistics } from '../metrics/statistics.js';
import type { Predictor } from '../predictor.js';
import {
  findModel,
  modelConfig,
  modelMetadata,
  modelReady,
  repositoryIndex,
  serverMetadata,
} from '../kserve/metadata.js';
import { modelStatistics } from '../kserve/statistics-report.js';
import type { V2Inference } from '../kserve/v2-inference.js';
import { ModelConfig } from '../../proto/generated/inference/model_config.js';
import { ModelStatistics } from '../../proto/generated/inference/grpc_service.js';
import { ResizePolicy } from '../../proto/generated/luab/v1/inference.js';
import { httpCallContext } from './call-context.js';
import { fromHttpInferBody, HEADER_LENGTH, toHttpInferBody } from './http-codec.js';
import { HttpError } from './http-errors.js';
import { snakeKeys } from './proto-json.js';
import { staticFile } from './static-files.js';
import type { ServingState } from '../lifecycle/serving-state.js';

export interface RouteServices {
  repository: ModelRepository;
  predictor: Predictor;
  inference: V2Inference;
  statistics: InferenceStatistics;
  metrics: Registry;
  /** Readiness (false from the first SIGTERM on, the drain window), shared with the gRPC health service. */
  state: ServingState;
}

export interface Reply {
  status?: number;
  body: Buffer | string | object;
  contentType?: string;
  headers?: Record<string, string | number>;
}

export interface RouteRequest {
  params: string[];
  query: URLSearchParams;
  request: IncomingMessage;
  response: ServerResponse;
  /** The request body (read only for POST routes). */
  body: () => Promise<Buffer>;
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle: (r: RouteRequest) => Reply | Promise<Reply>;
}

const MODEL = '/v2/models/([^/]+)(?:/versions/([^/]+))?';

function headerLength(request: IncomingMessage): number | undefined {
  const raw = request.headers[HEADER_LENGTH];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(value)) {
    throw invalidArgument(HEADER_LENGTH, `must be a byte count, got "${raw}"`);
  }
  return value;
}

/** A query parameter as a non-negative integer (0 when absent). */
function queryInteger(query: URLSearchParams, name: string): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw invalidArgument(name, `must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

export function createRoutes(s: RouteServices): Route[] {
  const model = (r: RouteRequest) => ({ name: decodeURIComponent(r.params[0]), version: r.params[1] ?? '' });
  return [
    { method: 'GET', path: /^\/v2\/health\/live$/, handle: () => ({ body: { live: true } }) },
    {
      method: 'GET',
      path: /^\/v2\/health\/ready$/,
      handle: () => {
        const ready = s.state.serverReady();
        return { status: ready ? 200 : 503, body: { ready } };
      },
    },
    { method: 'GET', path: /^\/v2\/?$/, handle: () => ({ body: serverMetadata() }) },
    {
      method: 'GET',
      path: /^\/v2\/models\/stats$/,
      handle: () => ({ body: statisticsJson(s, '', '') }),
    },
    {
      method: 'GET',
      path: new RegExp(`^${MODEL}$`),
      handle: (r) => {
        const { name, version } = model(r);
        return { body: modelMetadata(findModel(s.repository, name, version)) };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${MODEL}/ready$`),
      handle: (r) => {
        const { name, version } = model(r);
        findModel(s.repository, name, version);
        const ready = s.state.modelReady(() => modelReady(s.repository, name, version));
        return { status: ready ? 200 : 503, body: { name, ready } };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${MODEL}/config$`),
      handle: (r) => {
        const { name, version } = model(r);
        const config = modelConfig(findModel(s.repository, name, version), version);
        return { body: snakeKeys(ModelConfig.toJSON(config)) as object };
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${MODEL}/stats$`),
      handle: (r) => {
        const { name, version } = model(r);
        return { body: statisticsJson(s, name, version) };
      },
    },
    {
      method: 'POST',
      path: new RegExp(`^${MODEL}/infer$`),
      handle: async (r) => {
        const { name, version } = model(r);
        let request;
        try {
          request = fromHttpInferBody(await r.body(), headerLength(r.request), name, version);
        } catch (error) {
          s.statistics.recordFailure(undefined, 0, error);
          throw error;
        }
        const response = await s.inference.infer(request, httpCallContext(r.response));
        const out = toHttpInferBody(response, request.parameters);
        const headers: Record<string, number> = {};
        if (out.headerLength !== undefined) headers['Inference-Header-Content-Length'] = out.headerLength;
        return { body: out.body, contentType: out.contentType, headers };
      },
    },
    {
      method: 'POST',
      path: /^\/v2\/repository\/index$/,
      handle: async (r) => {
        const body = (await r.body()).toString('utf8');
        let ready = false;
        if (body.trim() !== '') {
          try {
            ready = (JSON.parse(body) as { ready?: boolean } | null)?.ready === true;
          } catch (error) {
            throw invalidArgument('body', `is not valid JSON (${(error as Error).message})`);
          }
        }
        return { body: repositoryIndex(s.repository, ready) };
      },
    },
    {
      method: 'POST',
      path: /^\/v2\/repository\/models\/([^/]+)\/(load|unload)$/,
      handle: async (r) => {
        const name = decodeURIComponent(r.params[0]);
        if (r.params[1] === 'load') await s.repository.loadModel(name);
        else await s.repository.unloadModel(name);
        return { body: {} };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/predict$/,
      handle: async (r) => {
        const image = await r.body();
        const response = await s.predictor.predict(
          {
            id: r.query.get('id') ?? '',
            model: r.query.get('model') ?? '',
            version: queryInteger(r.query, 'version'),
            topK: queryInteger(r.query, 'top_k'),
            resizePolicy: ResizePolicy.RESIZE_POLICY_UNSPECIFIED,
            input: { $case: 'image', value: image },
          },
          httpCallContext(r.response),
        );
        return { body: response };
      },
    },
    {
      method: 'GET',
      path: /^\/metrics$/,
      handle: async () => ({ body: await s.metrics.metrics(), contentType: s.metrics.contentType }),
    },
    {
      method: 'GET',
      path: /^\/[a-z0-9-]*(\.[a-z]+)?$/,
      handle: (r) => {
        const file = staticFile(new URL(r.request.url ?? '/', 'http://x').pathname);
        if (!file) throw new HttpError(404, `no such path: ${r.request.url}`);
        return { body: file.body, contentType: file.type };
      },
    },
  ];
}

function statisticsJson(s: RouteServices, name: string, version: string): object {
  const stats = modelStatistics(s.repository, s.statistics, name, version);
  return { model_stats: stats.map((m) => snakeKeys(ModelStatistics.toJSON(m))) };
}
