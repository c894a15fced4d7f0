/**
 * A server of the side-by-side benchmark as a child process: started in its own process group (TorchServe is a
 * launcher, a JVM and one Python process per worker), its output kept in a log file, ready once one real request
 * through ghz succeeds (the gRPC port of TorchServe and KServe opens before the model answers), and stopped by
 * its process group id: SIGTERM, then SIGKILL for whatever is left after a grace period.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LaunchedServer {
  label: string;
  /** Process id of the child, also its process group id: the root of the CPU accounting. */
  pid: number;
  logFile: string;
  /** Why the server is gone when it exited on its own; undefined while it runs. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

/** Servers started and not yet stopped: killed if the benchmark itself is interrupted (they run detached). */
const live = new Set<number>();

/** SIGKILL to every server's process group still running (for a SIGINT/SIGTERM handler). */
export function killAllLaunched(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** A free loopback TCP port (released at once: the server binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('freePort: no TCP address');
  return address.port;
}

const lastLines = (file: string, n = 15) => {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
};

export function launch(options: {
  label: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}): LaunchedServer {
  const log = openSync(options.logFile, 'w');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
    detached: true, // its own process group, so that stop() reaches the JVM and the workers too
  });
  closeSync(log);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = `${options.label} exited (code ${code}, signal ${signal}); the end of ${options.logFile}:\n${lastLines(options.logFile)}`;
      resolve();
    }),
  );
  child.once('error', (error) => {
    exit = `${options.label}: cannot start ${options.command}: ${error.message}`;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.label}: cannot start ${options.command}`);
  live.add(pid);
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    label: options.label,
    pid,
    logFile: options.logFile,
    exited: () => exit,
    async stop() {
      if (groupAlive()) process.kill(-pid, 'SIGTERM');
      const deadline = performance.now() + 20_000;
      while (groupAlive() && performance.now() < deadline) await sleep(100);
      if (groupAlive()) {
        console.error(`bench: ${options.label} still running 20 s after SIGTERM: SIGKILL to process group ${pid}`);
        process.kill(-pid, 'SIGKILL');
      }
      await exited;
      live.delete(pid);
    },
  };
}

/** Retries `probe` until it resolves; fails with the server's log when it exits or `timeoutMs` passes. */
export async function waitUntilReady(
  server: LaunchedServer,
  probe: () => Promise<unknown>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    const gone = server.exited();
    if (gone) throw new Error(gone);
    try {
      await probe();
      return;
    } catch (error) {
      last = error as Error;
    }
    if (performance.now() > deadline) {
      await server.stop();
      throw new Error(
        `${server.label} did not answer within ${timeoutMs / 1000} s (last error: ${last.message}); ` +
          `the end of ${server.logFile}:\n${lastLines(server.logFile)}`,
      );
    }
    await sleep(500);
  }
}
