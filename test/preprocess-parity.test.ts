/**
 * Train/serve preprocessing parity (issue #12 item 6, issue #11 item 2): the server's sharp pipeline
 * (decodeImage + the normalisation the inference worker applies) against the trainer's own evaluation pipeline
 * (luab_trainer's load_rgb + build_eval_transform + to_normalized_tensor, run by /usr/bin/python3 with Debian's
 * torch/torchvision/Pillow) on the same files: downscaled photo-like JPEGs (JPEG shrink-on-load applies), upscaled
 * images (Pillow's resampling reproduced exactly), non-square, alpha (the contract flattens onto white), greyscale,
 * 16-bit and CMYK (Pillow's formula, no colour management) inputs.
 *
 * Greyscale inputs are single-channel files. Measured here (2026-12-02): mean absolute difference per channel 0.000 levels (of 255) wherever the server
 * enlarges (Pillow's arithmetic), 0.2-0.5 where libvips reduces, 0.9-1.7 on grainy 500x375 photo JPEGs, where
 * libjpeg's scaled IDCT (shrink-on-load) replaces part of the filtering, 0.8-1.0 on CMYK; the analytic centroid within 0.01 model pixel; top-1 of the trained default
 * model identical on all 117 images of the small synthetic benchmark at 160 px.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import sharp, { type Sharp } from 'sharp';
import { makeBenchJpeg } from '../bench/serving/jpeg-corpus.js';
import { readModelConfig } from '../server/model-repository/model-config.js';
import { preprocessSpec } from '../server/model-repository/model-version.js';
import { decodeImage, normalise, type PreprocessSpec } from '../server/preprocess/image-preprocessor.js';
import { discSvg } from './helpers/images.js';
import { REPO_ROOT } from './helpers/paths.js';

const PYTHON = process.env.LUAB_PYTHON ?? '/usr/bin/python3';
const TRAINER = join(REPO_ROOT, 'trainer');
const SCRIPT = join(REPO_ROOT, 'test', 'python', 'trainer_eval_tensors.py');

const SPEC: PreprocessSpec = {
  inputWidth: 64,
  inputHeight: 48,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  cropPct: 0.875,
  cropMode: 'center',
  interpolation: 'bilinear',
};

/** The trainer's tensors for `files`, in order (float32 NCHW, one after the other). */
function trainerTensors(files: string[], spec: PreprocessSpec, dir: string): Float32Array[] {
  const out = join(dir, 'trainer.f32');
  const specJson = JSON.stringify({
    input_h: spec.inputHeight,
    input_w: spec.inputWidth,
    crop_pct: spec.cropPct,
    crop_mode: spec.cropMode,
    interpolation: spec.interpolation,
    mean: spec.mean,
    std: spec.std,
  });
  execFileSync(PYTHON, [SCRIPT, TRAINER, specJson, out, ...files], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bytes = readFileSync(out);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const size = 3 * spec.inputWidth * spec.inputHeight;
  assert.equal(all.length, files.length * size, 'one tensor per image from the trainer');
  return files.map((_, i) => all.slice(i * size, (i + 1) * size));
}

async function serverTensor(file: string, spec: PreprocessSpec): Promise<Float32Array> {
  const { pixels } = await decodeImage(readFileSync(file), spec, 1e8);
  return normalise(pixels, spec);
}

/** Mean absolute difference per channel, in 8-bit levels. */
function madPerChannel(a: Float32Array, b: Float32Array, spec: PreprocessSpec): number[] {
  const plane = a.length / 3;
  return [0, 1, 2].map((c) => {
    let sum = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) sum += Math.abs(a[i] - b[i]);
    return (sum / plane) * spec.std[c] * 255;
  });
}

/** Intensity-weighted centroid (the fixture 'centroid' model's point) of channel 0, in model-input pixels. */
function centroid(t: Float32Array, spec: PreprocessSpec): { x: number; y: number } {
  let total = 0;
  let sx = 0;
  let sy = 0;
  const bias = -spec.mean[0] / spec.std[0];
  for (let i = 0; i < spec.inputWidth * spec.inputHeight; i++) {
    const v = t[i] - bias; // back to v / 255 / std: zero where the image is black
    total += v;
    sx += v * ((i % spec.inputWidth) + 0.5);
    sy += v * (Math.floor(i / spec.inputWidth) + 0.5);
  }
  return { x: sx / total, y: sy / total };
}

/** A photo-like JPEG resized with sharp and saved as `format`. */
async function photo(width: number, height: number, index = 0): Promise<Sharp> {
  return sharp(await makeBenchJpeg(index)).resize(width, height, { fit: 'fill' });
}

