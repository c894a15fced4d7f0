// End to end: `luab synth --small` twice with one seed (one and two workers), then every layout, count and
// byproduct field, identical files, click accuracy against the configuration, and disjoint pools.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { E1_INSIDE_BOX_RATE } from '../../synth/annotator.js';
import { BG_VARIANTS } from '../../synth/suites/backgrounds-challenge.js';
import { CLASSES } from '../../synth/classes.js';
import { CORRUPTION_NAMES } from '../../synth/corruptions/names.js';
import { DEFAULT_CONFIG, SMALL_PRESET } from '../../synth/config.js';
import { decodeNpyUint8 } from '../../synth/npy.js';
import type { ImageRecord } from '../../synth/suites/types.js';
import { child, children, listFiles, luab, parseXmlFiles, readJsonLines, text, type XmlNode } from './helpers.js';

const SEED = 7;
const perClass = {
  train: SMALL_PRESET.counts?.train_per_class ?? 0,
  val: SMALL_PRESET.counts?.val_per_class ?? 0,
  suite: SMALL_PRESET.counts?.suite_per_class ?? 0,
};
const SIZE = DEFAULT_CONFIG.image_size;

interface Manifest {
  generator: string;
  seed: number;
  fingerprint: string;
  config: typeof DEFAULT_CONFIG;
  parts: Record<string, { counts: Record<string, number> }>;
  pools: Record<string, { scenes: string[]; seen: string[]; unseen: string[] }>;
  icons: { heldout_sets: string[]; training_sets: string[]; sets: Array<{ set: string; licence: string }> };
  backgrounds: { photos: Array<{ id: string; licence: string; copyright: string }> };
  contact_sheets: string[];
}

