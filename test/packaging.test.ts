/**
 * A server or client install does not carry the emoji icon sets (~69 MB, used only by `luab synth`): they are not
 * production dependencies, `luab serve` never loads them, and `luab synth` says clearly what to install when they
 * are missing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LuabClient } from '../client/luab-client.js';
import { dependencyClosure, readPackage } from './helpers/dependency-closure.js';
import { discImage } from './helpers/images.js';
import { LUAB } from './helpers/luab-cli.js';
import { GOOD_MODELS, REPO_ROOT } from './helpers/paths.js';

const HIDE = join(REPO_ROOT, 'dist', 'test', 'helpers', 'hide-icon-sets.js');

describe('packaging without the icon sets', function () {
  it('no @iconify-json package is in the production dependency closure', () => {
    const root = readPackage(REPO_ROOT) as ReturnType<typeof readPackage> & { peerDependencies?: object };
    const closure = dependencyClosure(
      REPO_ROOT,
      { ...root.dependencies, ...root.optionalDependencies },
      { optional: true },
    );
    const icons = [...closure.keys()].filter((name) => name.startsWith('@iconify-json/'));
    assert.deepEqual(icons, []);
    assert.ok(closure.has(`sharp@${readPackage(join(REPO_ROOT, 'node_modules', 'sharp')).version}`), 'sharp is in it');
    // They stay available to developers and to luab synth users, who install them on purpose.
    assert.equal(Object.keys(root.peerDependencies ?? {}).filter((n) => n.startsWith('@iconify-json/')).length, 8);
  });

  it('luab serve starts, answers and stops with the icon sets unresolvable, and never tries to load them', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        HIDE,
        LUAB,
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--http-port',
        '0', // HTTP off: its default port 8000 may be held by a developer's own server
        '--models',
        GOOD_MODELS,
        '--device',
        'cpu',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        // The server logs JSON lines to stderr; the preload's reports are plain lines there too.
        const lines = createInterface({ input: child.stderr });
        lines.on('line', (line) => {
          if (!line.startsWith('{')) return;
          const entry = JSON.parse(line) as { msg: string; address?: string };
          if (entry.msg === 'luab server listening') resolve(Number(entry.address!.split(':').pop()));
        });
        void exited.then((code) => reject(new Error(`luab serve exited with ${code}: ${stderr}`)));
      });
      const client = new LuabClient(`127.0.0.1:${port}`);
      try {
        const image = await discImage(64, 48, [{ cx: 30, cy: 20, r: 8 }], 'png');
        assert.equal((await client.predict({ image })).classes.length, 3);
      } finally {
        client.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.doesNotMatch(stderr, /hide-icon-sets: refused/, 'luab serve did not try to load an icon set');
  });

  it('luab synth without the icon sets fails at once, naming the packages and the install command', async () => {
    const out = mkdtempSync(join(tmpdir(), 'luab-synth-noicons-'));
    try {
      const child = spawn(
        process.execPath,
        ['--import', HIDE, LUAB, 'synth', '--small', '--out', join(out, 'run'), '--quiet'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 1, stderr);
      assert.match(stderr, /luab synth needs the emoji icon sets/);
      assert.match(stderr, /@iconify-json\/noto.* not installed/);
      assert.match(stderr, /npm install --no-save .*@iconify-json\/twemoji@\^1\./);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
