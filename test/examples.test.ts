/**
 * The examples for downstream users (examples/), run as a user runs them against `luab serve` on the default
 * model (a child process on free ports, HTTP off): the Python client over KServe v2 gRPC with PyPI's tritonclient
 * (.venv/peers, made by scripts/setup-python-peers.sh: the test fails, it does not skip, when it is missing), and
 * the contact sheet of crops around the predicted points.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { cropAround } from '../examples/point-crops/contact-sheet.js';
import { PEERS_PYTHON } from './helpers/peers.js';
import { REPO_ROOT } from './helpers/paths.js';
import { startServeProcess, type ServeProcess } from './helpers/serve-process.js';

const run = promisify(execFile);
const POLICE_CAR = join(REPO_ROOT, 'examples', 'images', 'police-car.jpg');
const SHEET_SCRIPT = join(REPO_ROOT, 'dist', 'examples', 'point-crops', 'contact-sheet.js');

describe('examples/', function () {
  this.timeout(120_000);
  let server: ServeProcess;
  let work: string;
  before(async () => {
    server = await startServeProcess([]);
    work = mkdtempSync(join(tmpdir(), 'luab-examples-'));
  });
  after(async () => {
    server.client.close();
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(work, { recursive: true, force: true });
  });

  describe('python-client/classify.py (tritonclient, KServe v2 gRPC)', () => {
    it('reads the classes and the point the luab.v1 API gives for the same image', async () => {
      if (!existsSync(PEERS_PYTHON)) {
        throw new Error(`${PEERS_PYTHON} is missing: run ./scripts/setup-python-peers.sh (scripts/setup.sh runs it)`);
      }
      const { stdout } = await run(PEERS_PYTHON, [
        join(REPO_ROOT, 'examples', 'python-client', 'classify.py'),
        '--url',
        server.address,
        '--json',
        '--top-k',
        '3',
        POLICE_CAR,
      ]);
      const answer = JSON.parse(stdout.trim());
      const reference = await server.client.predict({ image: readFileSync(POLICE_CAR), topK: 3 });
      assert.equal(answer.model, 'luab-in9-cnn');
      assert.deepEqual(
        answer.classes.map((c: { label: string }) => c.label),
        reference.classes.map((c) => c.label),
      );
      assert.equal(answer.classes[0].label, 'wheeled_vehicle');
      assert.ok(Math.abs(answer.classes[0].score - reference.classes[0].score) < 1e-5);
      assert.ok(Math.abs(answer.point.x - reference.point!.x) < 1e-5, JSON.stringify(answer.point));
      assert.ok(Math.abs(answer.point.y_px - reference.point!.yPx) < 1e-3, JSON.stringify(answer.point));
    });

    it('prints the text form, and exits 1 naming the server reason for an unknown model', async () => {
      const { stdout } = await run(PEERS_PYTHON, [
        join(REPO_ROOT, 'examples', 'python-client', 'classify.py'),
        '--url',
        server.address,
        POLICE_CAR,
      ]);
      assert.match(stdout, /1\. wheeled_vehicle\s+0\.\d{4}/);
      assert.match(stdout, /point {2}x=0\.\d{4} y=0\.\d{4} {2}\(\d+\.\d, \d+\.\d px\)/);
      await assert.rejects(
        run(PEERS_PYTHON, [
          join(REPO_ROOT, 'examples', 'python-client', 'classify.py'),
          '--url',
          server.address,
          '--model',
          'no-such-model',
          POLICE_CAR,
        ]),
        (error: { code: number; stderr: string }) => error.code === 1 && /no-such-model/.test(error.stderr),
      );
    });
  });

  describe('point-crops/contact-sheet (sharp)', () => {
    it('keeps the crop square inside the image and centred on the point where it can', () => {
      assert.deepEqual(cropAround(200, 100, 100, 50, 0.5), { left: 75, top: 25, size: 50 });
      assert.deepEqual(cropAround(200, 100, 3, 98, 0.5), { left: 0, top: 50, size: 50 });
      assert.deepEqual(cropAround(200, 100, 199, 0, 1), { left: 100, top: 0, size: 100 });
    });

    it('crops every image of a folder around its predicted point onto one sheet', async () => {
      const folder = join(work, 'images');
      await run('mkdir', ['-p', folder]);
      copyFileSync(POLICE_CAR, join(folder, 'a-police-car.jpg'));
      // the same photo mirrored, as PNG: its point must be on the other side
      await sharp(POLICE_CAR).flop().png().toFile(join(folder, 'b-mirrored.png'));
      const out = join(work, 'sheet.png');
      const { stdout } = await run(process.execPath, [SHEET_SCRIPT, folder, '--address', server.address, '--out', out]);
      assert.match(stdout, /^2 crop\(s\) on /);
      const meta = await sharp(out).metadata();
      assert.deepEqual([meta.width, meta.height], [2 * (128 + 4) + 4, 128 + 28 + 2 * 4]);
      const records = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
      assert.equal(records.length, 2);
      for (const record of records) {
        const reference = await server.client.predict({ image: readFileSync(record.image), topK: 1 });
        assert.equal(record.label, reference.classes[0].label);
        assert.ok(Math.abs(record.point.xPx - reference.point!.xPx) < 1e-3);
        assert.deepEqual(record.crop, cropAround(256, 256, reference.point!.xPx, reference.point!.yPx, 0.5));
      }
      // the model is not mirror-symmetric, but the car is clearly left of centre in one and right in the other
      assert.ok(records[0].point.xPx < 128 && records[1].point.xPx > 128, JSON.stringify(records));
    });

    it('exits 2 on a bad option and 1 on a folder without images', async () => {
      await assert.rejects(
        run(process.execPath, [SHEET_SCRIPT, work, '--crop', '2']),
        (error: { code: number; stderr: string }) =>
          error.code === 2 && /--crop: expected a fraction in \(0, 1\], got "2"/.test(error.stderr),
      );
      await assert.rejects(
        run(process.execPath, [SHEET_SCRIPT, join(REPO_ROOT, 'docs'), '--address', server.address]),
        (error: { code: number; stderr: string }) => error.code === 1 && /no images/.test(error.stderr),
      );
    });
  });
});
