/**
 * `luab eval-server`: luab.v1.Evaluation alone (with health checking), for a machine that runs evaluation jobs
 * against inference endpoints elsewhere.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import {
  attachEvaluation,
  EVALUATION_SERVICE_NAME,
  type EvaluationHostOptions,
  type HostedEvaluation,
} from './host.js';

export interface EvalServerOptions extends EvaluationHostOptions {
  host: string;
  port: number;
  evalDir: string;
  /** Endpoints of jobs that name none. */
  defaultEndpoints: string[];
}

export interface RunningEvalServer {
  port: number;
  evaluation: HostedEvaluation;
  /** Interrupts the jobs (they resume at the next start), ends the watches, then stops; cuts what is left after graceMs. */
  close(graceMs?: number): Promise<void>;
}

export async function startEvalServer(options: EvalServerOptions, log: Logger): Promise<RunningEvalServer> {
  const server = new Server();
  const evaluation = await attachEvaluation(server, options.evalDir, log, options);
  const health = new HealthImplementation({ '': 'SERVING', [EVALUATION_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  const address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(new Error(`cannot listen on ${address}: ${error.message}`)) : resolve(bound),
    ),
  );
  await evaluation.start(options.defaultEndpoints);
  log.info({ address: `${options.host}:${port}`, evalDir: options.evalDir }, 'luab eval-server listening');
  return {
    port,
    evaluation,
    async close(graceMs = 10_000) {
      await evaluation.close();
      // Watches end with the manager; a call still open after graceMs is cut rather than hanging the stop.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
