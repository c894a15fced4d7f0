/** Runs the `luab` command (bin/luab.js) as a user would, to completion, capturing its output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const LUAB = join(REPO_ROOT, 'bin', 'luab.js');

export interface CliResult {
  /** Exit code; a process killed by a signal counts as 1. */
  code: number;
  stdout: string;
  stderr: string;
}

export function runLuab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LUAB, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
