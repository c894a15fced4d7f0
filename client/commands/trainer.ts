/**
 * `luab train`, `luab export`, `luab byproducts-stats` and `luab make-toy-data`: the Python trainer (trainer/luab_trainer) behind the
 * same command. Arguments pass through unchanged; the trainer's own `--help` documents them. The interpreter is
 * Debian's /usr/bin/python3 (where python3-torch lives) unless LUAB_PYTHON names another.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../../server/util/package-root.js';

export const TRAINER_COMMANDS = {
  train: 'train a LUAB model (or a baseline) on images with annotation byproducts; exports ONNX + config.json',
  export: 'export a trainer checkpoint to ONNX + config.json in a model repository',
  'byproducts-stats': 'statistics and figures of an ImageNet-AB or COCO-AB byproduct folder',
  'make-toy-data': "a tiny shapes dataset with simulated ImageNet-AB byproducts (the trainer's quick start)",
} as const;

export function pythonInterpreter(): string {
  return process.env.LUAB_PYTHON ?? '/usr/bin/python3';
}

/** Runs `python -m luab_trainer <command> <args>` with the terminal attached; resolves with its exit code. */
export function runTrainer(command: string, args: string[]): Promise<number> {
  const python = pythonInterpreter();
  if (!existsSync(python)) {
    console.error(
      `luab ${command}: ${python} not found: the trainer needs Python with PyTorch (./scripts/setup.sh installs ` +
        `Debian's python3-torch), or set LUAB_PYTHON to an interpreter that has it`,
    );
    return Promise.resolve(1);
  }
  const trainerDir = join(packageRoot(), 'trainer');
  const env = { ...process.env, PYTHONPATH: [trainerDir, process.env.PYTHONPATH].filter(Boolean).join(':') };
  return new Promise((resolve) => {
    const child = spawn(python, ['-m', 'luab_trainer', command, ...args], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      console.error(`luab ${command}: cannot start ${python}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}

export function createTrainerCommands(): Command[] {
  return Object.entries(TRAINER_COMMANDS).map(([name, description]) =>
    new Command(name)
      .description(`${description} (Python; \`luab ${name} --help\` for its options)`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]')
      .action(async (args: string[]) => {
        process.exitCode = await runTrainer(name, args);
      }),
  );
}
