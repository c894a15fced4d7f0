/** The `luab` command as a user runs it: bin/luab.js in child processes, exit codes and messages. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { discImage } from './helpers/images.js';
import { LUAB, runLuab as run } from './helpers/luab-cli.js';
import { GOOD_MODELS } from './helpers/paths.js';

/** Starts `luab serve` on a free port; resolves with the address from its "listening" log line. */
function serve(args: string[]): Promise<{ child: ChildProcess; address: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      LUAB,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--http-port',
      '0',
      ...args,
    ]);
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
      const line = stderr.split('\n').find((l) => l.includes('luab server listening'));
      if (line) resolve({ child, address: JSON.parse(line).address, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`luab serve exited with ${code}: ${stderr}`)));
  });
}

describe('luab CLI', function () {
  let work: string;
  let server: Awaited<ReturnType<typeof serve>>;
  let imagePath: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'luab-cli-'));
    imagePath = join(work, 'disc.png');
    writeFileSync(imagePath, await discImage(300, 200, [{ cx: 220, cy: 60, r: 15 }]));
    writeFileSync(join(work, 'second.jpg'), await discImage(200, 300, [{ cx: 50, cy: 200, r: 15 }], 'jpeg'));
    server = await serve(['--models', GOOD_MODELS, '--device', 'cpu']);
  });
  after(() => {
    server?.child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('predict prints classes and the point on the original image', async () => {
    const result = await run(['predict', imagePath, '--address', server.address]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /300x200 png {2}centroid v3/);
    assert.match(result.stdout, /point {2}x=0\.73\d+ y=0\.(29|30)\d+ {2}\((219|220|221)\.\d, (59|60|61)\.\d px\)/);
  });

  it('predict --json gives one JSON object per image, for files and folders', async () => {
    const result = await run(['predict', work, '--json', '--top-k', '2', '--address', server.address]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.file).sort(), [join(work, 'disc.png'), join(work, 'second.jpg')]);
    for (const line of lines) {
      assert.equal(line.classes.length, 2);
      assert.ok(line.point.xPx > 0 && line.point.yPx > 0);
    }
  });

  it('predict --draw writes the image with the point drawn on it', async () => {
    const out = join(work, 'drawn.png');
    const result = await run(['predict', imagePath, '--draw', out, '--address', server.address]);
    assert.equal(result.code, 0, result.stderr);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [300, 200]);
    // The marker ring (red, radius side/40 = 5 px) passes 5 px left of the point, on a white disc.
    const at = (x: number, y: number) =>
      Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const ring = at(215, 60);
    assert.ok(ring[0] > 200 && ring[1] < 100 && ring[2] < 150, `marker colour at the ring: ${ring}`);
  });

  it('models lists the repository', async () => {
    const result = await run(['models', '--address', server.address]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^centroid \(default\)\n {2}single-label, 3 classes, input 64x48, point\n {2}version 1: ready on cpu/,
    );
  });

  it('predict exits 1 and names the file when one image fails, still answering the others', async () => {
    const bad = join(work, 'broken.jpg');
    writeFileSync(bad, 'not an image');
    const result = await run(['predict', imagePath, bad, '--address', server.address]);
    rmSync(bad);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`${bad}: INVALID_ARGUMENT: image: cannot be decoded`));
    assert.match(result.stderr, /1 of 2 images failed/);
    assert.match(result.stdout, /disc\.png/);
  });

  it('predict exits 1 with NOT_FOUND for an unknown model', async () => {
    const result = await run(['predict', imagePath, '--model', 'nope', '--address', server.address]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /NOT_FOUND: model: no model named "nope"/);
  });

  it('usage errors exit 2 with a message naming the option', async () => {
    const topK = await run(['predict', imagePath, '--top-k', 'many']);
    assert.equal(topK.code, 2);
    assert.match(topK.stderr, /option '--top-k <k>' argument 'many' is invalid/);
    const unknown = await run(['predict', imagePath, '--colour', 'red']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--colour'/);
  });

  it('serve rejects a bad flag or environment variable, naming it', async () => {
    const flag = await run(['serve', '--port', 'eighty']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--port: expected an integer from 0 to 65535, got "eighty"/);
    const env = await run(['serve'], { LUAB_MAX_BATCH_SIZE: '0' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /LUAB_MAX_BATCH_SIZE: expected an integer from 1 to 1024, got "0"/);
  });

  it('serve exits 1 for a missing model folder', async () => {
    const result = await run(['serve', '--models', join(work, 'nowhere'), '--port', '0']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /model repository ".*nowhere" is not a folder/);
  });

  it('serve stops cleanly on SIGTERM', async () => {
    const second = await serve(['--models', GOOD_MODELS, '--device', 'cpu', '--drain-ms', '0']);
    const exited = new Promise<number | null>((resolve) => second.child.on('exit', resolve));
    second.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(second.stderr(), /luab server stopped/);
  });
});
