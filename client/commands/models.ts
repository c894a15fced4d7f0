/** `luab models`: the models a server serves, their versions and state. */
import { Command } from 'commander';
import { LuabClient, LuabError, ModelVersion_State } from '../luab-client.js';
import {
  addressOption,
  clientSecurity,
  parsePositiveNumber,
  withSecurityOptions,
  type SecurityFlags,
} from '../cli/options.js';

export function createModelsCommand(): Command {
  return withSecurityOptions(new Command('models'))
    .description('list the models a server serves')
    .addOption(addressOption())
    .option('--json', 'print the ListModels response as JSON')
    .option('--timeout <seconds>', 'give up after this long', parsePositiveNumber, 10)
    .action(async (options: SecurityFlags & { address: string; json?: boolean; timeout: number }) => {
      let security: ReturnType<typeof clientSecurity>;
      try {
        security = clientSecurity(options);
      } catch (error) {
        console.error(`luab models: ${(error as Error).message}`);
        process.exit(2);
      }
      const client = new LuabClient(options.address, security);
      try {
        const response = await client.listModels({ timeoutMs: options.timeout * 1000 });
        if (options.json) {
          console.log(JSON.stringify(response, null, 2));
          return;
        }
        for (const model of response.models) {
          const isDefault = model.name === response.defaultModel ? ' (default)' : '';
          console.log(`${model.name}${isDefault}`);
          if (model.error) {
            console.log(`  FAILED: ${model.error}`);
            continue;
          }
          const point = model.pointOutput ? `, ${model.pointOutput}` : ', classes only';
          console.log(
            `  ${model.task}, ${model.labels.length} classes, input ${model.inputWidth}x${model.inputHeight}${point}`,
          );
          for (const v of model.versions) {
            const state = v.state === ModelVersion_State.STATE_READY ? `ready on ${v.device}` : `FAILED: ${v.error}`;
            console.log(`  version ${v.version}: ${state}`);
          }
        }
      } catch (error) {
        console.error(`luab models: ${error instanceof LuabError ? error.message : String(error)}`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}
