/**
 * Model lifecycle without downtime: new versions load beside the serving one and take over, the old one drains and
 * is released; a broken new version leaves the old one serving and says why; the version policy decides what is
 * served; --poll-ms notices a new version folder by itself; a removed model answers NOT_FOUND.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { LuabError } from '../client/luab-client.js';
import { ModelVersion_State } from '../proto/generated/luab/v1/inference.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { healthCheck } from './helpers/raw-clients.js';
import { modelHealthName } from '../server/grpc/grpc-server.js';

const SOURCE = join(GOOD_MODELS, 'centroid', '1', 'model.onnx');

function repositoryWith(config: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'luab-reload-'));
  cpSync(join(GOOD_MODELS, 'centroid', '1'), join(dir, 'm', '1'), { recursive: true });
  writeConfig(dir, config);
  return dir;
}

function writeConfig(dir: string, serving: Record<string, unknown>): void {
  const base = JSON.parse(
    JSON.stringify(
      // The fixture's config with the serving section replaced.
      { ...readJson(join(GOOD_MODELS, 'centroid', 'config.json')), serving: { max_batch_size: 8, ...serving } },
    ),
  );
  writeFileSync(join(dir, 'm', 'config.json'), JSON.stringify(base, null, 2));
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const addVersion = (dir: string, version: number) => cpSync(SOURCE, join(dir, 'm', String(version), 'model.onnx'));

describe('model reload without downtime', function () {
  let dir: string;
  let t: TestServer;
  let image: Buffer;
  before(async () => {
    dir = repositoryWith();
    t = await startTestServer({ modelsDir: dir, workers: 1 });
    image = await discImage(100, 80, [{ cx: 50, cy: 40, r: 10 }]);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a constant stream of requests across ten reloads with zero failures', async () => {
    let stop = false;
    const failures: string[] = [];
    const versionsSeen = new Set<number>();
    let answered = 0;
    const loop = async () => {
      while (!stop) {
        try {
          const response = await t.client.predict({ image, model: 'm' });
          versionsSeen.add(response.version);
          answered += 1;
        } catch (error) {
          failures.push((error as LuabError).details ?? String(error));
        }
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    for (let version = 2; version <= 11; version++) {
      addVersion(dir, version); // a new version folder: latest-only policy switches to it
      await t.server.repository.reload('m');
      assert.deepEqual(
        t.server.repository.list()[0].versions.map((v) => v.version),
        [version],
        'only the latest version is served',
      );
    }
    const last = await t.client.predict({ image, model: 'm' });
    assert.equal(last.version, 11, 'a request after the last reload is served by the last version');
    stop = true;
    await Promise.all(loops);
    assert.deepEqual(failures, [], `${failures.length} of ${answered + failures.length} requests failed`);
    assert.ok(versionsSeen.size > 1, `the stream was served by several versions: ${[...versionsSeen]}`);
  });

  it('keeps the serving version when a new one is broken, and says why in GetModel', async () => {
    const serving = (await t.client.predict({ image, model: 'm' })).version;
    const broken = serving + 1;
    cpSync(SOURCE, join(dir, 'm', String(broken), 'model.onnx'));
    writeFileSync(join(dir, 'm', String(broken), 'model.onnx'), 'not a model');
    await t.server.repository.reload('m');
    assert.equal((await t.client.predict({ image, model: 'm' })).version, serving, 'the old version still serves');
    const info = await t.client.getModel('m');
    const failed = info.versions.find((v) => v.version === broken);
    assert.equal(failed?.state, ModelVersion_State.STATE_FAILED);
    assert.match(info.error, /reload failed, the loaded versions keep serving: version \d+: /);
    rmSync(join(dir, 'm', String(broken)), { recursive: true });
    await t.server.repository.reload('m');
    assert.equal((await t.client.getModel('m')).error, '');
  });

  it('follows the version policy: all, then specific', async () => {
    writeConfig(dir, { version_policy: 'all' });
    await t.server.repository.reload('m');
    const all = (await t.client.getModel('m')).versions.map((v) => v.version);
    assert.deepEqual(all, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    writeConfig(dir, { version_policy: { specific: [2, 5] } });
    await t.server.repository.reload('m');
    assert.deepEqual(
      (await t.client.getModel('m')).versions.map((v) => v.version),
      [2, 5],
    );
    assert.equal((await t.client.predict({ image, model: 'm', version: 2 })).version, 2);
    await assert.rejects(
      t.client.predict({ image, model: 'm', version: 11 }),
      (e: LuabError) => e.code === status.NOT_FOUND && /no version 11/.test(e.details),
    );
  });

  it('unloads a model whose folder is gone: NOT_FOUND', async () => {
    const moved = `${dir}-moved`;
    cpSync(join(dir, 'm'), moved, { recursive: true });
    rmSync(join(dir, 'm'), { recursive: true });
    await t.server.repository.reload('m');
    await assert.rejects(
      t.client.predict({ image, model: 'm' }),
      (e: LuabError) => e.code === status.NOT_FOUND && /no model named "m"/.test(e.details),
    );
    assert.equal(await healthCheck(t.address, modelHealthName('m')), 'NOT_SERVING');
    cpSync(moved, join(dir, 'm'), { recursive: true });
    rmSync(moved, { recursive: true });
    await t.server.repository.reload('m');
    assert.equal((await t.client.predict({ image, model: 'm', version: 5 })).version, 5);
  });
});

describe('--poll-ms', function () {
  let dir: string;
  let t: TestServer;
  before(async () => {
    dir = repositoryWith();
    t = await startTestServer({ modelsDir: dir, workers: 1, pollMs: 50 });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('notices a new version folder and serves it', async () => {
    const reloaded = new Promise<void>((resolve) =>
      t.server.repository.onReadinessChange(() => {
        if (t.server.repository.list()[0]?.versions.some((v) => v.version === 2 && v.state === 'ready')) resolve();
      }),
    );
    addVersion(dir, 2);
    await reloaded;
    const image = await discImage(100, 80, [{ cx: 50, cy: 40, r: 10 }]);
    assert.equal((await t.client.predict({ image, model: 'm' })).version, 2);
  });
});
