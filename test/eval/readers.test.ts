// Every suite reader on a tiny fixture in its dataset's released layout, made here, with that layout's traps;
// then the embedded benchmark's suites from one `luab synth --small` run; then the bad-input errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { in1kWnids, in9Classes, realLabels } from '../../eval/data/load.js';
import { readItemBytes } from '../../eval/item-bytes.js';
import { loadMask, maskCentroid } from '../../eval/locations.js';
import { setBgcBackgroundCap } from '../../eval/suites/bg-challenge-adversarial.js';
import { discoverSuites } from '../../eval/suites/discover.js';
import { getSuite, listSuites } from '../../eval/suites/index.js';
import type { EvalItem, ModelOutput } from '../../eval/types.js';
import { runLuab } from '../helpers/luab-cli.js';
import { line, model1k, modelIn9, npyBytes, output } from './helpers.js';

const W = in1kWnids();
const IN9 = in9Classes();

async function readAll(suite: string, root: string): Promise<EvalItem[]> {
  const items: EvalItem[] = [];
  for await (const item of getSuite(suite).read(root)) items.push(item);
  return items;
}

/** A small solid image at `path` (parents created), JPEG unless the name ends in .png. */
async function image(path: string, width = 8, height = 8, colour = { r: 90, g: 120, b: 200 }): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const img = sharp({ create: { width, height, channels: 3, background: colour } });
  writeFileSync(path, await (path.endsWith('.png') ? img.png() : img.jpeg()).toBuffer());
}

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

const locXml = (wnid: string, boxes: number[][]) =>
  `<annotation><folder>${wnid}</folder><size><width>8</width><height>8</height><depth>3</depth></size>` +
  boxes
    .map(
      (b) =>
        `<object><name>${wnid}</name><bndbox><xmin>${b[0]}</xmin><ymin>${b[1]}</ymin><xmax>${b[2]}</xmax><ymax>${b[3]}</ymax></bndbox></object>`,
    )
    .join('') +
  '</annotation>';

const withPoint = (o: ModelOutput, x: number, y: number): ModelOutput => ({
  ...o,
  imageWidth: 8,
  imageHeight: 8,
  point: { x: x / 8, y: y / 8, xPx: x, yPx: y },
});

