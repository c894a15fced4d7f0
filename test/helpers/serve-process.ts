/**
 * `luab serve` as a child process (node bin/luab.js serve, as an operator runs it), with its JSON log lines parsed
 * as they come so a test can wait for an event ("batch running", "draining") instead of sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LuabClient } from '../../client/luab-client.js';
import { LUAB } from './luab-cli.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface ServeProcess {
  child: ChildProcess;
  address: string;
  client: LuabClient;
  logs: LogLine[];
  /** Resolves with the first log line (already written or still to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves with the first matching log line written after this call (not one already seen). */
  nextLog(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves with the exit code (a signal death counts as 128 + its number, as a shell reports it). */
  exited: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };

export async function startServeProcess(args: string[]): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [LUAB, 'serve', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const logs: LogLine[] = [];
  const watchers: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      for (const w of [...watchers]) {
        if (w.match(line)) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0))),
  );
  const nextLog = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      watchers.push({ match, resolve });
      void exited.then((code) => reject(new Error(`luab serve exited (${code}) first; stderr:\n${stderr}`)));
    });
  const waitForLog = (match: (line: LogLine) => boolean) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      watchers.push({ match, resolve });
      void exited.then((code) => reject(new Error(`luab serve exited (${code}) first; stderr:\n${stderr}`)));
    });
  };
  const listening = await waitForLog((l) => l.msg === 'luab server listening');
  const port = Number(String(listening.address).split(':').pop());
  const address = `127.0.0.1:${port}`;
  return { child, address, client: new LuabClient(address), logs, waitForLog, nextLog, exited };
}
