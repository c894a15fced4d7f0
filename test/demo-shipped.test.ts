/**
 * `luab demo --shipped` reproduces the shipped models: its settings are the ones models/README.md gives (luab
 * synth's default size, 30 epochs, seed 0), and the trainer configuration the demo runs for each objective,
 * resolved by the trainer itself, is the one each shipped model recorded in its args.yaml, apart from where the
 * data, the runs and the export go. Needs /usr/bin/python3 with the trainer's dependencies (scripts/setup.sh).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { settingsFrom } from '../client/commands/demo.js';
import { OBJECTIVES } from '../demo/settings.js';
import { trainArgs } from '../demo/trainer-args.js';
import { runLuab } from './helpers/luab-cli.js';
import { REPO_ROOT } from './helpers/paths.js';

const SHIPPED_NAME = { baseline: 'luab-in9-cnn-baseline', rand: 'luab-in9-cnn-rand', luab: 'luab-in9-cnn' } as const;

/** Keys that say where the data, the run and the export are, and whether a progress bar is drawn: not what is trained. */
const PLACE_KEYS = ['data_dir', 'output', 'experiment', 'export_to', 'progress'];

/** The trainer's resolved configuration for a `python -m luab_trainer train ...` command line, as JSON. */
function resolvedByTrainer(args: string[]): Record<string, unknown> {
  const script = [
    'import json, sys',
    'from luab_trainer.config import resolve',
    'print(json.dumps(resolve(sys.argv[1:]).to_dict()))',
  ].join('\n');
  const stdout = execFileSync('/usr/bin/python3', ['-c', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONPATH: join(REPO_ROOT, 'trainer') },
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** A shipped model's args.yaml, read by the trainer's own YAML loader (so both sides are typed alike). */
function shippedArgs(name: string): Record<string, unknown> {
  const file = join(REPO_ROOT, 'models', name, 'args.yaml');
  const script = 'import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1]))))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' })) as Record<
    string,
    unknown
  >;
}

const withoutPlaces = (config: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(config).filter(([key]) => !PLACE_KEYS.includes(key)));

describe('luab demo --shipped', () => {
  const settings = settingsFrom({ out: '/tmp/demo', shipped: true });

  it("has the shipped models' settings: luab synth's own default size, 30 epochs, seed 0", () => {
    assert.deepEqual(settings.seeds, [0]);
    assert.equal(settings.epochs, 30);
    assert.deepEqual(settings.synth, { small: false, config: {} });
    assert.equal(settings.quick, false);
  });

  for (const objective of OBJECTIVES) {
    it(`trains ${objective} with the configuration models/${SHIPPED_NAME[objective]}/args.yaml records`, () => {
      const args = trainArgs(REPO_ROOT, {
        objective,
        seed: settings.seeds[0],
        epochs: settings.epochs,
        dataDir: '/tmp/demo/data',
        runsDir: '/tmp/demo/runs',
        experiment: `${objective}-s0`,
        lambda: settings.lambda,
        quick: settings.quick,
      });
      const demo = resolvedByTrainer(args.slice(['-m', 'luab_trainer', 'train'].length));
      const shipped = shippedArgs(SHIPPED_NAME[objective]);
      assert.deepEqual(Object.keys(demo).sort(), Object.keys(shipped).sort());
      assert.deepEqual(withoutPlaces(demo), withoutPlaces(shipped));
      assert.equal(demo.data_dir, '/tmp/demo/data');
    });
  }

  it('cannot be combined with --quick (exit 2, naming both)', async () => {
    const both = await runLuab(['demo', '--shipped', '--quick', '--out', '/tmp/luab-demo-never']);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /'--shipped' cannot be used with option '--quick'/);
  });
});
