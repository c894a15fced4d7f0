/**
 * The real `luab serve` in a child process. The load generator must not share the server's event loop (nor its
 * CPU accounting): in one process, the client's protobuf encoding and the server's handlers would take turns on
 * one thread and the benchmark would measure their contention, not the server. The child listens on port 0; its
 * address is read from its structured "luab server listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../server/util/package-root.js';

export interface ServerProcessOptions {
  /** `luab serve` flags, e.g. ['--models', 'models', '--max-batch-size', '1']. */
  args: string[];
  /** Extra node options for the child, e.g. ['--cpu-prof', '--cpu-prof-dir', 'prof']. */
  nodeOptions?: string[];
  startTimeoutMs?: number;
  /** Names this server in messages (e.g. "batching off"). */
  label: string;
}

export interface ServerProcess {
  address: string;
  pid: number;
  /** Why the server is gone, when it exited on its own (a crash mid-run); undefined while it runs. */
  exitReport(): string | undefined;
  /** SIGTERM (graceful shutdown, which also lets --cpu-prof write its profile) and wait for the exit. */
  stop(): Promise<void>;
}

/** Log lines kept to explain a failure. */
const KEPT_LINES = 30;

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const cli = join(packageRoot(), 'bin', 'luab.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(options.nodeOptions ?? []),
      cli,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--http-port',
      '0',
      ...options.args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const recent: string[] = [];
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const exitCode = () => exited?.code;
  const describeExit = () =>
    `server (${options.label}) exited (code ${exited?.code}, signal ${exited?.signal}); its last log lines:\n` +
    recent.join('\n');

  const address = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server (${options.label}) did not listen within ${timeoutMs} ms:\n${recent.join('\n')}`));
    }, timeoutMs);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      recent.push(line);
      if (recent.length > KEPT_LINES) recent.shift();
      let entry: { msg?: string; address?: string; level?: number };
      try {
        entry = JSON.parse(line);
      } catch {
        return; // not a log line (e.g. a usage error); kept in `recent` for the failure message
      }
      if (entry.msg === 'luab server listening' && entry.address) {
        clearTimeout(timer);
        resolve(entry.address);
      } else if ((entry.level ?? 0) >= 40) {
        // Warnings and errors while serving are worth seeing next to the numbers they may explain.
        process.stderr.write(`[server ${options.label}] ${line}\n`);
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(describeExit()));
    });
  });

  return {
    address,
    pid: child.pid!,
    exitReport: () => (exited ? describeExit() : undefined),
    async stop() {
      if (exited) throw new Error(describeExit());
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(killer);
      // (re-read through a function: TypeScript keeps the narrowing from the check above across the await)
      if (exitCode() !== 0) throw new Error(describeExit());
    },
  };
}
