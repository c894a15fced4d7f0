/** The contract's JSON Schema, as the server applies it to config.json (the trainer's tests apply the same file). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelConfigError, validateModelConfig } from '../server/model-repository/model-config.js';
import { GOOD_MODELS } from './helpers/paths.js';

const good = () => JSON.parse(readFileSync(join(GOOD_MODELS, 'centroid', 'config.json'), 'utf8'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests poke at arbitrary JSON
function rejects(mutate: (config: Record<string, any>) => void, message: RegExp) {
  const config = good();
  mutate(config);
  assert.throws(
    () => validateModelConfig(config, 'x/config.json'),
    (error: unknown) => {
      assert.ok(error instanceof ModelConfigError);
      assert.match(error.message, /^x\/config\.json: does not match the model config schema: /);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('model config schema', () => {
  it('accepts every fixture config', () => {
    for (const name of readdirSync(GOOD_MODELS)) {
      validateModelConfig(JSON.parse(readFileSync(join(GOOD_MODELS, name, 'config.json'), 'utf8')), name);
    }
  });
  it('rejects an unknown key, naming it', () => rejects((c) => (c.inputs = {}), /unknown key "inputs"/));
  it('rejects a missing input size', () =>
    rejects((c) => delete c.input.height, /input: must have required property 'height'/));
  it('rejects an unknown task', () =>
    rejects((c) => (c.task = 'detection'), /task: must be equal to one of the allowed values/));
  it('rejects crop_pct above 1', () =>
    rejects((c) => (c.preprocess.crop_pct = 1.2), /preprocess\.crop_pct: must be <= 1/));
  it('rejects a zero std', () => rejects((c) => (c.preprocess.std = [0.2, 0, 0.2]), /preprocess\.std\.1: must be > 0/));
  it('rejects a malformed wnid', () =>
    rejects((c) => (c.labels[0].wnid = 'dog'), /labels\.0\.wnid: must match pattern/));
  it('rejects per-class points on a single-label model', () =>
    rejects((c) => (c.outputs = { logits: 'logits', points: 'points' }), /outputs: must NOT be valid/));
  it('accepts a classes-only model (no point head)', () => {
    const config = good();
    config.outputs = { logits: 'logits' };
    validateModelConfig(config, 'x');
  });
});
