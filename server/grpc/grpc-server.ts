/**
 * Assembles the gRPC server: luab.v1.Inference, grpc.health.v1 health checking and server reflection, all on one
 * port, with message limits raised deliberately (the default 4 MiB would refuse ordinary photographs).
 */
import { join } from 'node:path';
import { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from 'pino';
import { ConfigError, formatDevice, type ServerConfig } from '../config.js';
import { unavailable } from '../errors.js';
import { ModelRepository } from '../model-repository/repository.js';
import { Predictor } from '../predictor.js';
import { packageRoot } from '../util/package-root.js';
import { assertCudaInstalled } from '../runtime/cuda-preflight.js';
import { createInferenceService } from './inference-service.js';
import { safeIntegerInterceptor, withSafeIntegerDecoding } from './safe-integers.js';
import { bearerTokenInterceptor, readAuthTokens, serverCredentials } from './security.js';
import { InferenceService } from '../../proto/generated/luab/v1/inference.js';
import { attachEvaluation, EVALUATION_SERVICE_NAME, selfAddress } from '../../eval/service/host.js';
import { readEndpointCredentials } from '../../eval/service/endpoint-credentials.js';
import type { LuabClientOptions } from '../../client/luab-client.js';
import { GRPCInferenceServiceService } from '../../proto/generated/inference/grpc_service.js';
import { createKserveService } from '../kserve/grpc-service.js';
import { V2Inference } from '../kserve/v2-inference.js';
import { InferenceStatistics } from '../metrics/statistics.js';
import { RecordingPredictor } from '../metrics/recording-predictor.js';
import { createMetricsRegistry } from '../metrics/prometheus.js';
import { startHttpServer, type RunningHttpServer } from '../http/http-server.js';
import { ServingState } from '../lifecycle/serving-state.js';

export const INFERENCE_SERVICE_NAME = 'luab.v1.Inference';
export const KSERVE_SERVICE_NAME = 'inference.GRPCInferenceService';
/**
 * The health-check service name for liveness probes: SERVING from start until the process exits, through the drain
 * window and whatever the models' readiness. `""` and the service names are readiness (NOT_SERVING while
 * draining or with no model ready), which a liveness probe must not use: it would restart a pod that is
 * draining or waiting for a model.
 */
export const LIVENESS_HEALTH_NAME = 'liveness';

/** The health-check service name that reports one model's readiness, e.g. `luab.v1.Inference/centroid`. */
export const modelHealthName = (model: string) => `${INFERENCE_SERVICE_NAME}/${model}`;

/** How long cancelled calls get to send their UNAVAILABLE status before the connections are cut. */
const CANCEL_FLUSH_MS = 2_000;

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  repository: ModelRepository;
  /** The predictor every front end calls: its admission control and decode slots, for tests and diagnostics. */
  predictor: Predictor;
  /** The HTTP port actually bound (KServe v2 REST, /metrics, the page); 0 when --http-port is 0 (off). */
  httpPort: number;
  /** Stops taking calls, lets in-flight ones finish for up to graceMs, then closes the models. */
  close(graceMs?: number): Promise<void>;
  /**
   * The SIGTERM sequence: health NOT_SERVING at once, requests still served for `drainMs` (load balancers take
   * the instance out), then {@link close} with `graceMs`. Resolves when the sessions are released.
   */
  shutdown(options?: { drainMs?: number; graceMs?: number }): Promise<void>;
  /**
   * Ends the drain window or the grace period now (a second signal): what is still queued or running is answered
   * with UNAVAILABLE, and the running batches finish before their sessions are released.
   */
  cancel(): void;
}

function reflectionService(withEvaluation = false): ReflectionService {
  const root = packageRoot();
  // keepCase: reflection must describe the fields as the .proto names them (top_k, x_px); protobufjs's default
  // camelCase would make grpcurl and other reflection clients reject the documented JSON names.
  const protos = [join(root, 'proto', 'luab', 'v1', 'inference.proto'), healthProtoPath];
  if (withEvaluation) protos.push(join(root, 'proto', 'luab', 'v1', 'evaluation.proto'));
  protos.push(join(root, 'proto', 'inference', 'grpc_service.proto'));
  const definition = loadSync(protos, {
    includeDirs: [join(root, 'proto')],
    keepCase: true,
  });
  return new ReflectionService(definition);
}

