/**
 * How each served system of the side-by-side benchmark is started on one model and how ghz calls it: the same
 * ONNX model folder and the same JPEG for all, each through the API its users call.
 *
 * - luab: `node bin/luab.js serve` with its defaults, luab.v1.Inference/Predict (the JPEG in `image`);
 * - grpcio: bench/peers/grpcio_server.py, KServe v2 ModelInfer (a BYTES input, the JPEG in raw_input_contents);
 * - kserve: bench/peers/kserve_model.py, KServe v2 ModelInfer (the same request);
 * - torchserve: bench/peers/torchserve_handler.py packed by torch-model-archiver, TorchServe's own
 *   Predictions API (its Open Inference Protocol service sits under another package name, so v2 clients get
 *   UNIMPLEMENTED from it), the JPEG as input "data".
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import protobuf from 'protobufjs';
import { toPredictRequest } from '../../client/luab-client.js';
import { serializeBytesElements } from '../../server/kserve/tensor-data.js';
import { ModelInferRequest } from '../../proto/generated/inference/grpc_service.js';
import { PredictRequest } from '../../proto/generated/luab/v1/inference.js';
import { runGhz, type GhzTarget } from './ghz-report.js';
import type { SystemName } from './results.js';
import { freePort, launch, waitUntilReady, type LaunchedServer } from './server-launch.js';

const run = promisify(execFile);

export type ServedSystem = Exclude<SystemName, 'in-process'>;

export interface BenchPaths {
  /** The repository root (bin/luab.js, bench/peers/, proto/). */
  root: string;
  /** Where bench/peers/setup.sh put the venvs and ghz (.venv by default). */
  venvs: string;
  ghz: string;
  /** Scratch space of this run: request bodies, logs, TorchServe's model store. */
  work: string;
}

export interface BenchModel {
  name: string;
  /** The model folder: config.json + 1/model.onnx. */
  dir: string;
  /** A model repository holding only this model (what `luab serve --models` gets). */
  repository: string;
}

export interface RunningSystem {
  server: LaunchedServer;
  target: GhzTarget;
}

/** TorchServe's PredictionsRequest (org.pytorch.serve.grpc.inference): model_name = 1, map<string, bytes> input = 3. */
const torchServeRequestType = new protobuf.Type('PredictionsRequest')
  .add(new protobuf.Field('modelName', 1, 'string'))
  .add(new protobuf.MapField('input', 3, 'string', 'bytes'));
new protobuf.Root().define('org.pytorch.serve.grpc.inference').add(torchServeRequestType);

/** The serialized request each system gets for `image` on `model`. */
export function requestBody(system: ServedSystem, image: Buffer, model: string): Uint8Array {
  switch (system) {
    case 'luab':
      return PredictRequest.encode(toPredictRequest({ image, model })).finish();
    case 'grpcio':
    case 'kserve':
      return ModelInferRequest.encode(
        ModelInferRequest.fromPartial({
          modelName: model,
          inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }],
          rawInputContents: [serializeBytesElements([image])],
        }),
      ).finish();
    case 'torchserve':
      return torchServeRequestType.encode({ modelName: model, input: { data: image } }).finish();
  }
}

/**
 * ghz runs its call data through Go's text/template, binary files included: a body holding "{{" or "}}" fails.
 * The benchmark picks an image whose bodies are free of both.
 */
export function templateSafe(body: Uint8Array): boolean {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return !bytes.includes('{{') && !bytes.includes('}}');
}

const python = (paths: BenchPaths, venv: string) => {
  const path = join(paths.venvs, venv, 'bin', 'python');
  if (!existsSync(path)) throw new Error(`${path} not found: run bench/peers/setup.sh first`);
  return path;
};

const V2_CALL = 'inference.GRPCInferenceService/ModelInfer';