describe('luab synth --small', function () {
  this.timeout(180_000);
  let work: string;
  let dir: string;
  let manifest: Manifest;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'luab-synth-test-'));
    dir = join(work, 'a');
    const run = await luab(['synth', '--out', dir, '--small', '--seed', String(SEED), '--workers', '2', '--quiet']);
    assert.equal(run.code, 0, run.stderr);
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('writes classes.json in IN-9 order and a manifest with the seed, parameters, pools and licences', () => {
    const classes = JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8')) as Array<{
      index: number;
      name: string;
      wnid: string;
    }>;
    assert.deepEqual(
      classes.map((c) => c.name),
      ['dog', 'bird', 'wheeled_vehicle', 'reptile', 'carnivore', 'insect', 'musical_instrument', 'primate', 'fish'],
    );
    assert.deepEqual(
      classes.map((c) => c.wnid),
      [
        'n02084071',
        'n01503061',
        'n04576211',
        'n01661091',
        'n02075296',
        'n02159955',
        'n03800933',
        'n02469914',
        'n02512053',
      ],
    );
    assert.deepEqual(
      classes.map((c) => c.index),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.equal(manifest.generator, 'luab-synth');
    assert.equal(manifest.seed, SEED);
    assert.equal(manifest.config.counts.train_per_class, perClass.train);
    assert.equal(manifest.config.rho, DEFAULT_CONFIG.rho);
    assert.equal(manifest.icons.sets.length, 8);
    for (const set of manifest.icons.sets) assert.ok(set.licence.length > 0, `licence of ${set.set}`);
    assert.ok(manifest.backgrounds.photos.length >= 90);
    for (const p of manifest.backgrounds.photos) assert.ok(p.licence && p.copyright, `attribution of ${p.id}`);
    for (const sheet of manifest.contact_sheets) assert.ok(existsSync(join(dir, sheet)), sheet);
    assert.equal(manifest.contact_sheets.length, 6);
  });

  it('writes train/val images and XML in the agreed ImageNet layout, class-balanced, 64 px RGB JPEG', async () => {
    const files = new Set(listFiles(dir));
    for (const cls of CLASSES) {
      for (let n = 1; n <= perClass.train; n++) {
        assert.ok(files.has(`train/${cls.wnid}/${cls.wnid}_${n}.JPEG`), `train ${cls.wnid} ${n}`);
        assert.ok(files.has(`train_xml/${cls.wnid}/${cls.wnid}_${n}.xml`), `train_xml ${cls.wnid} ${n}`);
      }
      for (let n = 1; n <= perClass.val; n++) {
        assert.ok(files.has(`val/${cls.wnid}/${cls.wnid}_val_${n}.JPEG`));
        assert.ok(files.has(`val_xml/${cls.wnid}/${cls.wnid}_val_${n}.xml`));
      }
    }
    const images = [...files].filter((f) => /^(train|val)\//.test(f));
    assert.equal(images.length, 9 * (perClass.train + perClass.val));
    const meta = await sharp(join(dir, images[0])).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, SIZE);
    assert.equal(meta.height, SIZE);
    assert.equal(meta.channels, 3);
    assert.deepEqual(manifest.parts.training.counts, { train: 9 * perClass.train, val: 9 * perClass.val });
  });

  it('writes complete ImageNet-AB byproducts for training and LOC-only XML for validation', () => {
    const a = DEFAULT_CONFIG.annotator;
    const xmlFiles = listFiles(dir).filter((f) => f.endsWith('.xml'));
    const parsed = parseXmlFiles(xmlFiles.map((f) => join(dir, f)));
    let blocks = 0;
    let imagesWithoutTarget = 0;
    for (const file of xmlFiles) {
      const root = parsed[join(dir, file)];
      const stem = file.split('/').pop()?.replace('.xml', '') ?? '';
      const wnid = file.split('/')[1];
      assert.equal(root.tag, 'annotation');
      assert.equal(text(root, 'folder'), wnid);
      assert.equal(text(root, 'filename'), stem);
      const size = child(root, 'size');
      assert.deepEqual(
        [text(size, 'width'), text(size, 'height'), text(size, 'depth')],
        [String(SIZE), String(SIZE), '3'],
      );
      const object = child(root, 'object');
      assert.equal(text(object, 'name'), wnid);
      const box = ['xmin', 'ymin', 'xmax', 'ymax'].map((k) => Number(text(child(object, 'bndbox'), k)));
      assert.ok(box.every(Number.isInteger), `${file}: integer box`);
      assert.ok(
        box[0] >= 0 && box[1] >= 0 && box[2] <= SIZE && box[3] <= SIZE && box[0] < box[2] && box[1] < box[3],
        `${file}: box ${box}`,
      );
      const metadata = children(root, 'metadata');
      if (file.startsWith('val_xml/')) {
        assert.equal(metadata.length, 0, `${file}: validation XML carries no byproduct`);
        continue;
      }
      if (!metadata.some((m) => text(m, 'selected') === 'True')) imagesWithoutTarget++;
      for (const m of metadata) {
        blocks++;
        checkBlock(m, file, wnid, stem, a);
      }
    }
    assert.ok(blocks >= 9 * perClass.train * 0.95, `about one block per image, got ${blocks}`);
    assert.ok(imagesWithoutTarget > 0, 'some training images must have no selected block (regression weight 0)');
  });

  it('simulates clicks with the configured accuracy, and selection at the configured rate', () => {
    const xmlFiles = listFiles(dir).filter((f) => f.startsWith('train_xml/'));
    const parsed = parseXmlFiles(xmlFiles.map((f) => join(dir, f)));
    let inside = 0;
    let clicks = 0;
    let blocks = 0;
    let selected = 0;
    for (const root of Object.values(parsed)) {
      const box = ['xmin', 'ymin', 'xmax', 'ymax'].map(
        (k) => Number(text(child(child(root, 'object'), 'bndbox'), k)) / SIZE,
      );
      for (const m of children(root, 'metadata')) {
        blocks++;
        if (text(m, 'selected') !== 'True') continue;
        selected++;
        const first = children(m, 'selectedRecord')[0];
        const [x, y] = [Number(text(first, 'x')), Number(text(first, 'y'))];
        clicks++;
        if (x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3]) inside++;
      }
    }
    // About 110 clicks here: a binomial standard deviation of 0.036 for the inside rate; 4 of them as tolerance.
    // The 20,000-click check of the click model itself is in annotator.test.ts.
    const tolerance = (p: number, n: number): number => 4 * Math.sqrt((p * (1 - p)) / n);
    const c = DEFAULT_CONFIG.annotator;
    assert.ok(
      Math.abs(inside / clicks - E1_INSIDE_BOX_RATE) <= tolerance(E1_INSIDE_BOX_RATE, clicks),
      `inside rate ${inside / clicks} over ${clicks}`,
    );
    assert.ok(
      Math.abs(selected / blocks - c.selected_rate) <= tolerance(c.selected_rate, blocks),
      `selected rate ${selected / blocks} over ${blocks}`,
    );
  });

  it('uses disjoint background pools of at least min_pool_size, and unseen photos only in the unseen suite', () => {
    const pools = Object.values(manifest.pools);
    const owner = new Map<string, number>();
    pools.forEach((p, i) => {
      assert.ok(p.seen.length + p.unseen.length >= DEFAULT_CONFIG.backgrounds.min_pool_size);
      assert.equal(p.unseen.length, DEFAULT_CONFIG.backgrounds.unseen_per_pool);
      for (const id of [...p.seen, ...p.unseen]) {
        assert.ok(!owner.has(id), `photo ${id} is in two pools`);
        owner.set(id, i);
      }
    });
    const unseen = new Set(pools.flatMap((p) => p.unseen));
    const poolOf = new Map(
      Object.entries(manifest.pools).flatMap(([c, p]) => [...p.seen, ...p.unseen].map((id) => [id, c] as const)),
    );
    const sidecars = [
      'objects.jsonl',
      ...['backgrounds_challenge', 'unseen_backgrounds', 'si_score', 'imagenet_c', 'imagenet_r'].map(
        (s) => `suites/${s}/objects.jsonl`,
      ),
    ];
    for (const sidecar of sidecars) {
      for (const r of readJsonLines<ImageRecord>(join(dir, sidecar))) {
        if (r.background === null) continue;
        const isUnseenSuite = sidecar.includes('unseen_backgrounds');
        assert.equal(unseen.has(r.background), isUnseenSuite, `${sidecar} ${r.path}: photo ${r.background}`);
        assert.equal(
          poolOf.get(r.background),
          r.background_class,
          `${sidecar} ${r.path}: photo of pool ${poolOf.get(r.background)}`,
        );
      }
    }
  });

  it('writes the Backgrounds Challenge in its release layout, with fg_mask .npy files matching the records', () => {
    const root = join(dir, 'suites/backgrounds_challenge');
    const files = new Set(listFiles(root));
    const records = readJsonLines<ImageRecord>(join(root, 'objects.jsonl'));
    assert.equal(records.length, BG_VARIANTS.length * 9 * perClass.suite);
    for (const variant of BG_VARIANTS) {
      for (const cls of CLASSES) {
        const folder = `${variant}/val/${cls.in9Folder}/`;
        assert.equal(
          [...files].filter((f) => f.startsWith(folder) && f.endsWith('.JPEG')).length,
          perClass.suite,
          folder,
        );
      }
    }
    assert.ok(
      files.has(`original/val/02_wheeled vehicle/${CLASSES[2].wnid}_in9_1.JPEG`),
      'folder names keep the release spaces',
    );
    for (const r of records) {
      assert.ok(files.has(r.path), r.path);
      checkGeometry(r);
      const removed = r.variant === 'no_fg' || r.variant.startsWith('only_bg');
      assert.equal(r.object_visible, !removed, r.path);
      if (r.variant !== 'original') continue;
      assert.ok(r.mask && files.has(r.mask), `mask of ${r.path}`);
      const mask = decodeNpyUint8(readFileSync(join(root, r.mask)));
      assert.deepEqual([mask.rows, mask.cols], [SIZE, SIZE]);
      assert.ok(r.mask_rle);
      assert.deepEqual(decodeRle(r.mask_rle), [...mask.data], `mask_rle of ${r.path} is the .npy mask`);
      assert.equal(
        mask.data.reduce((s, v) => s + v, 0),
        r.area,
        `mask area of ${r.path}`,
      );
      assert.ok(mask.data.every((v) => v === 0 || v === 1));
    }
    assert.equal(
      [...files].filter((f) => f.startsWith('fg_mask/val/') && f.endsWith('.npy')).length,
      9 * perClass.suite,
    );
  });

  it('writes SI-Score variants with metadata.csv, ImageNet-C per corruption and severity, ImageNet-R renditions, unseen backgrounds', () => {
    const si = join(dir, 'suites/si_score');
    for (const variant of ['area', 'rotation', 'location20_area02_min0pc']) {
      const rows = readFileSync(join(si, variant, 'metadata.csv'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(
        rows[0],
        'image_id,x_coord,y_coord,area,rotation,foreground_class,foreground_instance,background,bg_resolution_width,bg_resolution_height,pct_inside_image',
      );
      assert.equal(rows.length - 1, 9 * perClass.suite);
      for (const row of rows.slice(1)) {
        const [id, , , , , cls] = row.split(',');
        assert.ok(existsSync(join(si, variant, CLASSES[Number(cls)].label, `${id}.jpg`)), `${variant} ${row}`);
      }
      assert.ok(
        existsSync(join(si, variant, 'foreground_classes.csv')) && existsSync(join(si, variant, 'backgrounds.csv')),
      );
    }
    const inc = join(dir, 'suites/imagenet_c');
    const incFiles = listFiles(inc);
    assert.equal(incFiles.filter((f) => f.endsWith('.JPEG')).length, CORRUPTION_NAMES.length * 5 * 9 * perClass.val);
    for (const name of CORRUPTION_NAMES)
      for (let s = 1; s <= 5; s++)
        for (const cls of CLASSES)
          assert.ok(
            existsSync(join(inc, name, String(s), cls.wnid, `${cls.wnid}_val_1.JPEG`)),
            `${name}/${s}/${cls.wnid}`,
          );
    const r = readJsonLines<ImageRecord>(join(dir, 'suites/imagenet_r/objects.jsonl'));
    assert.equal(r.length, 9 * perClass.suite);
    for (const rec of r) {
      assert.match(rec.path, /^n\d{8}\/[a-z0-9-]+_\d+\.jpg$/);
      assert.ok(
        manifest.icons.heldout_sets.includes(rec.icon.split(':')[0]),
        `rendition ${rec.icon} comes from a held-out set`,
      );
      checkGeometry(rec);
    }
    const trainIcons = readJsonLines<ImageRecord>(join(dir, 'objects.jsonl')).map((x) => x.icon.split(':')[0]);
    assert.ok(
      trainIcons.every((set) => manifest.icons.training_sets.includes(set)),
      'training uses no held-out set',
    );
    const unseen = readJsonLines<ImageRecord>(join(dir, 'suites/unseen_backgrounds/objects.jsonl'));
    assert.deepEqual([...new Set(unseen.map((u) => u.variant))], ['habitat', 'random']);
    for (const u of unseen) assert.ok(existsSync(join(dir, 'suites/unseen_backgrounds', u.path)), u.path);
  });

  it('gives identical files for the same seed, whatever the number of workers', async () => {
    const again = join(work, 'b');
    const run = await luab(['synth', '--out', again, '--small', '--seed', String(SEED), '--workers', '1', '--quiet']);
    assert.equal(run.code, 0, run.stderr);
    const files = listFiles(dir);
    assert.deepEqual(listFiles(again), files);
    const differing = files.filter((f) => !readFileSync(join(dir, f)).equals(readFileSync(join(again, f))));
    assert.deepEqual(differing, []);
  });
});