describe('eval readers: the released layouts', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'luab-eval-readers-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('imagenet-val: sorted wnid folders, LOC XML boxes in val_xml/ (per class or flat), every object', async () => {
    const val = join(root, 'imagenet', 'val');
    await image(join(val, W[1], 'ILSVRC2012_val_00000002.JPEG'));
    await image(join(val, W[0], 'ILSVRC2012_val_00000003.JPEG'));
    await image(join(val, W[0], 'ILSVRC2012_val_00000001.JPEG'));
    write(join(root, 'imagenet', 'val_xml', W[0], 'ILSVRC2012_val_00000001.xml'), locXml(W[0], [[1, 2, 5, 6]]));
    write(
      join(root, 'imagenet', 'val_xml', 'ILSVRC2012_val_00000002.xml'),
      locXml(W[1], [
        [0, 0, 2, 2],
        [4, 4, 8, 8],
      ]),
    );
    const found = discoverSuites(root, ['imagenet-val', 'imagenet-real']).found;
    assert.deepEqual(
      found.map((f) => [f.name, f.root]),
      [
        ['imagenet-val', val],
        ['imagenet-real', val],
      ],
    );
    const items = await readAll('imagenet-val', val);
    assert.deepEqual(
      items.map((i) => [i.path, i.targetWnids[0]]),
      [
        [`${W[0]}/ILSVRC2012_val_00000001.JPEG`, W[0]],
        [`${W[0]}/ILSVRC2012_val_00000003.JPEG`, W[0]],
        [`${W[1]}/ILSVRC2012_val_00000002.JPEG`, W[1]],
      ],
    );
    assert.deepEqual(items[0].location, { box: [1, 2, 5, 6] });
    assert.equal(items[1].location, undefined);
    assert.deepEqual(items[2].location, { box: [0, 0, 2, 2], extraBoxes: [[4, 4, 8, 8]] });
    // Point metrics: in the second box counts as in the box; the centre guess (4, 4) is on the second box's corner.
    const s = getSuite('imagenet-val').scoreItem(items[2], withPoint(output(1000, [1]), 6, 7), model1k());
    assert.deepEqual(s.point, {
      centreInBox: true,
      centreDistance: Math.hypot(3, 3) / Math.hypot(8, 8),
      inBox: true,
      distance: Math.hypot(5, 6) / Math.hypot(8, 8),
    });
  });

  it('imagenet-v2: numeric folders are IN-1k indices parsed as integers (2, 10, 100), never string-sorted', async () => {
    const v2 = join(root, 'imagenetv2-matched-frequency-format-val');
    for (const k of ['100', '2', '10']) await image(join(v2, k, `${k}a.jpeg`));
    const items = await readAll('imagenet-v2', v2);
    assert.deepEqual(
      items.map((i) => [i.path, i.targetWnids[0]]),
      [
        ['2/2a.jpeg', W[2]],
        ['10/10a.jpeg', W[10]],
        ['100/100a.jpeg', W[100]],
      ],
    );
    const bad = join(root, 'v2-bad');
    await image(join(bad, '007', 'x.jpeg'));
    await assert.rejects(
      readAll('imagenet-v2', bad),
      /imagenet-v2: class folder "007" in .*v2-bad is not an IN-1k class index 0\.\.999/,
    );
    const big = join(root, 'v2-big');
    await image(join(big, '1000', 'x.jpeg'));
    await assert.rejects(readAll('imagenet-v2', big), /class folder "1000"/);
  });

  it('imagenet-real: real.json by sorted file name, empty lists skipped and counted (flat layout too)', async () => {
    assert.deepEqual(realLabels().slice(0, 3), [[], [970, 795], [230, 231]]);
    const flat = join(root, 'real-flat');
    for (const n of [3, 1, 2]) await image(join(flat, `ILSVRC2012_val_0000000${n}.JPEG`));
    const items = await readAll('imagenet-real', flat);
    assert.deepEqual(
      items.map((i) => [i.path, i.targetWnids]),
      [
        ['ILSVRC2012_val_00000001.JPEG', []],
        ['ILSVRC2012_val_00000002.JPEG', [W[970], W[795]]],
        ['ILSVRC2012_val_00000003.JPEG', [W[230], W[231]]],
      ],
    );
    const m = model1k();
    const suite = getSuite('imagenet-real');
    const lines = [
      line(items[0], output(1000, [0]), m),
      line(items[1], output(1000, [795]), m),
      line(items[2], output(1000, [229]), m),
    ];
    assert.match(lines[0].score.skipped ?? '', /no label/);
    assert.equal(lines[1].score.correct, true, 'any label of the list is right');
    const metrics = suite.aggregate(lines);
    assert.deepEqual(metrics.counts, { evaluated: 2, skipped: 1, failed: 0 });
    assert.equal(metrics.metrics.accuracy.value, 0.5);
    // The class-folder layout of imagenet/val gives the same labels.
    const inFolders = await readAll('imagenet-real', join(root, 'imagenet', 'val'));
    assert.deepEqual(
      inFolders.map((i) => i.targetWnids.length),
      [0, 2, 2],
    );
    const wrong = join(root, 'real-bad');
    await image(join(wrong, 'val_1.JPEG'));
    await assert.rejects(
      readAll('imagenet-real', wrong),
      /imagenet-real: .*val_1\.JPEG is not named ILSVRC2012_val_<8 digits>/,
    );
  });

  it('imagenet-c: <corruption>/<severity>/<wnid> with or without the category level; mCE, extras apart', async () => {
    const c = join(root, 'imagenet-c');
    await image(join(c, 'noise', 'gaussian_noise', '1', W[3], 'a.JPEG'));
    await image(join(c, 'noise', 'gaussian_noise', '2', W[3], 'a.JPEG'));
    await image(join(c, 'fog', '3', W[4], 'b.JPEG'));
    await image(join(c, 'extra', 'speckle_noise', '2', W[4], 'b.JPEG'));
    const items = await readAll('imagenet-c', c);
    assert.deepEqual(
      items.map((i) => [i.variant, i.path, i.attributes?.category]),
      [
        ['fog/3', `fog/3/${W[4]}/b.JPEG`, 'weather'],
        ['gaussian_noise/1', `noise/gaussian_noise/1/${W[3]}/a.JPEG`, 'noise'],
        ['gaussian_noise/2', `noise/gaussian_noise/2/${W[3]}/a.JPEG`, 'noise'],
        ['speckle_noise/2', `extra/speckle_noise/2/${W[4]}/b.JPEG`, 'extra'],
      ],
    );
    assert.equal(getSuite('imagenet-c').resize, 'keep-at-input-size');
    const m = model1k();
    // fog right, gaussian_noise 1 right and 2 wrong, speckle wrong.
    const answers = [4, 3, 0, 0];
    const metrics = getSuite('imagenet-c').aggregate(items.map((it, i) => line(it, output(1000, [answers[i]]), m)));
    const b = metrics.breakdowns ?? {};
    assert.deepEqual(b.error_by_corruption, { fog: 0, gaussian_noise: 0.5, speckle_noise: 1 });
    const ceGauss = (100 * (0 + 1)) / (0.69528 + 0.82542);
    assert.ok(Math.abs(b.ce_by_corruption.gaussian_noise - ceGauss) < 1e-9);
    assert.ok(Math.abs(metrics.metrics.mCE.value - (ceGauss + 0) / 2) < 1e-9);
    assert.equal(metrics.metrics.mCE.better, 'lower');
    assert.ok(Math.abs(metrics.metrics.accuracy.value - 2 / 3) < 1e-12, 'mean accuracy over the standard cells');
    assert.ok(
      metrics.notes.some((n) =>
        n.startsWith('mCE is over 2 of the 15 standard corruptions; missing: shot_noise, impulse_noise'),
      ),
    );
    assert.ok(metrics.notes.some((n) => n === 'extra corruptions, reported apart and not in mCE: speckle_noise'));
    const bad = join(root, 'c-bad');
    await image(join(bad, 'fog', 'heavy', W[4], 'b.JPEG'));
    await assert.rejects(readAll('imagenet-c', bad), /imagenet-c: .*fog[/\\]heavy is neither a corruption folder/);
  });

  it('objectnet: images/<folder>/ of the 113 overlapping classes, the 2-pixel border cut before sending', async () => {
    const on = join(root, 'objectnet-1.0');
    // A 12x10 image: a red 2-pixel frame around a blue inside.
    const frame = Buffer.alloc(12 * 10 * 3);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 12; x++) {
        const edge = x < 2 || y < 2 || x >= 10 || y >= 8;
        frame.set(edge ? [255, 0, 0] : [0, 0, 255], (y * 12 + x) * 3);
      }
    }
    write(
      join(on, 'images', 'alarm_clock', 'x.png'),
      await sharp(frame, { raw: { width: 12, height: 10, channels: 3 } })
        .png()
        .toBuffer(),
    );
    await image(join(on, 'images', 'zz_not_in_imagenet', 'y.png'));
    const items = await readAll('objectnet', on);
    assert.equal(items.length, 1);
    assert.deepEqual(items[0].targetWnids, [W[409], W[530]]);
    assert.equal(items[0].cropBorderPx, 2);
    const { data, info } = await sharp(await readItemBytes(items[0]))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [8, 6]);
    for (let p = 0; p < 8 * 6; p++)
      assert.deepEqual([...data.subarray(p * 3, p * 3 + 3)], [0, 0, 255], `pixel ${p} is not the inside`);
    // Both conventions: the global argmax 0 (tench, not an ObjectNet class) fails full-1k-mapped; restricted to the
    // 125 classes, 530 (digital clock) is the answer and right.
    const s = getSuite('objectnet').scoreItem(items[0], output(1000, [0, 530]), model1k());
    assert.deepEqual(s.correctBy, { 'restricted-113': true, 'full-1k-mapped': false });
    const metrics = getSuite('objectnet').aggregate([line(items[0], output(1000, [0, 530]), model1k())]);
    assert.deepEqual([metrics.metrics.accuracy.value, metrics.metrics.accuracy_full_1k_mapped.value], [1, 0]);
  });

  it('si-size / si-rotation / si-location: metadata.csv groups, SI-Score folder names, unweighted group mean', async () => {
    const area = join(root, 'area');
    const header =
      'image_id,x_coord,y_coord,area,rotation,foreground_class,foreground_instance,background,bg_resolution_width,bg_resolution_height,pct_inside_image';
    write(
      join(area, 'metadata.csv'),
      [
        header,
        '0,0.5,0.5,0.1,0,407,0,1,8,8,1',
        '1,0.5,0.5,0.1,0,407,1,2,8,8,1',
        '2,0.5,0.5,0.2,0,945,0,3,8,8,1',
        '10,0.25,0.75,0.2,0,945,0,3,8,8,1',
      ].join('\n') + '\n',
    );
    for (const [folder, id] of [
      ['ambulance', 0],
      ['ambulance', 1],
      ['bell pepper', 2],
      ['bell pepper', 10],
    ] as const) {
      await image(join(area, folder, `${id}.jpg`));
    }
    const items = await readAll('si-size', area);
    assert.deepEqual(
      items.map((i) => [i.path, i.targetWnids[0], i.group]),
      [
        ['ambulance/0.jpg', 'n02701002', '0.1'],
        ['ambulance/1.jpg', 'n02701002', '0.1'],
        ['bell pepper/10.jpg', 'n07720875', '0.2'],
        ['bell pepper/2.jpg', 'n07720875', '0.2'],
      ],
    );
    assert.deepEqual(items[2].location, { centroid: [2, 6] }, 'the object centre from x_coord, y_coord');
    const m = model1k();
    // area 0.1: 2 of 2 right; area 0.2: 0 of 2 → si_size 0.5 (here equal to the image mean), then 1 of 2 → 0.75.
    const ambulance = W.indexOf('n02701002');
    const pepper = W.indexOf('n07720875');
    const answers = [ambulance, ambulance, 0, pepper];
    const metrics = getSuite('si-size').aggregate(items.map((it, i) => line(it, output(1000, [answers[i]]), m)));
    assert.deepEqual(metrics.breakdowns?.accuracy_by_area, { '0.1': 1, '0.2': 0.5 });
    assert.equal(metrics.metrics.si_size.value, 0.75);
    const lopsided = getSuite('si-size').aggregate(
      items.slice(0, 3).map((it, i) => line(it, output(1000, [answers[i]]), m)),
    );
    assert.equal(lopsided.metrics.si_size.value, 0.5, 'groups weigh the same whatever their image counts');
    assert.equal(lopsided.metrics.accuracy.value, 2 / 3);

    const noMeta = join(root, 'rotation');
    await image(join(noMeta, 'ambulance', '0.jpg'));
    await assert.rejects(readAll('si-rotation', noMeta), /si-rotation: .*rotation[/\\]metadata\.csv is missing/);
    write(join(noMeta, 'metadata.csv'), `${header}\n5,0.5,0.5,0.2,21,407,0,1,8,8,1\n`);
    await assert.rejects(readAll('si-rotation', noMeta), /si-rotation: .*ambulance[/\\]0\.jpg: no image_id 0 in/);
    write(join(noMeta, 'metadata.csv'), 'image_id,x_coord\n0,0.5\n');
    await assert.rejects(readAll('si-rotation', noMeta), /metadata\.csv: column "y_coord" is missing/);
    const unknown = join(root, 'location20_area02_min0pc');
    write(join(unknown, 'metadata.csv'), `${header}\n0,0.5,0.5,0.2,0,407,0,1,8,8,1\n`);
    await image(join(unknown, 'spaceship', '0.jpg'));
    await assert.rejects(
      readAll('si-location', unknown),
      /si-location: class folder "spaceship" in .* is neither an SI-Score class/,
    );
  });

  it('bg-challenge: <variant>/val/<NN_label>/ with spaces, fg_mask .npy locations, BG-gap', async () => {
    const bg = join(root, 'bg_challenge');
    const mask = npyBytes(
      8,
      8,
      Array.from({ length: 64 }, (_, p) => (p % 8 < 4 ? 1 : 0)),
    ); // left half
    for (const variant of ['original', 'only_bg_t', 'mixed_same', 'mixed_rand']) {
      await image(join(bg, variant, 'val', '00_dog', 'n02085620_1.JPEG'));
      await image(join(bg, variant, 'val', '02_wheeled vehicle', 'n02701002_7.JPEG'));
    }
    write(join(bg, 'fg_mask', 'val', '00_dog', 'n02085620_1.npy'), mask);
    const items = await readAll('bg-challenge', bg);
    assert.deepEqual(
      items.map((i) => [i.variant, i.targetWnids[0], i.location !== undefined]),
      [
        ['original', IN9[0].wnid, true],
        ['original', IN9[2].wnid, false],
        ['only_bg_t', IN9[0].wnid, false], // the foreground was removed: no location
        ['only_bg_t', IN9[2].wnid, false],
        ['mixed_same', IN9[0].wnid, true],
        ['mixed_same', IN9[2].wnid, false],
        ['mixed_rand', IN9[0].wnid, true],
        ['mixed_rand', IN9[2].wnid, false],
      ],
    );
    assert.equal(IN9[2].wnid, 'n04576211');
    const m = modelIn9();
    const s = getSuite('bg-challenge').scoreItem(items[0], withPoint(output(9, [0]), 1, 4), m);
    assert.deepEqual(s.point, {
      centreInBox: true, // (4, 4) is on the mask box's right edge [0, 0, 4, 8]
      centreInMask: false, // but in the pixel x = 4, outside the left half
      centreDistance: 2 / Math.hypot(8, 8),
      inBox: true,
      inMask: true,
      distance: 1 / Math.hypot(8, 8),
    });
    // mixed_same: both right; mixed_rand: the dog wrong → BG-gap 1 - 0.5.
    const answers = [0, 2, 0, 2, 0, 2, 5, 2];
    const metrics = getSuite('bg-challenge').aggregate(items.map((it, i) => line(it, output(9, [answers[i]]), m)));
    assert.equal(metrics.metrics.mixed_same.value, 1);
    assert.equal(metrics.metrics.mixed_rand.value, 0.5);
    assert.equal(metrics.metrics.bg_gap.value, 0.5);
    assert.ok(metrics.notes.includes('variants not evaluated: only_fg, no_fg, only_bg_b, mixed_next'));
    const resized = getSuite('bg-challenge').aggregate([line(items[0], { ...output(9, [0]), resized: true }, m)]);
    assert.ok(resized.notes.some((n) => /1 images were resized to the model's input size/.test(n)));
    const bad = join(root, 'bg-bad');
    await image(join(bad, 'original', 'val', '02_vehicle', 'a.JPEG'));
    await assert.rejects(
      readAll('bg-challenge', bad),
      /bg-challenge: class folder "02_vehicle" in .* is not an IN-9 folder \(expected "00_dog", "01_bird", "02_wheeled vehicle"/,
    );
  });

  it('bg-challenge-adversarial: every foreground on every only_bg_t background, masked; a cap takes a fixed subset', async () => {
    const bg = join(root, 'bgc');
    const mask = npyBytes(
      4,
      4,
      Array.from({ length: 16 }, (_, p) => (p < 8 ? 1 : 0)),
    ); // top half
    for (const [folder, name] of [
      ['00_dog', 'a'],
      ['01_bird', 'b'],
    ]) {
      // PNG bytes under the release's .JPEG name keep the pixels exact for the check below.
      write(
        join(bg, 'original', 'val', folder, `${name}.JPEG`),
        await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 255, g: 0, b: 0 } } })
          .png()
          .toBuffer(),
      );
      write(join(bg, 'fg_mask', 'val', folder, `${name}.npy`), mask);
    }
    for (const [folder, name] of [
      ['00_dog', 'x'],
      ['03_reptile', 'y'],
      ['08_fish', 'z'],
    ]) {
      write(
        join(bg, 'only_bg_t', 'val', folder, `${name}.JPEG`),
        await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 0, g: 0, b: 255 } } })
          .png()
          .toBuffer(),
      );
    }
    const items = await readAll('bg-challenge-adversarial', bg);
    assert.equal(items.length, 6);
    assert.deepEqual(
      items.map((i) => i.path),
      [
        'adversarial/00_dog/a+00_dog/x.JPEG',
        'adversarial/00_dog/a+03_reptile/y.JPEG',
        'adversarial/00_dog/a+08_fish/z.JPEG',
        'adversarial/01_bird/b+00_dog/x.JPEG',
        'adversarial/01_bird/b+03_reptile/y.JPEG',
        'adversarial/01_bird/b+08_fish/z.JPEG',
      ],
    );
    assert.equal(getSuite('bg-challenge-adversarial').resize, 'keep-at-input-size');
    const { data } = await sharp(await readItemBytes(items[0]))
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let p = 0; p < 16; p++) {
      assert.deepEqual([...data.subarray(p * 3, p * 3 + 3)], p < 8 ? [255, 0, 0] : [0, 0, 255], `composite pixel ${p}`);
    }
    // The dog is fooled by one background, the bird by none → BGC 1/2.
    const m = modelIn9();
    const answers = [0, 3, 0, 1, 1, 1];
    const metrics = getSuite('bg-challenge-adversarial').aggregate(
      items.map((it, i) => line(it, output(9, [answers[i]]), m)),
    );
    assert.deepEqual([metrics.metrics.bgc.value, metrics.metrics.bgc.count], [0.5, 2]);
    assert.deepEqual(metrics.breakdowns?.challenge, { foregrounds: 2, vulnerable: 1, composites: 6 });
    try {
      setBgcBackgroundCap(2);
      const capped = await readAll('bg-challenge-adversarial', bg);
      // Foreground 0 takes backgrounds 0, 1; foreground 1 takes (2 + 0) mod 3, (2 + 1) mod 3 = 2, 0.
      assert.deepEqual(
        capped.map((i) => i.path),
        [
          'adversarial/00_dog/a+00_dog/x.JPEG',
          'adversarial/00_dog/a+03_reptile/y.JPEG',
          'adversarial/01_bird/b+08_fish/z.JPEG',
          'adversarial/01_bird/b+00_dog/x.JPEG',
        ],
      );
      const note = getSuite('bg-challenge-adversarial').aggregate(
        capped.map((it) => line(it, output(9, [0]), m)),
      ).notes;
      assert.ok(
        note.some((n) => /deterministic subset of 2 of the 3 only_bg_t backgrounds/.test(n)),
        note.join('; '),
      );
    } finally {
      setBgcBackgroundCap(undefined);
    }
    write(join(bg, 'fg_mask', 'val', '01_bird', 'orphan.npy'), mask);
    await assert.rejects(
      readAll('bg-challenge-adversarial', bg),
      /mask .*orphan\.npy has no image .*original[/\\]val[/\\]01_bird[/\\]orphan\.JPEG/,
    );
  });

  it('imagenet-o: OOD images and the IN val images of the same wnids; AUPR, AUROC, FPR@95', async () => {
    const o = join(root, 'imagenet-o');
    const wo = 'n01704323'; // triceratops: an ImageNet-O wnid
    await image(join(o, wo, 'o1.jpg'));
    await image(join(o, wo, 'o2.jpg'));
    await image(join(root, 'imagenet', 'val', wo, 'v1.JPEG'));
    await image(join(root, 'imagenet', 'val', wo, 'v2.JPEG'));
    const items = await readAll('imagenet-o', o);
    assert.deepEqual(
      items.map((i) => [i.variant, i.path, i.ood]),
      [
        ['ood', `${wo}/o1.jpg`, true],
        ['ood', `${wo}/o2.jpg`, true],
        ['in-distribution', `in-distribution/${wo}/v1.JPEG`, false],
        ['in-distribution', `in-distribution/${wo}/v2.JPEG`, false],
      ],
    );
    const m = model1k();
    const gold = W.indexOf(wo);
    const confident = (p: number) => {
      const scores = new Array<number>(1000).fill((1 - p) / 999);
      scores[gold] = p;
      return { ...output(1000, []), scores };
    };
    // OOD confidences 0.3, 0.9; in-distribution 0.8, 0.95 → anomaly ranks: 0.3 (OOD) first, then 0.8 (in), 0.9 (OOD).
    const outs = [confident(0.3), confident(0.9), confident(0.8), confident(0.95)];
    const metrics = getSuite('imagenet-o').aggregate(items.map((it, i) => line(it, outs[i], m)));
    assert.ok(Math.abs(metrics.metrics.auroc.value - 0.75) < 1e-9, String(metrics.metrics.auroc.value));
    assert.ok(Math.abs(metrics.metrics.aupr.value - (0.5 + 0.5 * (2 / 3))) < 1e-9);
    assert.equal(metrics.metrics.fpr95.better, 'lower');
    assert.equal(metrics.metrics.in_distribution_accuracy.value, 1);
    const lonely = join(root, 'lonely', 'imagenet-o');
    await image(join(lonely, wo, 'o1.jpg'));
    await assert.rejects(
      readAll('imagenet-o', lonely),
      /imagenet-o: no in-distribution images: neither .*imagenet_val_for_imagenet_o_ood nor .*imagenet[/\\]val exists/,
    );
  });

  it('imagenet-a / imagenet-r / imagenet-sketch: <wnid>/ folders of their own class lists', async () => {
    await image(join(root, 'imagenet-a', 'n01498041', 'a.jpg'));
    await image(join(root, 'imagenet-r', 'n01443537', 'art_0.jpg'));
    await image(join(root, 'sketch', W[0], 'sketch_1.JPEG'));
    assert.deepEqual(
      (await readAll('imagenet-a', join(root, 'imagenet-a'))).map((i) => i.targetWnids),
      [['n01498041']],
    );
    assert.deepEqual(
      (await readAll('imagenet-r', join(root, 'imagenet-r'))).map((i) => i.path),
      ['n01443537/art_0.jpg'],
    );
    assert.deepEqual((await readAll('imagenet-sketch', join(root, 'sketch'))).length, 1);
    // n01443537 (goldfish) is in ImageNet-R's list, not in ImageNet-A's: an unknown wnid there.
    await image(join(root, 'a-bad', 'n01443537', 'a.jpg'));
    await assert.rejects(
      readAll('imagenet-a', join(root, 'a-bad')),
      /imagenet-a: class folder "n01443537" in .*a-bad is not a wnid of imagenet-a \(200 wnids in eval\/data\)/,
    );
  });

  it('bad input: a missing suite folder and an empty class folder are errors naming the folder', async () => {
    await assert.rejects(
      readAll('imagenet-sketch', join(root, 'nowhere')),
      /imagenet-sketch: suite folder .*nowhere does not exist/,
    );
    mkdirSync(join(root, 'empty-a', 'n01498041'), { recursive: true });
    await assert.rejects(
      readAll('imagenet-a', join(root, 'empty-a')),
      /imagenet-a: class folder .*empty-a[/\\]n01498041 holds no images/,
    );
    mkdirSync(join(root, 'no-classes'), { recursive: true });
    await assert.rejects(
      readAll('imagenet-val', join(root, 'no-classes')),
      /imagenet-val: .*no-classes holds no class folders/,
    );
    await image(join(root, 'unknown-wnid', 'n99999999', 'a.JPEG'));
    await assert.rejects(
      readAll('imagenet-val', join(root, 'unknown-wnid')),
      /imagenet-val: class folder "n99999999" in .*unknown-wnid is not a wnid of in1k/,
    );
  });
});

