/**
 * The demo's child processes (`luab synth`, the Python trainer): their output goes to a log file in OUT/logs/
 * (the terminal shows the demo's own progress), stdout lines are handed to the caller as they come (the trainer
 * prints one JSON line per epoch), and a failure reports the exit code with the log's last lines. An abort
 * signal stops the child by its pid (SIGTERM), so an interrupted demo leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export class DemoStageError extends Error {}

export class DemoInterrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Where stdout and stderr are appended. */
  logFile: string;
  onStdoutLine?: (line: string) => void;
  signal?: AbortSignal;
  /** What the stage is, for the error message. */
  what: string;
}

const tail = (file: string, lines: number): string => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

export function runChild(command: string, args: string[], options: ChildOptions): Promise<void> {
  if (options.signal?.aborted) return Promise.reject(new DemoInterrupted());
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(`$ ${[command, ...args].join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.pipe(log, { end: false });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      options.onStdoutLine?.(line);
    });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      log.end();
      reject(new DemoStageError(`${options.what}: cannot start ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      log.end(() => {
        if (options.signal?.aborted) reject(new DemoInterrupted());
        else if (code === 0) resolve();
        else {
          const exit = code !== null ? `exit code ${code}` : `signal ${signal}`;
          reject(
            new DemoStageError(
              `${options.what} failed (${exit}); the last lines of ${options.logFile}:\n${tail(options.logFile, 15)}`,
            ),
          );
        }
      });
    });
  });
}