/** The credentials the hosted evaluation jobs use for their endpoints (read now, so a bad file stops the start). */
function evalEndpointCredentials(config: ServerConfig): LuabClientOptions {
  try {
    return readEndpointCredentials(
      {
        tlsCa: config.evalEndpointTlsCa,
        tlsCert: config.evalEndpointTlsCert,
        tlsKey: config.evalEndpointTlsKey,
        tokenFile: config.evalEndpointTokenFile,
      },
      {
        tlsCa: '--eval-endpoint-tls-ca',
        tlsCert: '--eval-endpoint-tls-cert',
        tlsKey: '--eval-endpoint-tls-key',
        tokenFile: '--eval-endpoint-token-file',
      },
    );
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  // Security settings are read before the models load, so a bad file stops the start at once.
  const credentials = serverCredentials(config);
  const authTokens = config.authTokenFile === undefined ? undefined : readAuthTokens(config.authTokenFile);
  const endpointClient = config.evalDir ? evalEndpointCredentials(config) : undefined;
  if (config.device.kind === 'cuda') assertCudaInstalled(config.device.deviceId);
  const repository = await ModelRepository.load(config, log.child({ module: 'models' }));
  if (config.device.kind === 'cuda') {
    // --device cuda is a promise to run on the GPU: a model that could not get it stops the start.
    const tag = `cuda:${config.device.deviceId}:`;
    const failure = repository
      .list()
      .flatMap((m) => m.versions)
      .find((v) => v.state === 'failed' && v.error.includes(tag));
    if (failure?.state === 'failed') {
      await repository.close(new Error('server start aborted'));
      throw new ConfigError(failure.error);
    }
  }

  const server = new Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
    'grpc.max_concurrent_streams': config.maxConcurrentStreams,
    // Authentication first: an unauthenticated call is refused before anything else looks at it.
    interceptors: [...(authTokens ? [bearerTokenInterceptor(authTokens)] : []), safeIntegerInterceptor],
  });
  const statistics = new InferenceStatistics();
  const predictor: Predictor = new RecordingPredictor(repository, config, statistics);
  server.addService(
    withSafeIntegerDecoding(InferenceService, INFERENCE_SERVICE_NAME),
    createInferenceService(predictor, repository, log.child({ module: 'grpc' }), config.streamMaxInFlight),
  );
  const v2 = new V2Inference(predictor, repository, config, statistics);
  const state = new ServingState(repository);
  server.addService(
    withSafeIntegerDecoding(GRPCInferenceServiceService, KSERVE_SERVICE_NAME),
    createKserveService(v2, repository, statistics, log.child({ module: 'kserve' }), state),
  );
  // Every model ever served keeps its health name: one unloaded by a reload reads NOT_SERVING, not its last state.
  const knownModels = new Set<string>();
  const healthStatuses = () => {
    const serving = state.serverReady() ? 'SERVING' : 'NOT_SERVING';
    const statuses: Record<string, 'SERVING' | 'NOT_SERVING'> = {
      [LIVENESS_HEALTH_NAME]: 'SERVING',
      '': serving,
      [INFERENCE_SERVICE_NAME]: serving,
      [KSERVE_SERVICE_NAME]: serving,
    };
    for (const model of repository.list()) knownModels.add(model.name);
    for (const name of knownModels) {
      statuses[modelHealthName(name)] = state.modelReady(() => repository.isReady(name)) ? 'SERVING' : 'NOT_SERVING';
    }
    return statuses;
  };
  const health = new HealthImplementation(healthStatuses());
  const updateHealth = () => {
    for (const [name, value] of Object.entries(healthStatuses())) health.setStatus(name, value);
  };
  repository.onReadinessChange(updateHealth);
  const evaluation = config.evalDir
    ? await attachEvaluation(server, config.evalDir, log.child({ module: 'eval' }), {
        suiteModules: config.evalSuiteModules,
        endpointClient,
      }).catch(async (error: Error) => {
        await repository.close(new Error('server start aborted'));
        throw new ConfigError(`--eval-dir ${config.evalDir}: ${error.message}`);
      })
    : undefined;
  if (evaluation) health.setStatus(EVALUATION_SERVICE_NAME, 'SERVING');
  health.addToServer(server);
  reflectionService(evaluation !== undefined).addToServer(server);

  const address = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  } catch (error) {
    await repository.close(new Error('server start aborted'));
    throw new ConfigError(`cannot listen on ${address}: ${(error as Error).message}`);
  }
  log.info(
    {
      address: `${config.host}:${port}`,
      device: formatDevice(config.device),
      tls: config.tlsCert ? (config.tlsClientCa ? 'mutual' : 'server') : 'off',
      auth: authTokens ? 'bearer' : 'off',
    },
    'luab server listening',
  );
  let http: RunningHttpServer | undefined;
  if (config.httpPort !== 0) {
    const metrics = createMetricsRegistry(repository, statistics);
    const services = { repository, predictor, inference: v2, statistics, metrics, state };
    try {
      http = await startHttpServer(
        config.host,
        config.httpPort,
        config.maxMessageBytes,
        services,
        log.child({ module: 'http' }),
        { tlsCert: config.tlsCert, tlsKey: config.tlsKey, tlsClientCa: config.tlsClientCa, tokens: authTokens },
      );
    } catch (error) {
      server.forceShutdown();
      await repository.close(new Error('server start aborted'));
      throw error;
    }
  }
  // Jobs that name no endpoint evaluate against this server, so they can only resume once it is listening.
  try {
    await evaluation?.start([selfAddress(config.host, port)]);
  } catch (error) {
    server.forceShutdown();
    await http?.close(0);
    await repository.close(new Error('server start aborted'));
    throw new ConfigError(`--eval-dir ${config.evalDir}: ${(error as Error).message}`);
  }
  repository.startPolling(config.pollMs);

  // A second signal (or the end of the grace period) resolves this: stop waiting, cancel what is left.
  let cancelNow!: () => void;
  const cancelRequested = new Promise<void>((resolve) => (cancelNow = resolve));
  const shuttingDown = () => unavailable('the server is shutting down; retry on another instance');
  const beginStopping = () => {
    state.beginStopping();
    updateHealth();
    if (evaluation) health.setStatus(EVALUATION_SERVICE_NAME, 'NOT_SERVING');
  };

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.shutdownGraceMs) =>
    (closing ??= (async () => {
      beginStopping();
      repository.stopPolling();
      const httpClosed = http?.close(graceMs);
      // Interrupted, not cancelled: job.json keeps them running and the next start resumes them. Concurrent with
      // the listener's close below, so the grace period counts from the signal and no new call is taken meanwhile.
      const evaluationClosed = evaluation?.close();
      await new Promise<void>((resolve) => {
        let forced = false;
        const force = (why: string) => {
          if (forced) return;
          forced = true;
          clearTimeout(graceTimer);
          log.warn({ graceMs, why }, 'cancelling the requests still queued or running (UNAVAILABLE)');
          // Answer every waiting and running request first, so its caller gets a status, not a cut connection;
          // the batches on the workers still finish before the sessions are released (repository.close below).
          predictor.cancelAll(shuttingDown());
          repository.cancelAll(shuttingDown());
          const cut = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, CANCEL_FLUSH_MS);
          cut.unref();
        };
        const graceTimer = setTimeout(() => force('grace period over'), graceMs);
        void cancelRequested.then(() => force('cancelled'));
        // Stops accepting calls at once; calls already started go on until they finish.
        server.tryShutdown(() => {
          clearTimeout(graceTimer);
          resolve();
        });
      });
      await evaluationClosed;
      await httpClosed;
      await repository.close(shuttingDown());
      log.info('luab server stopped');
    })());

  let shuttingDownPromise: Promise<void> | undefined;
  const shutdown = (options: { drainMs?: number; graceMs?: number } = {}) =>
    (shuttingDownPromise ??= (async () => {
      const drainMs = options.drainMs ?? config.drainMs;
      beginStopping();
      log.info({ drainMs }, 'draining: health says NOT_SERVING, requests are still served');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, drainMs))), cancelRequested]);
      clearTimeout(timer);
      await close(options.graceMs ?? config.shutdownGraceMs);
    })());
  return { port, repository, predictor, httpPort: http?.port ?? 0, close, shutdown, cancel: () => cancelNow() };
}
