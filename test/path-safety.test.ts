/**
 * Model names and versions never reach outside the model repository: names with `..`, absolute paths or
 * separators are unknown models (requests are looked up, never joined to a path), and a model, version or file
 * in the repository that is a symbolic link out of it is not loaded. A link within the repository still works.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LuabError } from '../client/luab-client.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('path safety of the model repository', function () {
  let t: TestServer;
  let scratch: string;
  let image: Buffer;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'luab-paths-'));
    const repo = join(scratch, 'repo');
    const outside = join(scratch, 'outside');
    mkdirSync(repo);
    cpSync(join(GOOD_MODELS, 'centroid'), join(repo, 'centroid'), { recursive: true });
    cpSync(join(GOOD_MODELS, 'centroid'), join(outside, 'model'), { recursive: true });
    // A whole model folder linked out of the repository.
    symlinkSync(join(outside, 'model'), join(repo, 'linked-model'));
    // A model whose version folder is a link out.
    mkdirSync(join(repo, 'linked-version'));
    cpSync(join(GOOD_MODELS, 'centroid', 'config.json'), join(repo, 'linked-version', 'config.json'));
    symlinkSync(join(outside, 'model', '1'), join(repo, 'linked-version', '1'));
    // A model whose model.onnx is a link out.
    mkdirSync(join(repo, 'linked-file', '1'), { recursive: true });
    cpSync(join(GOOD_MODELS, 'centroid', 'config.json'), join(repo, 'linked-file', 'config.json'));
    symlinkSync(join(outside, 'model', '1', 'model.onnx'), join(repo, 'linked-file', '1', 'model.onnx'));
    // A model whose config.json is a link out.
    cpSync(join(GOOD_MODELS, 'centroid'), join(repo, 'linked-config'), { recursive: true });
    rmSync(join(repo, 'linked-config', 'config.json'));
    symlinkSync(join(outside, 'model', 'config.json'), join(repo, 'linked-config', 'config.json'));
    // A link that stays inside the repository: an alias, which is served.
    symlinkSync(join(repo, 'centroid'), join(repo, 'alias'));

    t = await startTestServer({ modelsDir: repo, defaultModel: 'centroid' });
    image = await discImage(64, 48, [{ cx: 30, cy: 20, r: 8 }], 'png');
  });
  after(async () => {
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function codeOf(promise: Promise<unknown>): Promise<{ code: string; details: string }> {
    try {
      await promise;
      return { code: 'OK', details: '' };
    } catch (error) {
      assert.ok(error instanceof LuabError, String(error));
      return { code: error.codeName, details: error.details };
    }
  }

  for (const name of [
    '..',
    '../repo/centroid',
    'centroid/../centroid',
    '/etc/passwd',
    join(GOOD_MODELS, 'centroid'),
    '.',
  ]) {
    it(`Predict and GetModel with model "${name}" → NOT_FOUND`, async () => {
      const predicted = await codeOf(t.client.predict({ image, model: name }));
      assert.equal(predicted.code, 'NOT_FOUND', predicted.details);
      assert.match(predicted.details, /^model: no model named/);
      const got = await codeOf(t.client.getModel(name));
      assert.equal(got.code, 'NOT_FOUND', got.details);
    });
  }

  for (const [model, what] of [
    ['linked-model', 'folder'],
    ['linked-version', 'version folder'],
    ['linked-file', 'model.onnx'],
    ['linked-config', 'config.json'],
  ]) {
    it(`a model whose ${what} links out of the repository is not served, and says why`, async () => {
      const answer = await codeOf(t.client.predict({ image, model }));
      assert.equal(answer.code, 'UNAVAILABLE', answer.details);
      assert.match(answer.details, /outside the model repository/);
      const info = (await t.client.listModels()).models.find((m) => m.name === model);
      assert.ok(info, `${model} is listed`);
      const said = [info.error, ...info.versions.map((v) => v.error)].join(' ');
      assert.match(said, /outside the model repository \/.*; links out of the repository are refused/);
    });
  }

  it('a link within the repository (an alias model) is served', async () => {
    assert.equal((await t.client.predict({ image, model: 'alias' })).classes.length, 3);
    assert.equal((await t.client.predict({ image })).model, 'centroid');
  });
});
