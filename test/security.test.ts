/**
 * TLS, mutual TLS and bearer tokens, with certificates made for the test by the openssl command: a CA that signs
 * the server's and a client's certificate, and a second CA whose client certificate the server must refuse.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { LuabClient, LuabError, type LuabClientOptions } from '../client/luab-client.js';
import { ConfigError, DEFAULTS } from '../server/config.js';
import { startServer } from '../server/grpc/grpc-server.js';
import { tokenAccepted } from '../server/grpc/security.js';
import { discImage } from './helpers/images.js';
import { runLuab } from './helpers/luab-cli.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { healthCheck, reflectionListServices } from './helpers/raw-clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A self-signed CA: `name`.pem and `name`.key in `dir`. */
function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}

/** A key and certificate `name` signed by CA `ca`: a server certificate when `san` is given, else a client's. */
function makeSigned(dir: string, ca: string, name: string, san?: string): void {
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    extFile,
    '-out',
    `${name}.pem`,
  );
}

describe('security: TLS, mutual TLS and bearer tokens', function () {
  let dir: string;
  const file = (name: string) => join(dir, name);
  const pem = (name: string) => readFileSync(file(name));
  let image: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'luab-tls-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'rogue-ca');
    makeSigned(dir, 'ca', 'server', 'DNS:localhost,IP:127.0.0.1');
    makeSigned(dir, 'ca', 'client');
    makeSigned(dir, 'rogue-ca', 'rogue-client');
    writeFileSync(file('tokens'), 'first-token-0123456789\n\nsecond-token-abcdef\n');
    writeFileSync(file('client-token'), 'second-token-abcdef\n');
    image = await discImage(64, 48, [{ cx: 30, cy: 20, r: 8 }], 'png');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function outcome(options: LuabClientOptions, address: string): Promise<string> {
    const client = new LuabClient(address, options);
    try {
      const response = await client.predict({ image }, { timeoutMs: 10_000 });
      return `OK ${response.classes.length}`;
    } catch (error) {
      assert.ok(error instanceof LuabError, String(error));
      return `${error.codeName}: ${error.details}`;
    } finally {
      client.close();
    }
  }

  describe('TLS', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ modelsDir: GOOD_MODELS, tlsCert: file('server.pem'), tlsKey: file('server.key') });
    });
    after(async () => t.close());

    it('a client trusting the CA is served', async () => {
      assert.equal(await outcome({ tls: { ca: pem('ca.pem') } }, `localhost:${t.server.port}`), 'OK 3');
    });

    it('a plaintext client is not', async () => {
      assert.match(await outcome({}, `localhost:${t.server.port}`), /^UNAVAILABLE/);
    });

    it('a client trusting another CA is not', async () => {
      assert.match(await outcome({ tls: { ca: pem('rogue-ca.pem') } }, `localhost:${t.server.port}`), /^UNAVAILABLE/);
    });

    it('health answers over TLS', async () => {
      const tls = credentials.createSsl(pem('ca.pem'));
      assert.equal(await healthCheck(`localhost:${t.server.port}`, '', tls), 'SERVING');
    });
  });

  describe('mutual TLS', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({
        modelsDir: GOOD_MODELS,
        tlsCert: file('server.pem'),
        tlsKey: file('server.key'),
        tlsClientCa: file('ca.pem'),
      });
    });
    after(async () => t.close());
    const address = () => `localhost:${t.server.port}`;

    it('a client with a certificate signed by the client CA is served', async () => {
      const tls = { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') };
      assert.equal(await outcome({ tls }, address()), 'OK 3');
    });

    it('a client without a certificate is refused', async () => {
      assert.match(await outcome({ tls: { ca: pem('ca.pem') } }, address()), /^UNAVAILABLE/);
    });

    it('a client whose certificate another CA signed is refused', async () => {
      const tls = { ca: pem('ca.pem'), cert: pem('rogue-client.pem'), key: pem('rogue-client.key') };
      assert.match(await outcome({ tls }, address()), /^UNAVAILABLE/);
    });
  });

  describe('bearer tokens', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ modelsDir: GOOD_MODELS, authTokenFile: file('tokens') });
    });
    after(async () => t.close());
    const address = () => `127.0.0.1:${t.server.port}`;

    it('no token → UNAUTHENTICATED', async () => {
      assert.match(await outcome({}, address()), /^UNAUTHENTICATED: authorization: missing/);
    });

    it('a wrong token → PERMISSION_DENIED', async () => {
      assert.equal(
        await outcome({ token: 'first-token-012345678X' }, address()),
        'PERMISSION_DENIED: authorization: the token is not accepted',
      );
    });

    it('either token of the file is accepted (rotation)', async () => {
      assert.equal(await outcome({ token: 'first-token-0123456789' }, address()), 'OK 3');
      assert.equal(await outcome({ token: 'second-token-abcdef' }, address()), 'OK 3');
    });

    it('health stays open; reflection does not', async () => {
      assert.equal(await healthCheck(address(), ''), 'SERVING');
      await assert.rejects(
        reflectionListServices(address()),
        (e: { code: number }) => e.code === status.UNAUTHENTICATED,
      );
    });

    it('tokenAccepted compares whole tokens', () => {
      const digests = ['abc', 'abcd'].map((x) => createHash('sha256').update(x).digest());
      assert.equal(tokenAccepted('abc', digests), true);
      assert.equal(tokenAccepted('abcd', digests), true);
      assert.equal(tokenAccepted('ab', digests), false);
      assert.equal(tokenAccepted('abcde', digests), false);
    });
  });

  describe('luab predict', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({
        modelsDir: GOOD_MODELS,
        tlsCert: file('server.pem'),
        tlsKey: file('server.key'),
        authTokenFile: file('tokens'),
      });
      writeFileSync(file('image.png'), image);
    });
    after(async () => t.close());

    it('--tls-ca and --token-file reach a TLS server that wants a token', async () => {
      const address = `localhost:${t.server.port}`;
      const args = ['predict', '--address', address, '--tls-ca', file('ca.pem'), '--json', file('image.png')];
      const ok = await runLuab([...args, '--token-file', file('client-token')]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).classes.length, 3);
      const refused = await runLuab(args);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /UNAUTHENTICATED: authorization: missing/);
    });

    it('luab models takes the same options', async () => {
      const address = `localhost:${t.server.port}`;
      const result = await runLuab([
        'models',
        '--address',
        address,
        '--tls-ca',
        file('ca.pem'),
        '--token-file',
        file('client-token'),
        '--json',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).defaultModel, 'centroid');
    });

    it('a --token-file that cannot be read is a usage error naming it', async () => {
      const result = await runLuab(['predict', '--token-file', file('nope'), file('image.png')]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--token-file: cannot read ".*nope" \(ENOENT\)/);
    });
  });

  describe('bad settings stop the start, naming the flag', () => {
    const log = pino({ level: 'silent' });
    const start = (extra: object) =>
      startServer(
        { ...DEFAULTS, host: '127.0.0.1', port: 0, modelsDir: GOOD_MODELS, device: { kind: 'cpu' }, ...extra },
        log,
      );
    const cases: [string, object, RegExp][] = [
      ['a certificate without its key', { tlsCert: 'server.pem' }, /--tls-cert and --tls-key: give both or neither/],
      ['a client CA without TLS', { tlsClientCa: 'ca.pem' }, /--tls-client-ca: needs --tls-cert and --tls-key/],
      ['an unreadable key', { tlsCert: 'server.pem', tlsKey: 'missing.key' }, /--tls-key: cannot read .*ENOENT/],
      ['an unreadable token file', { authTokenFile: 'missing' }, /--auth-token-file: cannot read .*ENOENT/],
      ['an empty token file', { authTokenFile: 'empty' }, /--auth-token-file: .* holds no token/],
    ];
    for (const [what, settings, message] of cases) {
      it(what, async () => {
        writeFileSync(file('empty'), '\n\n');
        const resolved = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, file(v as string)]));
        await assert.rejects(start(resolved), (e: Error) => e instanceof ConfigError && message.test(e.message));
      });
    }
  });
});
