/**
 * The whole chain a user runs, with the real commands: `luab synth --small` makes a dataset with simulated
 * byproducts, `luab train` trains a small LUAB model on it and exports ONNX + config.json into a model
 * repository, and the server loads that model and returns classes and points. Needs the Python trainer's
 * dependencies (scripts/setup.sh); fails, never skips, without them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';
import { runLuab as luab } from './helpers/luab-cli.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('end to end: synth → train → export → serve', function () {
  this.timeout(600_000);
  let work: string;
  let t: TestServer | undefined;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'luab-e2e-'));
  });
  after(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the points of a model trained from byproducts', async () => {
    const data = join(work, 'synth');
    const models = join(work, 'models');
    const synth = await luab(['synth', '--small', '--out', data, '--quiet']);
    assert.equal(synth.code, 0, synth.stderr);

    const train = await luab([
      'train',
      '--config',
      join(REPO_ROOT, 'trainer', 'configs', 'synth-luab.yaml'),
      '--data-dir',
      data,
      '--epochs',
      '2',
      '--warmup-epochs',
      '0',
      '--batch-size',
      '32',
      '--workers',
      '0',
      '--threads',
      '1',
      '--output',
      join(work, 'runs'),
      '--no-progress',
      '--export-to',
      join(models, 'synth-luab'),
    ]);
    assert.equal(train.code, 0, train.stderr);
    const epochs = train.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(epochs.length, 2, 'one JSON line per epoch on stdout');
    assert.ok(Number.isFinite(epochs[1].loss_point) && epochs[1].val_images > 0);

    const config = JSON.parse(readFileSync(join(models, 'synth-luab', 'config.json'), 'utf8'));
    assert.equal(config.provenance.objective, 'luab');
    const classes = JSON.parse(readFileSync(join(data, 'classes.json'), 'utf8'));
    assert.deepEqual(
      config.labels.map((l: { name: string }) => l.name),
      classes.map((c: { name: string }) => c.name),
    );

    t = await startTestServer({ modelsDir: models });
    const info = await t.client.getModel('synth-luab');
    assert.equal(info.versions[0].error, '', 'the exported model loads');
    const valDir = join(data, 'val', classes[1].wnid);
    const image = readFileSync(join(valDir, readdirSync(valDir)[0]));
    const response = await t.client.predict({ image, model: 'synth-luab', topK: 9 });
    assert.equal(response.classes.length, 9);
    assert.ok(response.point, 'a LUAB model serves its point');
    assert.ok(response.point.x >= 0 && response.point.x <= 1 && response.point.y >= 0 && response.point.y <= 1);
  });
});
