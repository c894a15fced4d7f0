/**
 * Where the object is, from each benchmark's own annotation format: NumPy `.npy` masks (the Backgrounds
 * Challenge's fg_mask), COCO uncompressed RLE (the embedded benchmark's objects.jsonl), ILSVRC LOC XML boxes,
 * the embedded benchmark's objects.jsonl sidecars, and SI-Score's metadata.csv. All coordinates are pixels of
 * the image as stored, continuous (pixel edges at integers), as in docs/model-repository.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { ObjectLocation } from './types.js';

export type Box = [number, number, number, number];

/** A 2-D mask, row-major, 1 = object. */
export interface Mask {
  height: number;
  width: number;
  data: Uint8Array;
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/**
 * Reads a 2-D `.npy` array as a 0/1 mask (any non-zero value is object). NumPy's format: magic, version, a
 * little-endian header length (2 bytes in v1, 4 in v2/3), then a Python dict literal with descr, fortran_order
 * and shape. Bool, (u)int8/16/32/64 and float32/64 are accepted, C order only (what `np.save` writes).
 */
export function parseNpyMask(buffer: Buffer, file: string): Mask {
  if (buffer.length < 10 || !buffer.subarray(0, 6).equals(NPY_MAGIC)) throw new Error(`${file}: not a .npy file`);
  const major = buffer[6];
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buffer.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw new Error(`${file}: unreadable .npy header ${header.trim()}`);
  if (fortran === 'True') throw new Error(`${file}: Fortran-order .npy arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.length !== 2) throw new Error(`${file}: mask shape (${shapeText}) is not [H, W]`);
  const [height, width] = shape;
  const dtypes: Record<string, [number, (b: Buffer, o: number) => number]> = {
    '|b1': [1, (b, o) => b[o]],
    '|u1': [1, (b, o) => b[o]],
    '|i1': [1, (b, o) => b.readInt8(o)],
    '<u2': [2, (b, o) => b.readUInt16LE(o)],
    '<i2': [2, (b, o) => b.readInt16LE(o)],
    '<u4': [4, (b, o) => b.readUInt32LE(o)],
    '<i4': [4, (b, o) => b.readInt32LE(o)],
    '<u8': [8, (b, o) => Number(b.readBigUInt64LE(o))],
    '<i8': [8, (b, o) => Number(b.readBigInt64LE(o))],
    '<f4': [4, (b, o) => b.readFloatLE(o)],
    '<f8': [8, (b, o) => b.readDoubleLE(o)],
  };
  const dtype = dtypes[descr];
  if (!dtype) throw new Error(`${file}: .npy dtype ${descr} is not supported`);
  const [size, read] = dtype;
  const offset = headerStart + headerLength;
  if (buffer.length < offset + height * width * size) throw new Error(`${file}: .npy data is truncated`);
  const data = new Uint8Array(height * width);
  for (let i = 0; i < data.length; i++) data[i] = read(buffer, offset + i * size) !== 0 ? 1 : 0;
  return { height, width, data };
}

/** COCO's uncompressed RLE: runs of 0s and 1s alternating over the pixels in column-major order, 0s first. */
export interface Rle {
  size: [number, number];
  counts: number[];
}

/** Decodes COCO uncompressed RLE into a row-major mask (pycocotools `frPyObjects` + `decode`). */
export function decodeRle(rle: Rle): Mask {
  const [height, width] = rle.size;
  const data = new Uint8Array(height * width);
  let pos = 0;
  rle.counts.forEach((run, k) => {
    if (k % 2 === 1) {
      for (let p = pos; p < pos + run && p < height * width; p++) {
        // column-major position p = x * height + y
        data[(p % height) * width + Math.floor(p / height)] = 1;
      }
    }
    pos += run;
  });
  if (pos !== height * width) throw new Error(`RLE runs sum to ${pos}, not ${height}x${width} = ${height * width}`);
  return { height, width, data };
}

/** Mask value under a point in pixels (the pixel the point falls in; outside the image = not on the object). */
export function maskAt(mask: Mask, xPx: number, yPx: number): boolean {
  const x = Math.floor(xPx);
  const y = Math.floor(yPx);
  // A point on the right or bottom edge belongs to the last pixel, as in the point-in-box test.
  const cx = x === mask.width && xPx === mask.width ? mask.width - 1 : x;
  const cy = y === mask.height && yPx === mask.height ? mask.height - 1 : y;
  if (cx < 0 || cy < 0 || cx >= mask.width || cy >= mask.height) return false;
  return mask.data[cy * mask.width + cx] === 1;
}

/** Mean of the object's pixel centres, or null for an empty mask. */
export function maskCentroid(mask: Mask): [number, number] | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] === 1) {
        n++;
        sx += x + 0.5;
        sy += y + 0.5;
      }
    }
  }
  return n === 0 ? null : [sx / n, sy / n];
}

/** The smallest box holding every object pixel (continuous coordinates), or null for an empty mask. */
export function maskBox(mask: Mask): Box | null {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] === 1) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  return x0 === Infinity ? null : [x0, y0, x1, y1];
}

const maskCache = new Map<string, Mask>();
const MASK_CACHE_LIMIT = 256;

/** Loads a location's mask (.npy read from disk, cached for the few variants that share one fg_mask). */
export function loadMask(mask: NonNullable<ObjectLocation['mask']>): Mask {
  if ('rle' in mask) return decodeRle(mask.rle);
  let m = maskCache.get(mask.npyPath);
  if (!m) {
    m = parseNpyMask(readFileSync(mask.npyPath), mask.npyPath);
    if (maskCache.size >= MASK_CACHE_LIMIT) maskCache.delete(maskCache.keys().next().value as string);
    maskCache.set(mask.npyPath, m);
  }
  return m;
}

/** One object of an ILSVRC LOC XML file. */
export interface LocObject {
  name: string;
  box: Box;
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'object' });

/**
 * Parses ILSVRC LOC XML (PASCAL VOC style): size and every object's name and bndbox. The coordinates are taken as
 * they are written; the ILSVRC files and the embedded benchmark both bound the object by them.
 */
export function parseLocXml(text: string, file: string): { width: number; height: number; objects: LocObject[] } {
  let doc: { annotation?: { size?: Record<string, string>; object?: Record<string, unknown>[] } };
  try {
    doc = xml.parse(text, true);
  } catch (error) {
    throw new Error(`${file}: not valid XML (${(error as Error).message})`);
  }
  const annotation = doc.annotation;
  if (!annotation) throw new Error(`${file}: no <annotation> element`);
  const num = (value: unknown, field: string): number => {
    const n = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(n))
      throw new Error(`${file}: ${field} is not a number`);
    return n;
  };
  const objects = (annotation.object ?? []).map((o, i) => {
    const b = o.bndbox as Record<string, string> | undefined;
    if (!b) throw new Error(`${file}: object[${i}] has no <bndbox>`);
    const box: Box = [
      num(b.xmin, `object[${i}].bndbox.xmin`),
      num(b.ymin, `object[${i}].bndbox.ymin`),
      num(b.xmax, `object[${i}].bndbox.xmax`),
      num(b.ymax, `object[${i}].bndbox.ymax`),
    ];
    return { name: String(o.name ?? ''), box };
  });
  return {
    width: num(annotation.size?.width, 'size.width'),
    height: num(annotation.size?.height, 'size.height'),
    objects,
  };
}

/** Location from a LOC XML file: the boxes of the objects named `wnid` (all objects if none is). */
export function locationFromXml(text: string, file: string, wnid: string): ObjectLocation | undefined {
  const { objects } = parseLocXml(text, file);
  const own = objects.filter((o) => o.name === wnid);
  const boxes = (own.length > 0 ? own : objects).map((o) => o.box);
  if (boxes.length === 0) return undefined;
  return boxes.length === 1 ? { box: boxes[0] } : { box: boxes[0], extraBoxes: boxes.slice(1) };
}

/** One record of an objects.jsonl sidecar (docs/synth.md). */
export interface SidecarRecord {
  path: string;
  variant: string;
  wnid: string;
  width: number;
  height: number;
  object_visible: boolean;
  box: Box | null;
  centroid: [number, number] | null;
  mask: string | null;
  mask_rle: Rle | null;
  attributes?: Record<string, unknown>;
}

/**
 * An objects.jsonl sidecar, keyed by path relative to the suite root. The sidecar sits in the suite root or in
 * its parent (the embedded benchmark's `DIR/objects.jsonl` covers `DIR/val/`, `suites/si_score/objects.jsonl`
 * covers `area/`, ...): then its paths start with the root's folder name, which is removed. Lines are kept as
 * text and parsed on lookup, so a large sidecar (ImageNet-C's, one mask per image) costs its size, not more.
 */
export class Sidecar {
  private constructor(
    private readonly lines: Map<string, string>,
    /** The sidecar file. */
    readonly file: string,
  ) {}

  static async find(root: string): Promise<Sidecar | undefined> {
    const own = join(root, 'objects.jsonl');
    if (existsSync(own)) return Sidecar.load(own, '');
    const parent = join(dirname(root), 'objects.jsonl');
    if (existsSync(parent)) return Sidecar.load(parent, `${basename(root)}/`);
    return undefined;
  }

  private static async load(file: string, prefix: string): Promise<Sidecar> {
    const lines = new Map<string, string>();
    const text = await readFile(file, 'utf8');
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (line.trim() === '') continue;
      let path: unknown;
      try {
        path = (JSON.parse(line) as { path?: unknown }).path;
      } catch {
        throw new Error(`${file}:${lineNo}: not a JSON line`);
      }
      if (typeof path !== 'string') throw new Error(`${file}:${lineNo}: field "path" is missing`);
      if (path.startsWith(prefix)) lines.set(path.slice(prefix.length), line);
    }
    return new Sidecar(lines, file);
  }

  get(path: string): SidecarRecord | undefined {
    const line = this.lines.get(path);
    return line === undefined ? undefined : (JSON.parse(line) as SidecarRecord);
  }

  /**
   * The object's location, or undefined where the variant removed it (`object_visible` false): a point cannot be
   * right or wrong about an object that is not in the image. `suiteRoot` resolves the record's mask path.
   */
  location(path: string, suiteRoot: string): ObjectLocation | undefined {
    const r = this.get(path);
    if (!r || !r.object_visible || !r.box) return undefined;
    const location: ObjectLocation = { box: r.box };
    if (r.centroid) location.centroid = r.centroid;
    if (r.mask) location.mask = { npyPath: join(suiteRoot, r.mask) };
    else if (r.mask_rle) location.mask = { rle: r.mask_rle };
    return location;
  }
}

/** One row of SI-Score's metadata.csv (dataset_generator.py's columns). */
export interface SiScoreRow {
  image_id: number;
  x_coord: number;
  y_coord: number;
  area: number;
  rotation: number;
  foreground_class: number;
  pct_inside_image: number;
  [column: string]: number;
}

const SI_REQUIRED = [
  'image_id',
  'x_coord',
  'y_coord',
  'area',
  'rotation',
  'foreground_class',
  'bg_resolution_width',
  'bg_resolution_height',
  'pct_inside_image',
];

/**
 * Parses SI-Score's metadata.csv into rows keyed by image_id. The file is pandas' `to_csv` of numbers only (no
 * quoting), so a comma split is exact; a header without the generator's columns or a non-numeric cell is an
 * error naming the file, line and column.
 */
export function parseSiScoreMetadata(text: string, file: string): Map<number, SiScoreRow> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: empty`);
  const header = lines[0].split(',').map((h) => h.trim());
  for (const column of SI_REQUIRED) {
    if (!header.includes(column)) throw new Error(`${file}: column "${column}" is missing (header: ${lines[0]})`);
  }
  const rows = new Map<number, SiScoreRow>();
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new Error(`${file}:${i + 2}: ${cells.length} cells, the header has ${header.length}`);
    }
    const row: Record<string, number> = {};
    header.forEach((column, c) => {
      const value = Number(cells[c]);
      if (cells[c].trim() === '' || !Number.isFinite(value)) {
        throw new Error(`${file}:${i + 2}: column "${column}" is not a number ("${cells[c]}")`);
      }
      row[column] = value;
    });
    if (rows.has(row.image_id)) throw new Error(`${file}:${i + 2}: image_id ${row.image_id} appears twice`);
    rows.set(row.image_id, row as SiScoreRow);
  });
  return rows;
}

/**
 * SI-Score's location where only metadata.csv is known: the object's (canvas) centre, which the generator puts at
 * (x_coord, y_coord) of the image (dataset_generator.py `calc_top_left_coordinates`). No box, no mask; none at
 * all when the object is wholly outside the image (pct_inside_image 0).
 */
export function siScoreLocation(row: SiScoreRow, width: number, height: number): ObjectLocation | undefined {
  if (row.pct_inside_image <= 0) return undefined;
  return { centroid: [row.x_coord * width, row.y_coord * height] };
}
