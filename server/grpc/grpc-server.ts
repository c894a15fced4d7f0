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
import { GRPCInferenceServiceService } from '../../proto/generated/inference/grpc_service.js';
import { createKserveService } from '../kserve/grpc-service.js';
import { V2Inference } from '../kserve/v2-inference.js';
import { InferenceStatistics } from '../metrics/statistics.js';
import { RecordingPredictor } from '../metrics/recording-predictor.js';
import { createMetricsRegistry } from '../metrics/prometheus.js';
import { startHttpServer, type RunningHttpServer } from '../http/http-server.js';

export const INFERENCE_SERVICE_NAME = 'luab.v1.Inference';
export const KSERVE_SERVICE_NAME = 'inference.GRPCInferenceService';

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  repository: ModelRepository;
  /** The HTTP port actually bound (KServe v2 REST, /metrics, the page); 0 when --http-port is 0 (off). */
  httpPort: number;
  /** Stops taking calls, lets in-flight ones finish for up to graceMs, then closes the models. */
  close(graceMs?: number): Promise<void>;
}

function reflectionService(): ReflectionService {
  const root = packageRoot();
  // keepCase: reflection must describe the fields as the .proto names them (top_k, x_px); protobufjs's default
  // camelCase would make grpcurl and other reflection clients reject the documented JSON names.
  const protos = [join(root, 'proto', 'luab', 'v1', 'inference.proto'), healthProtoPath];
  protos.push(join(root, 'proto', 'inference', 'grpc_service.proto'));
  const definition = loadSync(protos, {
    includeDirs: [join(root, 'proto')],
    keepCase: true,
  });
  return new ReflectionService(definition);
}

export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  // Security settings are read before the models load, so a bad file stops the start at once.
  const credentials = serverCredentials(config);
  const authTokens = config.authTokenFile === undefined ? undefined : readAuthTokens(config.authTokenFile);
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
    // Authentication first: an unauthenticated call is refused before anything else looks at it.
    interceptors: [...(authTokens ? [bearerTokenInterceptor(authTokens)] : []), safeIntegerInterceptor],
  });
  const statistics = new InferenceStatistics();
  const predictor: Predictor = new RecordingPredictor(repository, config, statistics);
  server.addService(
    withSafeIntegerDecoding(InferenceService, INFERENCE_SERVICE_NAME),
    createInferenceService(predictor, repository, log.child({ module: 'grpc' })),
  );
  const v2 = new V2Inference(predictor, repository, config, statistics);
  server.addService(
    GRPCInferenceServiceService,
    createKserveService(v2, repository, statistics, log.child({ module: 'kserve' })),
  );
  const serving = repository.readyCount > 0 ? 'SERVING' : 'NOT_SERVING';
  const health = new HealthImplementation({
    '': serving,
    [INFERENCE_SERVICE_NAME]: serving,
    [KSERVE_SERVICE_NAME]: serving,
  });
  health.addToServer(server);
  reflectionService().addToServer(server);

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
    const services = { repository, predictor, inference: v2, statistics, metrics };
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

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.shutdownGraceMs) =>
    (closing ??= (async () => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(INFERENCE_SERVICE_NAME, 'NOT_SERVING');
      health.setStatus(KSERVE_SERVICE_NAME, 'NOT_SERVING');
      const httpClosed = http?.close(graceMs);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          log.warn({ graceMs }, 'grace period over: cancelling the calls still running');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await httpClosed;
      await repository.close(unavailable('the server is shutting down'));
      log.info('luab server stopped');
    })());
  return { port, repository, httpPort: http?.port ?? 0, close };
}
