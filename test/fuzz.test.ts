/**
 * Fuzzed image bytes against a real `luab serve` process: a few thousand inputs made from small, valid JPEG, PNG,
 * WebP, GIF, TIFF and AVIF files (by sharp) and mutated with a seeded generator (bit flips, overwritten and
 * inserted bytes, truncation, spliced and repeated chunks), plus pure noise behind each format's magic bytes.
 * Every input must be answered with a status (a response or a per-item error; never INTERNAL or UNKNOWN), the
 * process must never exit, and afterwards it must still answer health and a good request.
 *
 * The server runs in its own process so that a crash in a native decoder shows as an exit, not as this test
 * process dying. Bounded: a fixed number of inputs, 64 in flight, small images, a 4-megapixel decode limit.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import sharp from 'sharp';
import { LuabClient, type PredictInput } from '../client/luab-client.js';
import { Rng } from '../synth/rng.js';
import { discSvg, type Format } from './helpers/images.js';
import { LUAB } from './helpers/luab-cli.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { healthCheck } from './helpers/raw-clients.js';

const SEED = 20261201;
const PER_FORMAT = 600;
const FORMATS: Format[] = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'];
const MAGIC: Record<Format, number[]> = {
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  webp: [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
  gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  tiff: [0x49, 0x49, 0x2a, 0x00],
  avif: [0, 0, 0, 0x1c, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66],
};

async function seedImage(format: Format, variant: number): Promise<Buffer> {
  const width = 40 + 8 * variant;
  const image = sharp(discSvg(width, 32, [{ cx: 12 + variant, cy: 14, r: 6, colour: 'red' }], 'navy'));
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 80, progressive: variant % 2 === 1 }).toBuffer();
    case 'png':
      return image.png({ palette: variant % 2 === 1 }).toBuffer();
    case 'webp':
      return image.webp({ lossless: variant % 2 === 0 }).toBuffer();
    case 'gif':
      return image.gif().toBuffer();
    case 'tiff':
      return image.tiff({ compression: variant % 2 === 0 ? 'lzw' : 'deflate' }).toBuffer();
    case 'avif':
      return image.avif({ quality: 50, effort: 0 }).toBuffer();
  }
}

/** One mutation of `seed`, chosen and parameterised by `rng`. */
function mutate(seed: Buffer, rng: Rng, format: Format): Buffer {
  const bytes = Buffer.from(seed);
  const at = () => rng.int(0, bytes.length - 1);
  switch (rng.int(0, 6)) {
    case 0: {
      const flips = rng.int(1, 16);
      for (let i = 0; i < flips; i += 1) bytes[at()] ^= 1 << rng.int(0, 7);
      return bytes;
    }
    case 1: {
      // Overwrite a run with interesting values (size fields are where decoders break).
      const start = at();
      const value = [0x00, 0xff, 0x7f, 0x80][rng.int(0, 3)];
      bytes.fill(value, start, Math.min(bytes.length, start + rng.int(1, 8)));
      return bytes;
    }
    case 2:
      return bytes.subarray(0, rng.int(0, bytes.length - 1));
    case 3: {
      const start = at();
      const insert = Buffer.from(Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255)));
      return Buffer.concat([bytes.subarray(0, start), insert, bytes.subarray(start)]);
    }
    case 4: {
      // Repeat a chunk of the file inside it.
      const start = at();
      const chunk = bytes.subarray(start, Math.min(bytes.length, start + rng.int(4, 256)));
      const where = at();
      return Buffer.concat([bytes.subarray(0, where), chunk, chunk, bytes.subarray(where)]);
    }
    case 5: {
      // Header kept, the rest noise.
      const keep = Math.min(bytes.length, rng.int(8, 64));
      const noise = Buffer.from(Array.from({ length: rng.int(0, 512) }, () => rng.int(0, 255)));
      return Buffer.concat([bytes.subarray(0, keep), noise]);
    }
    default: {
      const noise = Buffer.from(Array.from({ length: rng.int(0, 256) }, () => rng.int(0, 255)));
      return Buffer.concat([Buffer.from(MAGIC[format]), noise]);
    }
  }
}

function serve(): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [
    LUAB,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--http-port',
    '0',
    '--models',
    GOOD_MODELS,
    '--device',
    'cpu',
    '--max-image-pixels',
    '4000000',
  ]);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const match = /"address":"127\.0\.0\.1:(\d+)"[^\n]*"msg":"luab server listening"/.exec(stderr);
      if (match) resolve({ child, port: Number(match[1]), exited, stderr: () => stderr });
    });
    void exited.then((code) => reject(new Error(`luab serve exited with ${code}: ${stderr}`)));
  });
}

describe('fuzzed image bytes', function () {
  it(`${FORMATS.length * PER_FORMAT} mutated and random inputs: each answered with a status, the server stays up`, async () => {
    const server = await serve();
    let exitCode: number | null | undefined;
    void server.exited.then((code) => (exitCode = code));
    const address = `127.0.0.1:${server.port}`;
    const client = new LuabClient(address);
    try {
      const inputs: PredictInput[] = [];
      for (const format of FORMATS) {
        const seeds = await Promise.all([0, 1, 2].map((v) => seedImage(format, v)));
        for (let i = 0; i < PER_FORMAT; i += 1) {
          const rng = new Rng(SEED, 'fuzz', format, i);
          inputs.push({ image: mutate(seeds[i % seeds.length], rng, format), id: `${format}-${i}` });
        }
      }
      const codes = new Map<string, number>();
      const unexpected: string[] = [];
      const answered = new Set<string>();
      for await (const message of client.predictStream(inputs, { maxInFlight: 64 })) {
        answered.add(message.id);
        const code = message.result?.$case === 'response' ? 'OK' : status[message.result!.value.code];
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (code !== 'OK' && code !== 'INVALID_ARGUMENT') {
          unexpected.push(
            `${message.id}: ${code} ${message.result?.$case === 'error' ? message.result.value.message : ''}`,
          );
        }
      }
      // LUAB_FUZZ_REPORT=1 prints the answers by status (the numbers in docs/benchmarks.md).
      if (process.env.LUAB_FUZZ_REPORT) process.stdout.write(`fuzz: ${JSON.stringify(Object.fromEntries(codes))}\n`);
      assert.equal(answered.size, inputs.length, 'every input was answered');
      assert.deepEqual(unexpected, [], `answers by status: ${JSON.stringify(Object.fromEntries(codes))}`);
      assert.ok((codes.get('INVALID_ARGUMENT') ?? 0) > inputs.length / 4, 'most mutations were refused');
      assert.equal(exitCode, undefined, 'the server process is still running');
      assert.equal(await healthCheck(address, ''), 'SERVING');
      const good = await seedImage('png', 0);
      assert.equal((await client.predict({ image: good })).classes.length, 3, 'a good image is still served');
    } finally {
      client.close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
    assert.doesNotMatch(server.stderr(), /"level":50/, 'no internal error was logged');
  });
});
