/**
 * `luab eval` against a secured server (`luab serve --tls-cert/--tls-key --auth-token-file`): the job reaches the
 * inference endpoint with --tls-ca and --token-file (the flags of `luab predict`), the token is not written to
 * job.json, a job without the token is refused before it starts, and `luab eval --server` submits to a secured
 * evaluation server. Certificates are made for the test by the openssl command; images by sharp.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeSelfSignedServerCertificate } from './helpers/certificates.js';
import { runLuab, type CliResult } from './helpers/luab-cli.js';
import { FIXTURE_SUITE } from './helpers/eval-fixture-suite.js';
import { FIXTURE_MODULE, readLines, startEvalServer, startServe, type ServeProcess } from './helpers/eval-helpers.js';

const TOKEN = 'eval-token-0123456789abcdef';
/** Wnids of the default model (models/luab-in9-cnn): dog, bird. */
const WNIDS = ['n02084071', 'n01503061'];
const IMAGES_PER_WNID = 3;

describe('luab eval against a secured server (TLS and bearer token)', function () {
  this.timeout(180_000);
  let dir: string;
  let data: string;
  let secured: ServeProcess;
  const file = (name: string) => join(dir, name);
  const ok = (result: CliResult) => assert.equal(result.code, 0, `luab eval failed:\n${result.stderr}`);
  /** localhost, not 127.0.0.1: the name the certificate is made for, as a client would use it. */
  const securedAddress = () => `localhost:${secured.port}`;
  const evalArgs = (out: string, ...extra: string[]) => [
    'eval',
    '--data',
    data,
    '--suites',
    FIXTURE_SUITE,
    '--suite-module',
    FIXTURE_MODULE,
    '--out',
    out,
    '--quiet',
    ...extra,
  ];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'luab-eval-tls-'));
    // A self-signed certificate for localhost, which is its own CA.
    makeSelfSignedServerCertificate(dir, 'DNS:localhost,IP:127.0.0.1');
    writeFileSync(file('tokens'), `${TOKEN}\n`);
    writeFileSync(file('client-token'), `${TOKEN}\n`);
    data = file('data');
    for (const [w, wnid] of WNIDS.entries()) {
      mkdirSync(join(data, 'suites', 'plain', wnid), { recursive: true });
      for (let i = 0; i < IMAGES_PER_WNID; i++) {
        const jpeg = await sharp({
          create: { width: 64, height: 64, channels: 3, background: { r: 40 * i, g: 120 * w, b: 200 } },
        })
          .jpeg()
          .toBuffer();
        writeFileSync(join(data, 'suites', 'plain', wnid, `${i}.jpg`), jpeg);
      }
    }
    secured = await startServe(
      [
        '--tls-cert',
        file('server.pem'),
        '--tls-key',
        file('server.key'),
        '--auth-token-file',
        file('tokens'),
        '--eval-dir',
        file('eval-dir'),
        // The evaluation service of this server knows the test's suite too.
      ],
      0,
      { LUAB_EVAL_SUITE_MODULES: FIXTURE_MODULE },
    );
  });
  after(async () => {
    await secured?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('--tls-ca and --token-file: every image evaluated; the token is not in job.json', async () => {
    const out = file('run-ok');
    ok(
      await runLuab(
        evalArgs(
          out,
          '--endpoint',
          securedAddress(),
          '--tls-ca',
          file('server.pem'),
          '--token-file',
          file('client-token'),
        ),
      ),
    );
    const lines = readLines(join(out, 'predictions.jsonl'));
    assert.equal(lines.length, WNIDS.length * IMAGES_PER_WNID);
    assert.ok(lines.every((l) => !l.error && l.top5.length > 0));
    assert.doesNotMatch(readFileSync(join(out, 'job.json'), 'utf8'), new RegExp(TOKEN));
  });

  it('the same flags from the environment (LUAB_CLIENT_TLS_CA, LUAB_CLIENT_TOKEN_FILE)', async () => {
    const out = file('run-env');
    ok(
      await runLuab(evalArgs(out, '--endpoint', securedAddress()), {
        LUAB_CLIENT_TLS_CA: file('server.pem'),
        LUAB_CLIENT_TOKEN_FILE: file('client-token'),
      }),
    );
    assert.equal(readLines(join(out, 'predictions.jsonl')).length, WNIDS.length * IMAGES_PER_WNID);
  });

  it('without the token: refused before the job starts (exit 1, UNAUTHENTICATED named)', async () => {
    const result = await runLuab(
      evalArgs(file('run-no-token'), '--endpoint', securedAddress(), '--tls-ca', file('server.pem')),
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /authorization/);
  });

  it('without TLS: the endpoint is unreachable (exit 1)', async () => {
    const result = await runLuab(
      evalArgs(file('run-plain'), '--endpoint', securedAddress(), '--token-file', file('client-token')),
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /endpoint localhost:\d+: unreachable/);
  });

  it('bad security flags are usage errors naming the flag (exit 2)', async () => {
    const half = await runLuab(
      evalArgs(file('run-half'), '--endpoint', securedAddress(), '--tls-cert', file('server.pem')),
    );
    assert.equal(half.code, 2, half.stderr);
    assert.match(half.stderr, /--tls-cert and --tls-key/);
    const missing = await runLuab(evalArgs(file('run-missing'), '--tls-ca', file('nope.pem')));
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--tls-ca: cannot read/);
  });

  it('--server: a job submitted to a secured evaluation server with the same flags, refused without them', async () => {
    // The job's own endpoint is a plain server: a server-side job reaches its endpoints without the CLI's flags.
    const plain = await startServe();
    try {
      const remote = (...extra: string[]) => [
        'eval',
        '--server',
        securedAddress(),
        '--endpoint',
        plain.address,
        '--data',
        data,
        '--suites',
        FIXTURE_SUITE,
        '--out',
        'remote-run',
        '--quiet',
        ...extra,
      ];
      const refused = await runLuab(remote('--tls-ca', file('server.pem')));
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /UNAUTHENTICATED|authorization/);
      ok(await runLuab(remote('--tls-ca', file('server.pem'), '--token-file', file('client-token'))));
      const lines = readLines(join(file('eval-dir'), 'remote-run', 'predictions.jsonl'));
      assert.equal(lines.length, WNIDS.length * IMAGES_PER_WNID);
    } finally {
      await plain.kill('SIGTERM');
    }
  });

  it("a job on an evaluation server reaches secured endpoints with the server's own credentials, kept out of job.json", async () => {
    /** `luab eval --server SERVER` with the flags that reach SERVER itself; `extra` adds the job's own fields. */
    const remote = (server: string, out: string, ...extra: string[]) => [
      'eval',
      '--server',
      server,
      '--data',
      data,
      '--suites',
      FIXTURE_SUITE,
      '--out',
      out,
      '--quiet',
      '--tls-ca',
      file('server.pem'),
      '--token-file',
      file('client-token'),
      ...extra,
    ];
    // The server of the other tests has no endpoint credentials: its job cannot reach a secured endpoint.
    const refused = await runLuab(remote(securedAddress(), 'remote-no-credentials', '--endpoint', securedAddress()));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /endpoint localhost:\d+: unreachable/);

    // The CA by flag, the token by environment variable: both ways of giving each setting are the same schema.
    const withCredentials = await startServe(
      [
        '--tls-cert',
        file('server.pem'),
        '--tls-key',
        file('server.key'),
        '--auth-token-file',
        file('tokens'),
        '--eval-dir',
        file('eval-dir-credentials'),
        '--eval-suite-module',
        FIXTURE_MODULE,
        '--eval-endpoint-tls-ca',
        file('server.pem'),
      ],
      0,
      { LUAB_EVAL_ENDPOINT_TOKEN_FILE: file('client-token') },
    );
    const evalServer = await startEvalServer(file('eval-server-dir'), securedAddress(), {
      LUAB_EVAL_SUITE_MODULES: FIXTURE_MODULE,
      LUAB_EVAL_ENDPOINT_TLS_CA: file('server.pem'),
      LUAB_EVAL_ENDPOINT_TOKEN_FILE: file('client-token'),
    });
    try {
      const server = `localhost:${withCredentials.port}`;
      // No endpoint named: the job evaluates against the secured server it was submitted to.
      ok(await runLuab(remote(server, 'self')));
      // A secured endpoint named in the spec: the other secured server.
      ok(await runLuab(remote(server, 'other', '--endpoint', securedAddress())));
      // `luab eval-server` (plaintext itself here) with the same credentials from its environment.
      const standalone = await runLuab([
        'eval',
        '--server',
        evalServer.address,
        '--data',
        data,
        '--suites',
        FIXTURE_SUITE,
        '--out',
        'standalone',
        '--quiet',
      ]);
      ok(standalone);
      for (const out of [
        join(file('eval-dir-credentials'), 'self'),
        join(file('eval-dir-credentials'), 'other'),
        join(file('eval-server-dir'), 'standalone'),
      ]) {
        const lines = readLines(join(out, 'predictions.jsonl'));
        assert.equal(lines.length, WNIDS.length * IMAGES_PER_WNID, out);
        assert.ok(
          lines.every((l) => !l.error && l.top5.length > 0),
          out,
        );
        assert.doesNotMatch(readFileSync(join(out, 'job.json'), 'utf8'), new RegExp(TOKEN), out);
      }
    } finally {
      await evalServer.kill('SIGTERM');
      await withCredentials.kill('SIGTERM');
    }
  });

  it('an unreadable endpoint credential stops the evaluation server at start, naming the flag and variable', async () => {
    await assert.rejects(
      startServe(['--eval-dir', file('eval-dir-bad'), '--eval-endpoint-token-file', file('nope')]),
      /--eval-endpoint-token-file \(LUAB_EVAL_ENDPOINT_TOKEN_FILE\): cannot read/,
    );
    const half = await runLuab([
      'eval-server',
      '--eval-dir',
      file('eval-server-bad'),
      '--endpoint-tls-cert',
      file('server.pem'),
    ]);
    assert.equal(half.code, 2, half.stderr);
    assert.match(half.stderr, /--endpoint-tls-cert \(LUAB_EVAL_ENDPOINT_TLS_CERT\) and --endpoint-tls-key/);
  });
});