/** Starts `system` serving `model` on free loopback ports; resolves once one real request has been answered. */
export async function startSystem(
  system: ServedSystem,
  model: BenchModel,
  image: Buffer,
  paths: BenchPaths,
): Promise<RunningSystem> {
  const binaryFile = join(paths.work, `${system}-${model.name}.bin`);
  await writeFile(binaryFile, requestBody(system, image, model.name));
  const logFile = join(paths.work, `${system}-${model.name}.log`);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const v2Schema = { proto: 'inference/grpc_service.proto', importPaths: [join(paths.root, 'proto')] };
  let server: LaunchedServer;
  let target: GhzTarget;
  let startTimeoutMs = 60_000;
  switch (system) {
    case 'luab': {
      server = launch({
        label: 'luab serve',
        command: process.execPath,
        args: [
          join(paths.root, 'bin', 'luab.js'),
          'serve',
          '--models',
          model.repository,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--http-port',
          '0',
        ],
        logFile,
      });
      const proto = { proto: 'luab/v1/inference.proto', importPaths: [join(paths.root, 'proto')] };
      target = { address, call: 'luab.v1.Inference/Predict', schema: proto, binaryFile };
      break;
    }
    case 'grpcio':
      server = launch({
        label: 'grpcio server',
        command: python(paths, 'bench-grpcio'),
        args: [
          join(paths.root, 'bench', 'peers', 'grpcio_server.py'),
          '--model-dir',
          model.dir,
          '--port',
          String(port),
        ],
        logFile,
      });
      target = { address, call: V2_CALL, schema: v2Schema, binaryFile };
      break;
    case 'kserve':
      server = launch({
        label: 'KServe',
        command: python(paths, 'bench-kserve'),
        args: [
          join(paths.root, 'bench', 'peers', 'kserve_model.py'),
          '--model_dir',
          model.dir,
          '--grpc_port',
          String(port),
          '--http_port',
          String(await freePort()),
        ],
        logFile,
      });
      target = { address, call: V2_CALL, schema: v2Schema, binaryFile };
      break;
    case 'torchserve':
      server = await launchTorchServe(model, port, paths, logFile);
      target = {
        address,
        call: 'org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions',
        schema: { protoset: join(paths.venvs, 'bench-torchserve', 'proto', 'inference.protoset') },
        binaryFile,
      };
      startTimeoutMs = 120_000; // a JVM, then one Python worker per worker slot
      break;
  }
  await waitUntilReady(
    server,
    () => runGhz(paths.ghz, target, { concurrency: 1, requests: 1, timeoutS: 30 }),
    startTimeoutMs,
  );
  return { server, target };
}

/** TorchServe's settings (config.properties): loopback ports, 2 workers of 1 ORT thread each, no token auth. */
export const TORCHSERVE_WORKERS = 2;

async function launchTorchServe(model: BenchModel, grpcPort: number, paths: BenchPaths, logFile: string) {
  const venv = join(paths.venvs, 'bench-torchserve');
  python(paths, 'bench-torchserve');
  const home = join(paths.work, 'torchserve');
  const store = join(home, 'model-store');
  await mkdir(store, { recursive: true });
  // The documented packing, in its folder form (no .mar to unzip at every start).
  await run(join(venv, 'bin', 'torch-model-archiver'), [
    '--model-name',
    model.name,
    '--version',
    '1',
    '--handler',
    join(paths.root, 'bench', 'peers', 'torchserve_handler.py'),
    '--extra-files',
    [
      join(paths.root, 'bench', 'peers', 'recipe.py'),
      join(model.dir, 'config.json'),
      join(model.dir, '1', 'model.onnx'),
    ].join(','),
    '--export-path',
    store,
    '--archive-format',
    'no-archive',
    '--force',
  ]);
  const http = async () => `http://127.0.0.1:${await freePort()}`;
  const properties = [
    `inference_address=${await http()}`,
    `management_address=${await http()}`,
    `metrics_address=${await http()}`,
    'grpc_inference_address=127.0.0.1',
    'grpc_management_address=127.0.0.1',
    `grpc_inference_port=${grpcPort}`,
    `grpc_management_port=${await freePort()}`,
    `default_workers_per_model=${TORCHSERVE_WORKERS}`,
  ];
  const config = join(home, 'config.properties');
  await writeFile(config, properties.join('\n') + '\n');
  return launch({
    label: 'TorchServe',
    command: join(venv, 'bin', 'torchserve'),
    args: [
      '--foreground',
      '--ncs',
      '--disable-token-auth',
      '--model-store',
      store,
      '--models',
      model.name,
      '--ts-config',
      config,
    ],
    cwd: home, // its logs/ folder
    env: { LUAB_BENCH_ORT_THREADS: '1', PATH: `${join(venv, 'bin')}:${process.env.PATH}` },
    logFile,
  });
}