describe('preprocessing parity with the trainer (sharp vs torchvision/PIL)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'luab-parity-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function write(name: string, bytes: Buffer | Promise<Buffer>): Promise<string> {
    const path = join(dir, name);
    writeFileSync(path, await bytes);
    return path;
  }

  it('gives the trainer tensor on every kind of input, within the stated tolerance per channel', async () => {
    // RGBA whose transparent half stores pure red: Pillow's convert("RGB") kept the red, libvips' premultiplied
    // resize made it black; the contract composites onto white on both sides.
    const rgba = Buffer.alloc(120 * 90 * 4);
    for (let i = 0; i < 120 * 90; i++) {
      const transparent = i % 120 < 60;
      rgba.set(transparent ? [255, 0, 0, 0] : [20, 120 + (i % 90), 200, i % 7 === 0 ? 128 : 255], i * 4);
    }
    // Each case: the file, and the largest mean absolute difference per channel allowed (8-bit levels).
    const cases: [string, string, number][] = [
      ['downscaled photo JPEG 500x375 (shrink-on-load)', await write('d0.jpg', makeBenchJpeg(0)), 2.0],
      ['downscaled photo JPEG 500x375, another', await write('d1.jpg', makeBenchJpeg(1)), 2.0],
      ['downscaled PNG 300x200', await write('d2.png', (await photo(300, 200)).png().toBuffer()), 0.5],
      ['upscaled PNG 40x30', await write('u0.png', (await photo(40, 30)).png().toBuffer()), 0.01],
      ['upscaled JPEG 61x45', await write('u1.jpg', (await photo(61, 45, 2)).jpeg().toBuffer()), 0.01],
      ['non-square portrait JPEG 200x320', await write('n0.jpg', (await photo(200, 320, 3)).jpeg().toBuffer()), 1.0],
      ['non-square odd PNG 641x97', await write('n1.png', (await photo(641, 97, 4)).png().toBuffer()), 0.5],
      [
        'alpha PNG 120x90',
        await write(
          'a0.png',
          sharp(rgba, { raw: { width: 120, height: 90, channels: 4 } })
            .png()
            .toBuffer(),
        ),
        0.6,
      ],
      [
        'greyscale JPEG 300x225',
        await write('g0.jpg', (await photo(300, 225, 5)).toColourspace('b-w').jpeg().toBuffer()),
        1.0,
      ],
      [
        'greyscale PNG 50x40',
        await write('g1.png', (await photo(50, 40, 6)).toColourspace('b-w').png().toBuffer()),
        0.01,
      ],
      [
        '16-bit RGB PNG 200x150',
        await write('s0.png', (await photo(200, 150, 7)).toColourspace('rgb16').png().toBuffer()),
        0.6,
      ],
      [
        '16-bit grey PNG 200x150',
        await write('s1.png', (await photo(200, 150, 8)).toColourspace('grey16').png().toBuffer()),
        0.6,
      ],
      [
        'CMYK JPEG 300x200',
        await write('c0.jpg', (await photo(300, 200, 9)).toColourspace('cmyk').jpeg().toBuffer()),
        1.5,
      ],
      [
        'CMYK JPEG 50x40, upscaled',
        await write('c1.jpg', (await photo(50, 40, 10)).toColourspace('cmyk').jpeg().toBuffer()),
        0.01,
      ],
    ];
    const expected = trainerTensors(
      cases.map(([, file]) => file),
      SPEC,
      dir,
    );
    const failures: string[] = [];
    const report: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const [name, file, tolerance] = cases[i];
      const mad = madPerChannel(await serverTensor(file, SPEC), expected[i], SPEC);
      report.push(`${name}: ${mad.map((m) => m.toFixed(3)).join(' / ')}`);
      if (mad.some((m) => m > tolerance)) failures.push(`${name}: MAD ${mad.map((m) => m.toFixed(3))} > ${tolerance}`);
    }
    assert.deepEqual(failures, [], report.join('\n'));
  });

  it('puts the analytic point within 0.1 model pixel of the trainer, enlarged or reduced, any aspect', async () => {
    const sizes = [
      [40, 30],
      [64, 48],
      [70, 52],
      [97, 61],
      [128, 255],
      [255, 128],
      [300, 200],
      [640, 481],
    ];
    const files: string[] = [];
    for (const [width, height] of sizes) {
      const disc = { cx: width * 0.55, cy: height * 0.45, r: Math.min(width, height) * 0.15 };
      files.push(
        await write(
          `disc-${width}x${height}.png`,
          sharp(discSvg(width, height, [disc]))
            .png()
            .toBuffer(),
        ),
      );
    }
    const expected = trainerTensors(files, SPEC, dir);
    const off: string[] = [];
    for (let i = 0; i < files.length; i++) {
      const served = centroid(await serverTensor(files[i], SPEC), SPEC);
      const trained = centroid(expected[i], SPEC);
      const dx = served.x - trained.x;
      const dy = served.y - trained.y;
      if (Math.abs(dx) > 0.1 || Math.abs(dy) > 0.1)
        off.push(`${sizes[i].join('x')}: (${dx.toFixed(3)}, ${dy.toFixed(3)})`);
    }
    assert.deepEqual(off, [], 'points off by more than 0.1 model pixel');
  });

  it('agrees with the trainer on top-1 of the trained default model over the small synthetic benchmark', async () => {
    const synthDir = join(dir, 'synth');
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'luab.js'), 'synth', '--small', '--size', '160', '--out', synthDir, '--quiet'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const files: string[] = [];
    for (const split of ['train', 'val']) {
      for (const wnid of readdirSync(join(synthDir, split))) {
        for (const name of readdirSync(join(synthDir, split, wnid))) files.push(join(synthDir, split, wnid, name));
      }
    }
    assert.ok(files.length >= 100, `the small benchmark has ${files.length} train + val images`);
    const modelDir = join(REPO_ROOT, 'models', 'luab-in9-cnn');
    // The server's own reading of config.json, so the test checks the spec the server would serve with.
    const config = readModelConfig(join(modelDir, 'config.json'));
    const spec = preprocessSpec(config);
    const expected = trainerTensors(files, spec, dir);
    const session = await ort.InferenceSession.create(join(modelDir, '1', 'model.onnx'));
    const top1 = async (tensor: Float32Array) => {
      const feeds = {
        [config.input.name]: new ort.Tensor('float32', tensor, [1, 3, spec.inputHeight, spec.inputWidth]),
      };
      const logits = (await session.run(feeds))[config.outputs.logits].data as Float32Array;
      return logits.indexOf(Math.max(...logits));
    };
    let agree = 0;
    for (let i = 0; i < files.length; i++) {
      if ((await top1(await serverTensor(files[i], spec))) === (await top1(expected[i]))) agree += 1;
    }
    await session.release();
    assert.equal(agree, files.length, `top-1 agreement ${agree}/${files.length}`);
  });
});
