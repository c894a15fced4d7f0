/**
 * A bad model fails to load with a message naming its file and the mismatch; the other models keep serving.
 * The broken fixtures are built by test/fixtures/models/build_fixtures.py.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { LuabError, ModelInfo } from '../client/luab-client.js';
import { discImage } from './helpers/images.js';
import { BAD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('loading a model repository with broken models', function () {
  let t: TestServer;
  let models: Map<string, ModelInfo>;
  before(async () => {
    t = await startTestServer({ modelsDir: BAD_MODELS });
    models = new Map((await t.client.listModels()).models.map((m) => [m.name, m]));
  });
  after(async () => t.close());

  const versionError = (name: string) => models.get(name)?.versions[0]?.error ?? '';

  it('reports an input name the model does not have, naming both files', () => {
    const error = versionError('wrong-input-name');
    assert.ok(error.includes(join(BAD_MODELS, 'wrong-input-name', '1', 'model.onnx')), error);
    assert.match(error, /config input\.name is "image" but the model's inputs are "pixels"/);
  });

  it('reports logits with the wrong number of classes', () => {
    assert.match(versionError('wrong-class-count'), /output "logits" has shape \[N, 6\], expected \[N, 3\]/);
  });

  it('reports an output the config names but the model lacks', () => {
    assert.match(
      versionError('missing-output'),
      /config names output "object_point" but the model's outputs are "logits", "point"/,
    );
  });

  it('reports a config.json that breaks the schema, naming the file and the keys', () => {
    const error = models.get('bad-config')?.error ?? '';
    assert.ok(error.startsWith(join(BAD_MODELS, 'bad-config', 'config.json')), error);
    assert.match(error, /labels: must NOT have fewer than 1 items/);
    assert.match(error, /must have required property 'input'/);
  });

  it('reports a file that is not an ONNX model', () => {
    const error = versionError('corrupt-onnx');
    assert.ok(error.includes(join(BAD_MODELS, 'corrupt-onnx', '1', 'model.onnx')), error);
  });

  it('keeps serving the healthy model, which becomes the default', async () => {
    const list = await t.client.listModels();
    assert.equal(list.defaultModel, 'healthy');
    const image = await discImage(90, 60, [{ cx: 30, cy: 30, r: 8 }]);
    const response = await t.client.predict({ image });
    assert.equal(response.model, 'healthy');
  });

  it('answers requests for a failed model with UNAVAILABLE and the reason', async () => {
    const image = await discImage(90, 60, [{ cx: 30, cy: 30, r: 8 }]);
    await assert.rejects(t.client.predict({ image, model: 'wrong-class-count' }), (e: LuabError) => {
      assert.equal(e.code, status.UNAVAILABLE);
      assert.match(e.details, /^model: "wrong-class-count" has no version ready \(1: .*output "logits" has shape/);
      return true;
    });
    await assert.rejects(t.client.predict({ image, model: 'bad-config' }), (e: LuabError) => {
      assert.equal(e.code, status.UNAVAILABLE);
      assert.match(e.details, /^model: "bad-config" failed to load: .*config\.json/);
      return true;
    });
  });
});
