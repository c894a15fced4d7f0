/** The Python venv of third-party KServe v2 clients (tritonclient), made by scripts/setup-python-peers.sh. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

export const PEERS_PYTHON = join(REPO_ROOT, '.venv', 'peers', 'bin', 'python');

/**
 * Runs a script of test/python with the peers' Python and parses its JSON output. Asynchronous, since the server
 * under test runs in this process. Throws (the test fails, it is not skipped) when the venv is missing.
 */
export async function runPeer(script: string, args: string[]): Promise<Record<string, unknown>> {
  if (!existsSync(PEERS_PYTHON)) {
    throw new Error(`${PEERS_PYTHON} is missing: run ./scripts/setup-python-peers.sh (scripts/setup.sh runs it)`);
  }
  const { stdout } = await promisify(execFile)(PEERS_PYTHON, [join(REPO_ROOT, 'test', 'python', script), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}
