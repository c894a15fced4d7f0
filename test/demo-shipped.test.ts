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
import { demoTrainArgs } from '../demo/run-demo.js';
import { OBJECTIVES } from '../demo/settings.js';
import { runLuab } from './helpers/luab-cli.js';
import { REPO_ROOT } from './helpers/paths.js';

const SHIPPED_NAME = { baseline: 'luab-in9-cnn-baseline', rand: 'luab-in9-cnn-rand', luab: 'luab-in9-cnn' } as const;

/** Keys that say where the data, the run and the export are, and whether a progress bar is drawn: not what is trained. */
const PLACE_KEYS = ['data_dir', 'output', 'experiment', 'export_to', 'progress'];

/**
 * For a `python -m luab_trainer train ...` command line: the trainer's resolved configuration, and a shipped
 * model's args.yaml read by the same YAML loader (so both sides are typed alike), in one interpreter.
 */
function resolvedAndShipped(
  args: string[],
  argsYaml: string,
): { demo: Record<string, unknown>; shipped: Record<string, unknown> } {
  const script = [
    'import json, sys, yaml',
    'from luab_trainer.config import resolve',
    'shipped = yaml.safe_load(open(sys.argv[1]))',
    'print(json.dumps({"demo": resolve(sys.argv[2:]).to_dict(), "shipped": shipped}))',
  ].join('\n');
  const stdout = execFileSync('/usr/bin/python3', ['-c', script, argsYaml, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, PYTHONPATH: join(REPO_ROOT, 'trainer') },
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as { demo: Record<string, unknown>; shipped: Record<string, unknown> };
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
      const args = demoTrainArgs(REPO_ROOT, '/tmp/demo', settings, objective, settings.seeds[0]);
      const { demo, shipped } = resolvedAndShipped(
        args.slice(['-m', 'luab_trainer', 'train'].length),
        join(REPO_ROOT, 'models', SHIPPED_NAME[objective], 'args.yaml'),
      );
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
