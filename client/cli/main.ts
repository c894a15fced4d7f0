// Entry point of the `luab` command: one sub-command per module, each built with commander.
// Exit codes: 0 success, 1 a failed operation (server error, bad input file), 2 a usage error.
import { Command } from 'commander';
import { createModelsCommand } from '../commands/models.js';
import { createPredictCommand } from '../commands/predict.js';
import { createServeCommand } from '../commands/serve.js';

const program = new Command('luab')
  .description('LUAB: serve, query, evaluate and train classifiers that learn from annotation byproducts')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own errors (unknown option, missing argument) are usage errors: exit 2, as POSIX tools do.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program.addCommand(createServeCommand());
program.addCommand(createPredictCommand());
program.addCommand(createModelsCommand());

await program.parseAsync(process.argv);
