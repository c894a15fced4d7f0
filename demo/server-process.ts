/**
 * `luab serve` as the demo's child process: the demo's model repository on a free gRPC port (--port 0, read back
 * from the "luab server listening" log line), HTTP off (--http-port 0), logs to OUT/logs/serve.log. It is stopped
 * by its pid: SIGTERM (the server drains and exits), SIGKILL if it has not exited within the grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DemoStageError } from './child.js';

export interface DemoServer {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 20_000;

export function startDemoServer(luabScript: string, modelsDir: string, logFile: string): Promise<DemoServer> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const args = [
    luabScript,
    'serve',
    '--models',
    modelsDir,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--http-port',
    '0',
    '--drain-ms',
    '0',
    '--log-level',
    'info',
  ];
  log.write(`$ ${process.execPath} ${args.join(' ')}\n`);
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let settled = false;
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (settled) return;
      let entry: { msg?: string; address?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return; // not a log line
      }
      if (entry.msg !== 'luab server listening' || !entry.address) return;
      settled = true;
      const port = Number(entry.address.split(':').pop());
      resolve({
        address: `127.0.0.1:${port}`,
        pid: child.pid!,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
            await exited;
            clearTimeout(timer);
          }
          log.end();
        },
      });
    });
    child.once('exit', (code) => {
      if (settled) return;
      settled = true;
      log.end();
      reject(new DemoStageError(`luab serve --models ${modelsDir} exited (${code}) before listening; see ${logFile}`));
    });
  });
}