/** COCO uncompressed RLE (column-major) back to a row-major 0/1 array. */
function decodeRle(rle: { size: [number, number]; counts: number[] }): number[] {
  const [h, w] = rle.size;
  const out = new Array<number>(h * w).fill(0);
  let at = 0;
  rle.counts.forEach((run, k) => {
    for (let i = at; i < at + run; i++) out[(i % h) * w + Math.floor(i / h)] = k % 2;
    at += run;
  });
  assert.equal(at, h * w, 'runs cover the image');
  return out;
}

function checkGeometry(r: ImageRecord): void {
  assert.ok(r.box, `${r.path}: box`);
  const [x0, y0, x1, y1] = r.box;
  assert.ok(x0 >= 0 && y0 >= 0 && x1 <= r.width && y1 <= r.height && x0 < x1 && y0 < y1, `${r.path}: box ${r.box}`);
  assert.ok(r.centroid && r.point, `${r.path}: centroid`);
  const [cx, cy] = r.centroid;
  assert.ok(cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1, `${r.path}: centroid inside the box`);
  assert.ok(Math.abs(r.point[0] - cx / r.width) < 1e-3 && Math.abs(r.point[1] - cy / r.height) < 1e-3);
  assert.ok(r.area > 0 && r.area <= (x1 - x0) * (y1 - y0));
  assert.ok(r.mask_rle, `${r.path}: mask_rle`);
  assert.equal(
    decodeRle(r.mask_rle).reduce((a, b) => a + b, 0),
    r.area,
    `${r.path}: mask_rle holds the object's pixels`,
  );
}

