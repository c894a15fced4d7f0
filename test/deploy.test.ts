/**
 * deploy/ validated offline (scripts/validate_deploy.py in .venv/deploy, which scripts/setup-deploy-tools.sh
 * makes): the Kubernetes kinds against the Kubernetes schemas, the KServe kinds against the kserve SDK's models,
 * the Dockerfile with hadolint. Each check is also shown to fail on a broken copy, and the container health
 * check script is run against a real server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagName, SERVER_OPTIONS } from '../server/config.js';
import { LIVENESS_HEALTH_NAME } from '../server/grpc/grpc-server.js';
import { GOOD_MODELS, REPO_ROOT } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const PYTHON = join(REPO_ROOT, '.venv', 'deploy', 'bin', 'python');
const VALIDATOR = join(REPO_ROOT, 'scripts', 'validate_deploy.py');
const DEPLOY = join(REPO_ROOT, 'deploy');
const SERVE_FLAGS = SERVER_OPTIONS.map(flagName).join(',');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const validate = (...args: string[]) =>
  run(PYTHON, [VALIDATOR, `--serve-flags=${SERVE_FLAGS}`, `--liveness-service=${LIVENESS_HEALTH_NAME}`, ...args]);

describe('deployment recipe (deploy/)', function () {
  let scratch: string;
  before(() => {
    assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run scripts/setup-deploy-tools.sh (scripts/setup.sh does)`);
    scratch = mkdtempSync(join(tmpdir(), 'luab-deploy-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('every manifest and the Dockerfile pass the offline validators', async () => {
    const { code, out } = await validate();
    assert.equal(code, 0, out);
    for (const kind of [
      'Deployment/luab-server (Kubernetes',
      'Service/luab-server (Kubernetes',
      'Service/luab-server-pods (Kubernetes',
      'PodDisruptionBudget/luab-server (Kubernetes',
      'ServingRuntime/luab (kserve SDK',
      'InferenceService/luab-in9 (kserve SDK',
      'Dockerfile (hadolint)',
    ]) {
      assert.ok(out.includes(`checked: `) && out.includes(kind), `${kind} was checked:\n${out}`);
    }
  });

  /**
   * Broken copies of deploy/ files, each with one mistake, validated together in one run (the validators take a
   * few seconds to start): each test then finds its own file's problem in the output.
   */
  const MUTATIONS: Record<string, [file: string, from: string | RegExp, to: string]> = {
    'unknown-field': ['kubernetes/luab.yaml', 'replicas: 3', 'replica: 3'],
    'misspelled-kserve-field': ['kserve/luab-inferenceservice.yaml', 'storageUri:', 'storageURI:'],
    'unnamed-container': ['kserve/luab-runtime.yaml', '- name: kserve-container\n      image:', '- image:'],
    'tcp-probe': [
      'kubernetes/luab.yaml',
      /readinessProbe:\n {12}grpc:\n {14}port: 50051/,
      'readinessProbe:\n            tcpSocket:\n              port: 50051',
    ],
    'unknown-flag': ['kserve/luab-runtime.yaml', "'--models'", "'--model-dir'"],
    // The readiness name ("") as liveness: pods would be restarted while draining or waiting for a model.
    'readiness-as-liveness': [
      'kubernetes/luab.yaml',
      /(livenessProbe:\n {12}grpc:\n {14}port: 50051)\n {14}service: \S+/,
      '$1',
    ],
    'readiness-as-liveness-kserve': [
      'kserve/luab-runtime.yaml',
      /(livenessProbe:\n {8}grpc:\n {10}port: 8081)\n {10}service: \S+/,
      '$1',
    ],
  };
  let brokenRun: { code: number; out: string };
  let brokenDockerfileRun: { code: number; out: string };
  before(async () => {
    const copies = Object.entries(MUTATIONS).map(([name, [file, from, to]]) => {
      const text = readFileSync(join(DEPLOY, file), 'utf8');
      const changed = text.replace(from, to);
      assert.notEqual(changed, text, `the mutation ${name} applies to ${file}`);
      const copy = join(scratch, `${name}.yaml`);
      writeFileSync(copy, changed);
      return copy;
    });
    const dockerfile = join(scratch, 'Dockerfile');
    writeFileSync(
      dockerfile,
      readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8').replace(
        'USER node',
        'RUN apt-get update && apt-get install -y curl\nUSER node',
      ),
    );
    brokenRun = await validate(...copies);
    brokenDockerfileRun = await validate('--dockerfile', dockerfile, join(DEPLOY, 'kubernetes', 'luab.yaml'));
  });
  const problemsOf = (name: string) =>
    brokenRun.out
      .split('\n')
      .filter((line) => line.startsWith(`problem: ${name}.yaml#`))
      .join('\n');

  it('the broken copies are refused', () => {
    assert.equal(brokenRun.code, 1, brokenRun.out);
    for (const name of Object.keys(MUTATIONS)) assert.notEqual(problemsOf(name), '', `${name}:\n${brokenRun.out}`);
  });

  it('refuses an unknown field in a Deployment (Kubernetes schema, strict)', () => {
    assert.match(
      problemsOf('unknown-field'),
      /Deployment\/luab-server: spec: Additional properties are not allowed \('replica' was unexpected\)/,
    );
  });

  it('refuses a misspelled InferenceService field (kserve SDK models)', () => {
    assert.match(
      problemsOf('misspelled-kserve-field'),
      /spec\.predictor\.model\.storageURI: not a field of V1beta1ModelSpec/,
    );
  });

  it('refuses a ServingRuntime container without a name (kserve SDK constructors)', () => {
    assert.match(problemsOf('unnamed-container'), /ServingRuntime\/luab: the kserve SDK refuses it: .*name/);
  });

  it('refuses a probe that is not the gRPC health service', () => {
    assert.match(problemsOf('tcp-probe'), /readinessProbe must be a grpc probe/);
  });

  it('refuses a liveness probe on the readiness health name', () => {
    for (const name of ['readiness-as-liveness', 'readiness-as-liveness-kserve']) {
      assert.match(problemsOf(name), /livenessProbe asks health service '', which is readiness/);
    }
  });

  it('refuses a luab serve flag that does not exist', () => {
    assert.match(problemsOf('unknown-flag'), /`luab serve` has no flag --model-dir/);
  });

  it('refuses a Dockerfile hadolint warns about', () => {
    assert.equal(brokenDockerfileRun.code, 1, brokenDockerfileRun.out);
    assert.match(brokenDockerfileRun.out, /problem: Dockerfile: .*DL3008/);
  });

  it('the build stage copies every folder tsconfig.json compiles', () => {
    const tsconfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const copied = new Set([...dockerfile.matchAll(/^COPY (\S+) \1$/gm)].map((m) => m[1]));
    const needed = tsconfig.include.map((p) => p.split('/')[0]);
    assert.deepEqual(
      needed.filter((dir) => !copied.has(dir)),
      [],
      'folders compiled but not copied into the build stage',
    );
  });

  describe('the container health check (dist/scripts/health-probe.js)', () => {
    let t: TestServer;
    before(async () => (t = await startTestServer({ modelsDir: GOOD_MODELS })));
    after(async () => t.close());
    const probe = join(REPO_ROOT, 'dist', 'scripts', 'health-probe.js');

    it('exits 0 for a serving server', async () => {
      const { code, out } = await run(process.execPath, [probe], { LUAB_PORT: String(t.server.port) });
      assert.equal(code, 0, out);
    });

    it('exits 1 naming the service that is not known', async () => {
      const { code, out } = await run(process.execPath, [probe], {
        LUAB_PORT: String(t.server.port),
        LUAB_HEALTH_SERVICE: 'no.such.Service',
      });
      assert.equal(code, 1);
      assert.match(out, /health-probe: localhost:\d+ "no\.such\.Service" error: 5 NOT_FOUND/);
    });
  });
});
