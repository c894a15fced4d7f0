/**
 * Puts luab.v1.Evaluation on a grpc-js server: the inference server's (`luab serve --eval-dir DIR`, one process
 * and one port for both) or a standalone one (`luab eval-server`). Jobs are restored only once the port is bound,
 * because a job that names no endpoint evaluates against this very server.
 */
import type { Server } from '@grpc/grpc-js';
import type { LuabClientOptions } from '../../client/luab-client.js';
import type { Logger } from 'pino';
import { EvaluationService } from '../../proto/generated/luab/v1/evaluation.js';
import { createEvaluationService } from './evaluation-service.js';
import { JobManager } from './job-manager.js';
import { loadSuiteModules } from '../job/suite-modules.js';

export const EVALUATION_SERVICE_NAME = 'luab.v1.Evaluation';

export interface HostedEvaluation {
  manager: JobManager;
  /** After bind: sets the endpoints of jobs that name none, and resumes the jobs a stop interrupted. */
  start(defaultEndpoints: string[]): Promise<void>;
  /** Stops the running jobs without cancelling them (they resume at the next start). */
  close(): Promise<void>;
}

export interface EvaluationHostOptions {
  /**
   * JS modules that register extra suites, loaded before any job is restored (`luab serve --eval-suite-module`,
   * `luab eval-server --suite-module`; both also LUAB_EVAL_SUITE_MODULES, resolved by the command).
   */
  suiteModules?: string[];
  /** How jobs reach their inference endpoints (TLS, token): eval/service/endpoint-credentials.ts. */
  endpointClient?: LuabClientOptions;
}

/** Adds the service; first loads the suite modules. */
export async function attachEvaluation(
  server: Server,
  evalDir: string,
  log: Logger,
  options: EvaluationHostOptions = {},
): Promise<HostedEvaluation> {
  await loadSuiteModules(options.suiteModules ?? []);
  const manager = new JobManager(evalDir, log, options.endpointClient);
  server.addService(EvaluationService, createEvaluationService(manager, log));
  return {
    manager,
    async start(defaultEndpoints) {
      manager.defaultEndpoints = defaultEndpoints;
      await manager.restore();
    },
    close: () => manager.close(),
  };
}

/** The address a job reaches a server bound to `host:port` by (a wildcard host is reached on loopback). */
export function selfAddress(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