describe('eval readers: the embedded benchmark (luab synth --small)', () => {
  let synth: string;
  before(async function () {
    this.timeout(180_000);
    synth = join(mkdtempSync(join(tmpdir(), 'luab-eval-synth-')), 'synth');
    const run = await runLuab(['synth', '--small', '--out', synth, '--quiet']);
    assert.equal(run.code, 0, run.stderr);
  });
  after(() => rmSync(dirname(synth), { recursive: true, force: true }));

  const SYNTH_SUITES = [
    'bg-challenge',
    'bg-challenge-adversarial',
    'imagenet-c',
    'imagenet-r',
    'imagenet-val',
    'si-location',
    'si-rotation',
    'si-size',
    'unseen-backgrounds',
  ];

  it('discovers every synth suite, reads it with IN-9 targets and locations, and scores points in the mask', async () => {
    const REAL_ONLY = ['imagenet-a', 'imagenet-o', 'imagenet-real', 'imagenet-sketch', 'imagenet-v2', 'objectnet'];
    // Other test files register fixture suites in the same process: judge the built-in ones only.
    const builtIn = new Set([...SYNTH_SUITES, ...REAL_ONLY]);
    const d = discoverSuites(synth, ['all']);
    const names = (list: { name: string }[]) =>
      list
        .map((s) => s.name)
        .filter((n) => builtIn.has(n))
        .sort();
    assert.deepEqual(names(d.found), SYNTH_SUITES);
    assert.deepEqual(names(d.missing), REAL_ONLY);
    // Every built-in suite is registered: one dropped from eval/suites/index.ts fails here.
    assert.deepEqual(
      [...builtIn].filter((n) => !listSuites().includes(n)),
      [],
    );
    const in9 = new Set(IN9.map((c) => c.wnid));
    const m = modelIn9();
    for (const { name, root } of d.found.filter((f) => builtIn.has(f.name))) {
      const items = await readAll(name, root);
      assert.ok(items.length > 0, name);
      assert.ok(
        items.every((i) => i.targetWnids.length === 1 && in9.has(i.targetWnids[0])),
        `${name}: IN-9 targets`,
      );
      const located = items.filter((i) => i.location);
      assert.ok(located.length > 0, `${name}: some items have a location`);
      // A point at the object's centroid is in its box and at distance 0 (the centroid may fall off the mask).
      const it = located.find((i) => i.location?.centroid) ?? located[0];
      const mask = it.location?.mask ? loadMask(it.location.mask) : undefined;
      const [cx, cy] = it.location?.centroid ?? (mask ? maskCentroid(mask) : null) ?? [NaN, NaN];
      const o: ModelOutput = {
        ...output(9, [IN9.findIndex((c) => c.wnid === it.targetWnids[0])]),
        imageWidth: 64,
        imageHeight: 64,
        point: { x: cx / 64, y: cy / 64, xPx: cx, yPx: cy },
      };
      const s = getSuite(name).scoreItem(it, o, m);
      assert.equal(s.correct, true, name);
      assert.equal(s.point?.inBox, true, `${name}: centroid in box`);
      assert.equal(s.point?.distance, 0, name);
      assert.equal(typeof s.point?.inMask, 'boolean', `${name}: a mask (RLE or .npy) to test against`);
    }
    const bg = await readAll('bg-challenge', join(synth, 'suites', 'backgrounds_challenge'));
    assert.deepEqual(
      [...new Set(bg.map((i) => i.variant))],
      ['original', 'only_fg', 'no_fg', 'only_bg_b', 'only_bg_t', 'mixed_same', 'mixed_rand', 'mixed_next'],
    );
    assert.ok(
      bg.filter((i) => i.variant === 'no_fg').every((i) => i.location === undefined),
      'no_fg removed the object',
    );
    assert.ok(
      bg.filter((i) => i.variant === 'original').every((i) => i.location?.mask && 'npyPath' in i.location.mask),
    );
    const c = await readAll('imagenet-c', join(synth, 'suites', 'imagenet_c'));
    assert.equal(new Set(c.map((i) => i.attributes?.corruption)).size, 13);
    const metrics = getSuite('imagenet-c').aggregate(c.map((it) => line(it, output(9, [0]), m)));
    assert.ok(Number.isFinite(metrics.metrics.mCE.value));
    assert.ok(
      metrics.notes.some((n) =>
        /mCE is over 11 of the 15 standard corruptions; missing: glass_blur, snow, frost, elastic_transform/.test(n),
      ),
      metrics.notes.join('; '),
    );
    assert.ok(
      metrics.notes.some((n) => n === 'extra corruptions, reported apart and not in mCE: gaussian_blur, speckle_noise'),
    );
    // A 1k model is scored on the synth's IN-9 suites through in_to_in9.json.
    getSuite('si-size').checkLabels(model1k());
    const si = await readAll('si-size', join(synth, 'suites', 'si_score', 'area'));
    assert.equal(getSuite('si-size').scoreItem(si[0], output(1000, [151]), model1k()).predictedWnid, IN9[0].wnid);
  });
});
