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

export const INFERENCE_SERVICE_NAME = 'luab.v1.Inference';

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  repository: ModelRepository;
  /** Stops taking calls, lets in-flight ones finish for up to graceMs, then closes the models. */
  close(graceMs?: number): Promise<void>;
}

function reflectionService(withEvaluation = false): ReflectionService {
  const root = packageRoot();
  // keepCase: reflection must describe the fields as the .proto names them (top_k, x_px); protobufjs's default
  // camelCase would make grpcurl and other reflection clients reject the documented JSON names.
  const protos = [join(root, 'proto', 'luab', 'v1', 'inference.proto'), healthProtoPath];
  if (withEvaluation) protos.push(join(root, 'proto', 'luab', 'v1', 'evaluation.proto'));
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
  const predictor = new Predictor(repository, config);
  server.addService(
    withSafeIntegerDecoding(InferenceService, INFERENCE_SERVICE_NAME),
    createInferenceService(predictor, repository, log.child({ module: 'grpc' })),
  );
  const serving = repository.readyCount > 0 ? 'SERVING' : 'NOT_SERVING';
  const health = new HealthImplementation({ '': serving, [INFERENCE_SERVICE_NAME]: serving });
  const evaluation = config.evalDir
    ? await attachEvaluation(server, config.evalDir, log.child({ module: 'eval' })).catch(async (error: Error) => {
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
  // Jobs that name no endpoint evaluate against this server, so they can only resume once it is listening.
  await evaluation?.start([selfAddress(config.host, port)]);

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.shutdownGraceMs) =>
    (closing ??= (async () => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(INFERENCE_SERVICE_NAME, 'NOT_SERVING');
      // Interrupted, not cancelled: job.json keeps them running and the next start resumes them.
      await evaluation?.close();
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
      await repository.close(unavailable('the server is shutting down'));
      log.info('luab server stopped');
    })());
  return { port, repository, close };
}
