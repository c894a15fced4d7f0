/**
 * The protocol tax: server CPU per image for the same JPEGs through luab.v1 Predict (gRPC), KServe v2 ModelInfer
 * with a BYTES input (gRPC), POST /v1/predict (REST) and v2 REST infer with binary data, each a closed loop of
 * `--concurrency` clients against one `luab serve` child. The figure is the child's CPU time (all threads, from
 * /proc/<pid>/stat) divided by the images answered, so other jobs on the machine do not count; protocols are
 * rotated across repeats and the median is reported.
 *
 *   node dist/bench/protocol-tax.js [--models models] [--model luab-in9-cnn] [--requests 600] [--concurrency 8]
 *                                   [--repeat 3]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { LuabClient } from '../client/luab-client.js';
import { packageRoot } from '../server/util/package-root.js';
import { serializeBytesElements } from '../server/kserve/tensor-data.js';
import { GRPCInferenceServiceClient, type ModelInferRequest } from '../proto/generated/inference/grpc_service.js';
import { processCpuMs } from './serving/cpu-time.js';
import { makeBenchCorpus } from './serving/jpeg-corpus.js';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'models' },
    model: { type: 'string', default: 'luab-in9-cnn' },
    requests: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '8' },
    repeat: { type: 'string', default: '3' },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const REPEAT = Number(args.repeat);
const WARMUP = 40;

interface Server {
  pid: number;
  grpc: string;
  http: string;
  stop(): void;
}

/** `luab serve` in a child process; both addresses come from its "listening" log lines. */
function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [join(packageRoot(), 'bin', 'luab.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--http-port', '-1'].concat([
      '--models',
      args.models!,
      '--log-level',
      'info',
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let grpc: string | undefined;
    let http: string | undefined;
    child.once('exit', (code) => reject(new Error(`luab serve exited with ${code}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'luab server listening') grpc = entry.address;
      if (entry.msg?.startsWith('luab HTTP listening')) http = entry.address;
      if (grpc && http) resolve({ pid: child.pid!, grpc, http, stop: () => child.kill('SIGTERM') });
    });
  });
}

type Call = (image: Buffer) => Promise<void>;

function protocols(server: Server): Record<string, Call> {
  const luab = new LuabClient(server.grpc);
  const v2 = new GRPCInferenceServiceClient(server.grpc, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 << 20,
  });
  const model = args.model!;
  const base = `http://${server.http}`;
  const ok = async (response: Response) => {
    if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  return {
    'luab.v1 Predict (gRPC)': async (image) => {
      await luab.predict({ image, model });
    },
    'v2 ModelInfer, BYTES (gRPC)': (image) =>
      new Promise((resolve, reject) => {
        const request: ModelInferRequest = {
          modelName: model,
          modelVersion: '',
          id: '',
          parameters: {},
          inputs: [{ name: 'image_bytes', datatype: 'BYTES', shape: [1], parameters: {}, contents: undefined }],
          outputs: [],
          rawInputContents: [serializeBytesElements([image])],
        };
        v2.modelInfer(request, (error) => (error ? reject(error) : resolve()));
      }),
    'POST /v1/predict (REST)': async (image) =>
      ok(await fetch(`${base}/v1/predict?model=${model}`, { method: 'POST', body: image })),
    'v2 REST infer, binary BYTES': async (image) => {
      const tensor = serializeBytesElements([image]);
      const header = Buffer.from(
        JSON.stringify({
          inputs: [
            { name: 'image_bytes', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: tensor.length } },
          ],
          outputs: [
            { name: 'scores', parameters: { classification: 5 } },
            { name: 'point_px', parameters: { binary_data: true } },
          ],
        }),
      );
      await ok(
        await fetch(`${base}/v2/models/${model}/infer`, {
          method: 'POST',
          headers: { 'Inference-Header-Content-Length': String(header.length) },
          body: Buffer.concat([header, tensor]),
        }),
      );
    },
  };
}

/** `count` requests from `concurrency` closed-loop clients. */
async function closedLoop(call: Call, images: Buffer[], count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next++;
        await call(images[index % images.length]);
      }
    }),
  );
}

async function main(): Promise<void> {
  const images = (await makeBenchCorpus(32)).map((i) => i.bytes);
  const server = await startServer();
  try {
    const calls = protocols(server);
    const names = Object.keys(calls);
    const results = new Map<string, { cpuMs: number; imagesPerS: number }[]>(names.map((n) => [n, []]));
    for (let r = 0; r < REPEAT; r++) {
      // Rotated so no protocol always runs first (warmest caches) or last.
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const name of order) {
        await closedLoop(calls[name], images, WARMUP);
        const cpu0 = processCpuMs(server.pid);
        const t0 = performance.now();
        await closedLoop(calls[name], images, REQUESTS);
        const seconds = (performance.now() - t0) / 1000;
        const cpuMs = (processCpuMs(server.pid) - cpu0) / REQUESTS;
        results.get(name)!.push({ cpuMs, imagesPerS: REQUESTS / seconds });
        console.error(
          `repeat ${r + 1}: ${name}: ${cpuMs.toFixed(2)} CPU ms/image, ${(REQUESTS / seconds).toFixed(0)} img/s`,
        );
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(results.get(names[0])!.map((x) => x.cpuMs));
    console.log(
      `| path (${args.model}, 500x375 JPEG, c=${CONCURRENCY}, ${REQUESTS} x ${REPEAT}) | server CPU ms / image | vs Predict | images/s |`,
    );
    console.log('| --- | --- | --- | --- |');
    for (const name of names) {
      const runs = results.get(name)!;
      const cpu = median(runs.map((x) => x.cpuMs));
      const rate = median(runs.map((x) => x.imagesPerS));
      const all = runs.map((x) => x.cpuMs.toFixed(2)).join(', ');
      console.log(
        `| ${name} | ${cpu.toFixed(2)} (${all}) | ${((cpu / base - 1) * 100).toFixed(1)}% | ${rate.toFixed(0)} |`,
      );
    }
  } finally {
    server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench: ${(error as Error).stack}`);
    process.exit(1);
  },
);
