/**
 * `luab eval-server`: the evaluation service alone (luab.v1.Evaluation + health), its jobs kept under --eval-dir
 * and resumed at start. `luab serve --eval-dir DIR` serves the same service on the inference port instead.
 */
import { Command, Option } from 'commander';
import { parseInteger } from '../cli/options.js';
import { createLogger } from '../../server/logging.js';
import { splitList, JOB_DEFAULTS } from '../../eval/job/job-spec.js';
import { SUITE_MODULES_ENV } from '../../eval/job/suite-modules.js';
import { startEvalServer } from '../../eval/service/eval-server.js';
import { ENDPOINT_CREDENTIALS_ENV, readEndpointCredentials } from '../../eval/service/endpoint-credentials.js';

interface EvalServerOptions {
  host: string;
  port: number;
  evalDir: string;
  endpoint: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  suiteModule: string[];
  endpointTlsCa?: string;
  endpointTlsCert?: string;
  endpointTlsKey?: string;
  endpointTokenFile?: string;
}

/** The flags of the credentials jobs use for their endpoints (eval/service/endpoint-credentials.ts). */
const ENDPOINT_FLAGS = {
  tlsCa: '--endpoint-tls-ca',
  tlsCert: '--endpoint-tls-cert',
  tlsKey: '--endpoint-tls-key',
  tokenFile: '--endpoint-token-file',
};

export function createEvalServerCommand(): Command {
  return new Command('eval-server')
    .description('serve luab.v1.Evaluation: durable evaluation jobs against inference endpoints')
    .addOption(new Option('--host <address>', 'address to listen on').env('LUAB_EVAL_HOST').default('0.0.0.0'))
    .addOption(
      new Option('--port <n>', 'port (0: any free one, logged)')
        .env('LUAB_EVAL_PORT')
        .argParser(parseInteger(0, 65535))
        .default(50052),
    )
    .addOption(
      new Option('--eval-dir <dir>', 'folder of the jobs (one sub-folder each)')
        .env('LUAB_EVAL_DIR')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--endpoint <host:port,...>', 'inference endpoint(s) of jobs that name none')
        .env('LUAB_EVAL_ENDPOINT')
        .default(JOB_DEFAULTS.endpoint),
    )
    .addOption(
      new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace, silent')
        .env('LUAB_LOG_LEVEL')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    )
    .addOption(
      new Option('--suite-module <file>', 'a JS module that registers extra suites (repeatable; env: comma-separated)')
        .env(SUITE_MODULES_ENV)
        .argParser((value: string, previous: string[] = []) => [...previous, ...splitList(value)])
        .default([]),
    )
    .addOption(
      new Option(
        `${ENDPOINT_FLAGS.tlsCa} <file>`,
        'jobs speak TLS to their endpoints, verifying them with this PEM CA',
      ).env(ENDPOINT_CREDENTIALS_ENV.tlsCa),
    )
    .addOption(
      new Option(
        `${ENDPOINT_FLAGS.tlsCert} <file>`,
        'PEM client certificate for endpoints that require mutual TLS',
      ).env(ENDPOINT_CREDENTIALS_ENV.tlsCert),
    )
    .addOption(
      new Option(`${ENDPOINT_FLAGS.tlsKey} <file>`, `PEM private key of ${ENDPOINT_FLAGS.tlsCert}`).env(
        ENDPOINT_CREDENTIALS_ENV.tlsKey,
      ),
    )
    .addOption(
      new Option(
        `${ENDPOINT_FLAGS.tokenFile} <file>`,
        'file whose first line is the bearer token jobs send to their endpoints (never written to job.json)',
      ).env(ENDPOINT_CREDENTIALS_ENV.tokenFile),
    )
    .action(async (options: EvalServerOptions) => {
      let endpointClient;
      try {
        endpointClient = readEndpointCredentials(
          {
            tlsCa: options.endpointTlsCa,
            tlsCert: options.endpointTlsCert,
            tlsKey: options.endpointTlsKey,
            tokenFile: options.endpointTokenFile,
          },
          ENDPOINT_FLAGS,
        );
      } catch (error) {
        console.error(`luab eval-server: ${(error as Error).message}`);
        process.exit(2);
      }
      const log = createLogger(options.logLevel);
      try {
        const server = await startEvalServer(
          {
            suiteModules: options.suiteModule,
            endpointClient,
            host: options.host,
            port: options.port,
            evalDir: options.evalDir,
            defaultEndpoints: splitList(options.endpoint),
          },
          log,
        );
        const stop = (signal: string) => {
          log.info({ signal }, 'shutting down');
          void server.close().then(() => process.exit(0));
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      } catch (error) {
        console.error(`luab eval-server: ${(error as Error).message}`);
        process.exit(1);
      }
    });
}
