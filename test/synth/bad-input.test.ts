// Bad input to `luab synth`: a clear message, a non-zero exit, and nothing left that looks like a finished run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LUAB, luab } from './helpers.js';

describe('luab synth: bad input', function () {
  this.timeout(120_000);
  let work: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'luab-synth-bad-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const config = (name: string, body: unknown): string => {
    const path = join(work, name);
    writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
    return path;
  };

  /** Nothing of a run may remain when it failed: neither DIR nor its staging folder. */
  const assertNothingWritten = (out: string): void => {
    assert.ok(!existsSync(out), `${out} must not exist`);
    assert.deepEqual(
      readdirSync(work).filter((e) => e.startsWith(`${out.split('/').pop()}.partial-`)),
      [],
    );
  };

  const cases: Array<{ name: string; args: (out: string) => string[]; code: number; message: RegExp }> = [
    {
      name: 'an unknown option',
      args: (out) => ['synth', '--out', out, '--small', '--colour', 'red'],
      code: 2,
      message: /unknown option '--colour'/,
    },
    {
      name: 'a non-integer seed',
      args: (out) => ['synth', '--out', out, '--seed', 'abc'],
      code: 2,
      message: /--seed <n>.*expected an integer >= 0, got "abc"/,
    },
    { name: 'no --out', args: () => ['synth', '--small'], code: 2, message: /required option '--out <dir>'/ },
    {
      name: 'a config with an unknown class',
      args: (out) => [
        'synth',
        '--out',
        out,
        '--small',
        '--config',
        config('class.json', { backgrounds: { pools: { unicorn: ['sky'] } } }),
      ],
      code: 2,
      message: /class\.json: invalid configuration:\n {2}\/backgrounds\/pools: unknown class "unicorn"/,
    },
    {
      name: 'a config with an unknown scene',
      args: (out) => [
        'synth',
        '--out',
        out,
        '--small',
        '--config',
        config('scene.json', { backgrounds: { pools: { fish: ['ocean_floor'] } } }),
      ],
      code: 2,
      message: /\/backgrounds\/pools\/fish: unknown scene\(s\) ocean_floor; the scenes are .*water/,
    },
    {
      name: 'a pool with too few photos',
      args: (out) => [
        'synth',
        '--out',
        out,
        '--small',
        '--config',
        config('pool.json', { backgrounds: { pools: { bird: ['building_interior'] } } }),
      ],
      code: 2,
      message: /too few photos per pool \(min_pool_size 10\): bird has 1 \(scenes: building_interior\)/,
    },
    {
      name: 'a misspelt key',
      args: (out) => [
        'synth',
        '--out',
        out,
        '--config',
        config('key.json', { annotator: { click: { inside_rate: 0.8 } } }),
      ],
      code: 2,
      message: /\/annotator\/click: unknown key "inside_rate"/,
    },
    {
      name: 'an out-of-range rate',
      args: (out) => ['synth', '--out', out, '--config', config('rate.json', { rho: 1.5 })],
      code: 2,
      message: /\/rho: must be <= 1/,
    },
    {
      name: 'a config that is not JSON',
      args: (out) => ['synth', '--out', out, '--config', config('broken.json', '{ rho: ')],
      code: 2,
      message: /broken\.json: not valid JSON/,
    },
    {
      name: 'a missing config file',
      args: (out) => ['synth', '--out', out, '--config', join(work, 'absent.json')],
      code: 2,
      message: /cannot read --config .*absent\.json/,
    },
    {
      name: 'an unknown held-out icon set',
      args: (out) => [
        'synth',
        '--out',
        out,
        '--config',
        config('icons.json', { icons: { heldout_sets: ['wingdings'] } }),
      ],
      code: 2,
      message: /unknown icon set\(s\) wingdings/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const out = join(work, `out-${c.name.replace(/\W+/g, '-')}`);
      const run = await luab(c.args(out));
      assert.equal(run.code, c.code, run.stderr);
      assert.match(run.stderr, c.message);
      assertNothingWritten(out);
    });
  }

  it('refuses a folder that holds something else, even with --force', async () => {
    const out = join(work, 'busy');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const run = await luab(['synth', '--out', out, '--small', '--force']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /is not empty and holds no luab synth run/);
    assert.deepEqual(readdirSync(out), ['notes.txt']);
  });

  it('refuses a folder with another run unless --force, and says when the same run is there', async () => {
    const out = join(work, 'run');
    const small = [
      'synth',
      '--out',
      out,
      '--small',
      '--quiet',
      '--config',
      config('tiny.json', { suites: { enabled: [] }, contact_sheet_images: 0 }),
    ];
    assert.equal((await luab([...small, '--seed', '1'])).code, 0);
    const other = await luab(['synth', '--out', out, '--small', '--seed', '2']);
    assert.equal(other.code, 1);
    assert.match(
      other.stderr,
      /already holds another synth run \(its seed 1, other parameters than this seed 2 run\); use --force/,
    );
    const same = await luab(['synth', '--out', out, '--small', '--seed', '1', '--config', small[small.length - 1]]);
    assert.equal(same.code, 0);
    assert.match(same.stderr, /already holds this run \(seed 1, same parameters\)/);
    const forced = await luab([...small, '--seed', '2', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
  });

  it('leaves no complete-looking folder when interrupted', async () => {
    const out = join(work, 'interrupted');
    // Interrupt as soon as the staging folder appears (an event, not a timer).
    const staged = new Promise<void>((resolve) => {
      const watcher = watch(work, (_event, name) => {
        if (name?.startsWith('interrupted.partial-')) {
          watcher.close();
          resolve();
        }
      });
    });
    const child = spawn(process.execPath, [LUAB, 'synth', '--out', out, '--small', '--quiet'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    await staged;
    child.kill('SIGINT');
    const ended = await exited;
    assert.ok(ended === 'SIGINT' || ended === 0, `ended with ${String(ended)}`);
    if (ended === 'SIGINT') assertNothingWritten(out);
    else assert.ok(existsSync(join(out, 'manifest.json')), 'a run that finished first is complete');
  });
});
