/**
 * The HTTP port honours the gRPC port's security: --auth-token-file (health stays open, everything else needs a
 * token) and --tls-cert/--tls-key (HTTPS with the same certificate).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedServerCertificate } from './helpers/certificates.js';
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

describe('HTTP port with TLS', function () {
  let t: TestServer;
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'luab-http-tls-'));
    makeSelfSignedServerCertificate(work, 'IP:127.0.0.1');
    t = await startTestServer({
      modelsDir: GOOD_MODELS,
      httpPort: -1,
      tlsCert: join(work, 'server.pem'),
      tlsKey: join(work, 'server.key'),
    });
  });
  after(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('speaks HTTPS with the gRPC port certificate, and not plain HTTP', async () => {
    const body = await new Promise<string>((resolve, reject) =>
      get(`https://127.0.0.1:${t.server.httpPort}/v2`, { ca: readFileSync(join(work, 'server.pem')) }, (response) => {
        let text = '';
        response.on('data', (d) => (text += d));
        response.on('end', () => resolve(text));
      }).on('error', reject),
    );
    assert.equal(JSON.parse(body).name, 'luab');
    await assert.rejects(fetch(`http://127.0.0.1:${t.server.httpPort}/v2`));
  });
});
