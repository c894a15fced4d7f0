/**
 * Explicit model control beside --poll-ms: an unload (RepositoryModelUnload) sticks until an explicit load, the
 * poller does not bring the model back even when its files change; and load/unload/reload of one model run one at
 * a time, so an unload asked while a reload is loading is not undone when that reload finishes.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/** A repository with two copies of the centroid model, `a` and `b`. */
function twoModels(): string {
  const dir = mkdtempSync(join(tmpdir(), 'luab-control-'));
  for (const name of ['a', 'b']) cpSync(join(GOOD_MODELS, 'centroid'), join(dir, name), { recursive: true });
  return dir;
}

/** Gives every model.onnx of `model` a new modification time: the next reload must load it again. */
function touch(dir: string, model: string, seconds: number): void {
  const later = new Date(Date.now() + seconds * 1000);
  for (const version of ['1', '3']) utimesSync(join(dir, model, version, 'model.onnx'), later, later);
}

describe('explicit model control with polling', function () {
  let dir: string;
  let t: TestServer | undefined;
  beforeEach(() => (dir = twoModels()));
  afterEach(async () => {
    await t?.close();
    t = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps an unloaded model unloaded across polls, until an explicit load', async () => {
    t = await startTestServer({ modelsDir: dir, workers: 1, pollMs: 50 });
    const repository = t.server.repository;
    await repository.unloadModel('a');
    assert.equal(repository.isReady('a'), false);
    // Both models' files change; one poll pass goes through the models in name order, so once `b` has been
    // reloaded the pass has also been past `a`.
    touch(dir, 'a', 60);
    touch(dir, 'b', 60);
    const logsBefore = t.logs.length;
    const reloaded = (name: string) => t!.logs.slice(logsBefore).some((l) => l.msg === `model "${name}" reloaded`);
    while (!reloaded('b')) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reloaded('a'), false, 'the poller reloaded the model unloaded by request');
    assert.equal(repository.isReady('a'), false);
    assert.equal(repository.list().find((m) => m.name === 'a')?.error, 'unloaded');

    await repository.loadModel('a');
    assert.equal(repository.isReady('a'), true);
    // Watched again: a change is picked up by the poller.
    touch(dir, 'a', 120);
    const afterLoad = t.logs.length;
    while (!t.logs.slice(afterLoad).some((l) => l.msg === 'model "a" reloaded')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(repository.isReady('a'), true);
  });

  it('runs an unload asked during a reload after it, so the model ends unloaded', async () => {
    t = await startTestServer({ modelsDir: dir, workers: 1 });
    const repository = t.server.repository;
    touch(dir, 'a', 60); // the reload has versions to load, which takes a while
    const reload = repository.reload('a');
    const unload = repository.unloadModel('a');
    await Promise.all([reload, unload]);
    assert.equal(repository.isReady('a'), false, 'the reload finished after the unload and brought the model back');
    assert.equal(repository.list().find((m) => m.name === 'a')?.error, 'unloaded');
    assert.equal(repository.isReady('b'), true);
  });

  it('runs a load asked during an unload after it, so the model ends loaded', async () => {
    t = await startTestServer({ modelsDir: dir, workers: 1 });
    const repository = t.server.repository;
    const unload = repository.unloadModel('a');
    const load = repository.loadModel('a');
    await Promise.all([unload, load]);
    assert.equal(repository.isReady('a'), true);
  });
});
