/** The HTTP port honours --auth-token-file like the gRPC port: health stays open, everything else needs a token. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('HTTP port with bearer tokens', function () {
  let t: TestServer;
  let work: string;
  let base: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'luab-http-auth-'));
    writeFileSync(join(work, 'tokens'), 'first-token\nsecond-token\n');
    t = await startTestServer({ modelsDir: GOOD_MODELS, httpPort: -1, authTokenFile: join(work, 'tokens') });
    base = `http://127.0.0.1:${t.server.httpPort}`;
  });
  after(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers health without a token', async () => {
    assert.equal((await fetch(`${base}/v2/health/ready`)).status, 200);
  });

  it('refuses the rest without an accepted token, with the reason', async () => {
    for (const path of ['/v2', '/metrics', '/v2/models/centroid']) {
      const missing = await fetch(`${base}${path}`);
      assert.equal(missing.status, 401, path);
      assert.match(((await missing.json()) as { error: string }).error, /^authorization: missing/);
      const wrong = await fetch(`${base}${path}`, { headers: { Authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 403, path);
      assert.match(((await wrong.json()) as { error: string }).error, /^authorization: the token is not accepted/);
      const right = await fetch(`${base}${path}`, { headers: { Authorization: 'Bearer second-token' } });
      assert.equal(right.status, 200, path);
    }
  });
});
