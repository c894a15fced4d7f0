// Entry point of the `luab` command: one sub-command per module, each built with commander.
// Exit codes: 0 success, 1 a failed operation (server error, bad input file), 2 a usage error.
import { Command, type CommanderError } from 'commander';
import { createModelsCommand } from '../commands/models.js';
import { createPredictCommand } from '../commands/predict.js';
import { createServeCommand } from '../commands/serve.js';
import { createTrainerCommands } from '../commands/trainer.js';
import { createSynthCommand } from '../../synth/command.js';
import { createEvalCommand } from '../commands/eval.js';
import { createEvalServerCommand } from '../commands/eval-server.js';
import { createReportCommand } from '../commands/report.js';
import { createDemoCommand } from '../commands/demo.js';

const program = new Command('luab').description(
  'LUAB: serve, query, evaluate and train classifiers that learn from annotation byproducts',
);
program.addCommand(createServeCommand());
program.addCommand(createPredictCommand());
program.addCommand(createModelsCommand());
for (const command of createTrainerCommands()) program.addCommand(command);
program.addCommand(createSynthCommand());
program.addCommand(createEvalCommand());
program.addCommand(createEvalServerCommand());
program.addCommand(createReportCommand());
program.addCommand(createDemoCommand());

// commander's own errors (unknown option, bad argument) are usage errors: exit 2, as POSIX tools do. Commands
// added with addCommand() do not inherit these settings, so they are applied to each.
const usageExit = (err: CommanderError) => {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) process.exit(0);
  process.exit(2);
};
for (const command of [program, ...program.commands]) command.showHelpAfterError().exitOverride(usageExit);

await program.parseAsync(process.argv);
