/**
 * Interoperability: a client in another gRPC implementation (Debian's python3-grpcio, C-core) with stubs
 * generated from proto/ calls the server. It needs /usr/bin/python3 with grpcio and grpc_tools, which
 * scripts/setup.sh installs; without them this test fails (it does not skip).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS, REPO_ROOT } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const PYTHON = process.env.LUAB_PYTHON ?? '/usr/bin/python3';

describe('a Python grpcio client', function () {
  let t: TestServer;
  let work: string;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    work = mkdtempSync(join(tmpdir(), 'luab-py-'));
  });
  after(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('generates stubs from proto/ and calls Predict and ListModels', async () => {
    const stubs = join(work, 'stubs');
    mkdirSync(stubs);
    execFileSync(
      PYTHON,
      [
        '-m',
        'grpc_tools.protoc',
        `-I${join(REPO_ROOT, 'proto')}`,
        `--python_out=${stubs}`,
        `--grpc_python_out=${stubs}`,
        join(REPO_ROOT, 'proto', 'luab', 'v1', 'inference.proto'),
      ],
      {
        stdio: 'pipe',
      },
    );
    const imagePath = join(work, 'disc.jpg');
    writeFileSync(imagePath, await discImage(240, 160, [{ cx: 180, cy: 50, r: 14 }], 'jpeg'));
    // Asynchronously: the server runs in this process and must keep its event loop turning meanwhile.
    const { stdout: output } = await promisify(execFile)(
      PYTHON,
      [join(REPO_ROOT, 'test', 'python', 'predict_client.py'), stubs, t.address, imagePath, 'centroid'],
      {
        encoding: 'utf8',
      },
    );
    const { response, models, error } = JSON.parse(output);
    assert.equal(response.id, 'python');
    assert.equal(response.model, 'centroid');
    assert.equal(response.classes.length, 2);
    assert.ok(
      Math.abs(response.point.x_px - 180) < 4 && Math.abs(response.point.y_px - 50) < 4,
      JSON.stringify(response.point),
    );
    assert.deepEqual(models, ['centroid', 'centroid-multi', 'centroid-squash']);
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.details, /^model: no model named "no-such-model"/);
  });
});
