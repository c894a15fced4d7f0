/** `luab serve`: starts the inference server. Every option is also an environment variable (see --help). */
import { Command, Option } from 'commander';
import {
  ConfigError,
  defaultText,
  resolveServerConfig,
  SERVER_OPTIONS,
  type ServerConfig,
} from '../../server/config.js';
import { startServer } from '../../server/grpc/grpc-server.js';
import { createLogger } from '../../server/logging.js';
import { CLIENT_STREAM_WINDOW, defaultAdmittedLimit } from '../../server/admission/admission-control.js';
import { DEFAULT_BATCHING } from '../../server/model-repository/model-version.js';
import {
  decodeConcurrencyFor,
  decodeSettingFromArgv,
  describeThreadBudget,
} from '../../server/runtime/thread-budget.js';

export function createServeCommand(): Command {
  const command = new Command('serve').description(
    'serve the models of a model repository over gRPC (luab.v1 and KServe v2) and HTTP (KServe v2 REST, /metrics, a page)',
  );
  const keyOfAttribute = new Map<string, keyof ServerConfig>();
  for (const spec of SERVER_OPTIONS) {
    const shown = defaultText(spec.key);
    const help = `${spec.doc} [env ${spec.env}${shown !== undefined ? `, default ${shown}` : ''}]`;
    const option = new Option(spec.flag, help);
    // Each occurrence adds to the list; the config's parser splits the joined value as it splits the variable's.
    if (spec.repeatable)
      option.argParser((value: string, previous?: string) => (previous ? `${previous},${value}` : value));
    keyOfAttribute.set(option.attributeName(), spec.key);
    command.addOption(option);
  }
  command.addHelpText('after', () => {
    const decodeSetting = decodeSettingFromArgv(process.argv, process.env);
    const decode = decodeConcurrencyFor(decodeSetting);
    const batch = DEFAULT_BATCHING.maxBatchSize;
    return (
      `\n${describeThreadBudget(decodeSetting)}\n\nAdmission by default (--max-admitted-per-model 0): ` +
      `${defaultAdmittedLimit(DEFAULT_BATCHING, 1, decode)} requests per model for a version with one worker and ` +
      `the default batching (${decode} decodes + 2 x 1 worker x max batch size ${batch}, at least ` +
      `${CLIENT_STREAM_WINDOW}); a model's own workers, --max-batch-size and --max-queue-size change it.`
    );
  });
  command.action(async (options: Record<string, string>) => {
    const flags: Partial<Record<keyof ServerConfig, string>> = {};
    for (const [attribute, value] of Object.entries(options)) {
      const key = keyOfAttribute.get(attribute);
      if (key && value !== undefined) flags[key] = value;
    }
    let config: ServerConfig;
    try {
      config = resolveServerConfig(flags);
    } catch (error) {
      console.error(`luab serve: ${(error as Error).message}`);
      process.exit(2);
    }
    const log = createLogger(config.logLevel);
    try {
      const server = await startServer(config, log);
      // First signal: drain, then finish in-flight work within the grace period. Second: cancel what is left.
      // Either way the process exits 0 once the sessions are released (after their runs have returned).
      let signals = 0;
      const stop = (signal: string) => {
        signals += 1;
        if (signals > 1) {
          log.warn({ signal }, 'second signal: cancelling the requests still in flight');
          server.cancel();
          return;
        }
        log.info({ signal, drainMs: config.drainMs, graceMs: config.shutdownGraceMs }, 'shutting down');
        server.shutdown().then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`luab serve: ${error.message}`);
        process.exit(1);
      }
      throw error;
    }
  });
  return command;
}
