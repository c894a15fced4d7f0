/**
 * The shipped model repository (models/, what `luab serve` serves by default): LUAB's luab-in9-cnn is the default
 * model whatever else is shipped beside it (the server's default is the first ready model by name), every model's
 * provenance is the synthetic benchmark's recipe (small CNN, 30 epochs, seed 0, data/synth), each ships its training
 * log, resolved config and curves, the log ends at the metrics its provenance records, and models/README.md quotes
 * each model's top-1 from its provenance.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';
import { startTestServer } from './helpers/test-server.js';

const MODELS_DIR = join(REPO_ROOT, 'models');
const NAMES = readdirSync(MODELS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const config = (name: string) => JSON.parse(readFileSync(join(MODELS_DIR, name, 'config.json'), 'utf8'));

describe('the shipped models (models/)', () => {
  it('serves every model folder, with LUAB (luab-in9-cnn) the default', async () => {
    assert.ok(NAMES.includes('luab-in9-cnn'), NAMES.join(', '));
    const t = await startTestServer({ modelsDir: MODELS_DIR });
    try {
      const list = await t.client.listModels();
      assert.equal(list.defaultModel, 'luab-in9-cnn');
      assert.deepEqual(list.models.map((m) => m.name).sort(), NAMES);
    } finally {
      await t.close();
    }
    assert.equal(config('luab-in9-cnn').provenance.objective, 'luab');
  });

  for (const name of NAMES) {
    it(`${name}: the recipe's provenance, and a shipped log ends at the recorded metrics`, () => {
      const { provenance, outputs } = config(name);
      assert.ok(['baseline', 'rand', 'luab'].includes(provenance.objective), provenance.objective);
      assert.deepEqual([provenance.model, provenance.epochs, provenance.seed], ['small_cnn', 30, 0]);
      assert.deepEqual([provenance.data.data_dir, provenance.data.target_rule], ['data/synth', 'first-selected-mean']);
      assert.equal('point' in outputs, provenance.objective !== 'baseline'); // the baseline has no point head
      // Every model ships the run's training record beside its config (models/README.md).
      for (const file of ['log.jsonl', 'args.yaml', 'curves.png']) {
        assert.ok(existsSync(join(MODELS_DIR, name, file)), `${name}/${file} is missing`);
      }
      const log = join(MODELS_DIR, name, 'log.jsonl');
      const lines = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, provenance.epochs);
      const last = lines[lines.length - 1];
      for (const [key, value] of Object.entries(provenance.final_metrics)) assert.equal(last[key], value, key);
    });
  }

  it('models/README.md has a section per model quoting its validation top-1 from its own provenance', () => {
    const readme = readFileSync(join(MODELS_DIR, 'README.md'), 'utf8');
    for (const name of NAMES) {
      const section = readme.split(/^## /m).find((s) => s.startsWith(`\`${name}\``));
      assert.ok(section, `no "## \`${name}\`" section`);
      const top1 = config(name).provenance.final_metrics.val_top1.toFixed(3);
      assert.ok(section.includes(`top-1 ${top1}`), `${name}: its section lacks "top-1 ${top1}"`);
    }
  });
});