function checkBlock(m: XmlNode, file: string, wnid: string, stem: string, a: typeof DEFAULT_CONFIG.annotator): void {
  const where = `${file} <metadata>`;
  for (const field of [
    'assignment_id',
    'estimateTime',
    'hit_id',
    'hit_submit_time',
    'hoveredCount',
    'imageHeight',
    'imageID',
    'imageWidth',
    'image_idx',
    'imagenet_hit_id',
    'originalImageHeight',
    'originalImageWidth',
    'page_idx',
    'selected',
    'selectedCount',
    'worker_id',
  ]) {
    assert.ok(child(m, field).text.length > 0, `${where}: ${field}`);
  }
  assert.equal(text(m, 'imageID'), `${wnid}/${stem}`);
  assert.match(text(m, 'hit_id'), /^[A-Z0-9]{30}$/);
  assert.match(text(m, 'assignment_id'), /^[A-Z0-9]{30}$/);
  assert.match(text(m, 'worker_id'), /^[0-9A-F]{10}$/);
  assert.match(text(m, 'imagenet_hit_id'), /^[0-9a-f]{32}$/);
  assert.equal(text(m, 'originalImageWidth'), String(SIZE));
  assert.equal(text(m, 'imageWidth'), String(a.display_size));
  assert.ok(Number(text(m, 'page_idx')) < a.pages_per_hit && Number(text(m, 'image_idx')) < a.images_per_page);
  const position = child(m, 'imagePosition');
  assert.ok(Number.isInteger(Number(text(position, 'x'))) && Number.isInteger(Number(text(position, 'y'))));
  const records = children(m, 'selectedRecord');
  const count = Number(text(m, 'selectedCount'));
  assert.equal(records.length, count, `${where}: selectedCount`);
  assert.equal(
    text(m, 'selected'),
    count % 2 === 1 ? 'True' : 'False',
    `${where}: selected is the parity of the clicks`,
  );
  const hovered = children(m, 'hoveredRecord');
  assert.deepEqual(
    hovered.map((h) => text(h, 'action')),
    ['enter', 'leave'],
  );
  const tracks = children(m, 'mouseTracking').map((t) => ({
    time: Number(text(t, 'time')),
    x: Number(text(t, 'x')),
    y: Number(text(t, 'y')),
  }));
  assert.ok(tracks.length >= 2, `${where}: mouse track`);
  for (const t of tracks) assert.ok(t.x >= 0 && t.x <= 1 && t.y >= 0 && t.y <= 1, `${where}: track point in [0, 1]`);
  for (let i = 1; i < tracks.length; i++)
    assert.ok(tracks[i].time >= tracks[i - 1].time, `${where}: track times increase`);
  if (records.length > 0) {
    const click = {
      time: Number(text(records[0], 'time')),
      x: Number(text(records[0], 'x')),
      y: Number(text(records[0], 'y')),
    };
    const last = tracks[tracks.length - 1];
    assert.deepEqual([last.x, last.y], [click.x, click.y], `${where}: the mouse track ends at the click`);
    assert.ok(last.time <= click.time);
    assert.ok(Number(text(hovered[0], 'time')) <= click.time && click.time <= Number(text(hovered[1], 'time')));
  }
  assert.ok(
    Number(text(m, 'hit_submit_time')) * 1000 > Number(text(hovered[1], 'time')),
    `${where}: the HIT is submitted after the hover`,
  );
}
