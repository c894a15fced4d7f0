/**
 * The grid of sample images per suite (the paper's Fig. M): a few items per suite, the same items for every row,
 * drawn as small JPEG thumbnails with the true box and each row's predicted point, for embedding as data: URIs.
 *
 * Items are chosen by a hash of their identity (suite, variant, path), not by line order, so that the choice does
 * not depend on completion order, resume or sharding, and spreads over the suite's variants; items with a box
 * and without an error come first. The image is read from the suite root recorded in report.json
 * (datasets[suite].root, relative paths resolved against the run folder); an image that is no longer there is
 * reported as missing, not an error: the numbers do not depend on it.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { PredictionLine } from '../types.js';
import { rowColour } from './format.js';
import { itemKey, readPredictions } from './load-run.js';
import type { Run } from './merge-shards.js';
import type { ProgressListener } from './progress.js';
import type { Row } from './rows.js';

export interface SamplesOptions {
  /** Items per suite (default 8). */
  perSuite?: number;
  /** Longest side of a thumbnail in pixels (default 192). */
  thumbnailSize?: number;
  onProgress?: ProgressListener;
}

/** One row's answer on a sample. */
export interface SamplePoint {
  row: number;
  /** Normalised point, or undefined for a model without one (or a failed image). */
  x?: number;
  y?: number;
  correct?: boolean;
  predictedWnid?: string | null;
  error?: string;
}

export interface SampleImage {
  variant: string;
  path: string;
  targetWnids: string[];
  box?: [number, number, number, number];
  points: SamplePoint[];
  /** The thumbnail as a data: URI, or undefined when the image could not be read (`missing` says why). */
  dataUri?: string;
  missing?: string;
}

export interface SuiteSamples {
  suite: string;
  /** The folder the images were read from. */
  root: string;
  images: SampleImage[];
}

const rank = (line: PredictionLine): string =>
  `${line.error ? 2 : line.box ? 0 : 1}${createHash('sha1').update(itemKey(line)).digest('hex')}`;

async function* linesOf(run: Run): AsyncGenerator<PredictionLine> {
  for (const file of run.predictionFiles) yield* readPredictions(file);
}

/** Per suite, the run its samples are chosen from: the first (by row order) that evaluated it. */
function choosers(rows: Row[]): Map<string, Run> {
  const result = new Map<string, Run>();
  for (const row of rows) {
    for (const run of row.runs) for (const s of run.report.suites) if (!result.has(s.suite)) result.set(s.suite, run);
  }
  return result;
}

function suiteRoot(run: Run, suite: string): string {
  const root = run.report.datasets[suite]?.root ?? '';
  return isAbsolute(root) ? root : resolve(run.dirs[0], root);
}

/** The true box and the rows' points, drawn over the thumbnail (an SVG overlay composited by sharp). */
function overlay(width: number, height: number, scaleX: number, scaleY: number, image: SampleImage): Buffer {
  const shapes: string[] = [];
  if (image.box) {
    const [x0, y0, x1, y1] = image.box;
    shapes.push(
      `<rect x="${x0 * scaleX}" y="${y0 * scaleY}" width="${(x1 - x0) * scaleX}" height="${(y1 - y0) * scaleY}" ` +
        'fill="none" stroke="#00e640" stroke-width="2"/>',
    );
  }
  for (const p of image.points) {
    if (p.x === undefined || p.y === undefined) continue;
    const cx = p.x * width;
    const cy = p.y * height;
    shapes.push(`<circle cx="${cx}" cy="${cy}" r="5" fill="${rowColour(p.row)}" stroke="#ffffff" stroke-width="2"/>`);
  }
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`,
  );
}

async function thumbnail(file: string, line: PredictionLine, image: SampleImage, size: number): Promise<string> {
  const { data, info } = await sharp(file)
    .rotate() // coordinates are in pixels of the image as stored after EXIF orientation
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: false })
    .toBuffer({ resolveWithObject: true });
  const frameWidth = line.imageWidth > 0 ? line.imageWidth : info.width;
  const frameHeight = line.imageHeight > 0 ? line.imageHeight : info.height;
  const jpeg = await sharp(data)
    .composite([{ input: overlay(info.width, info.height, info.width / frameWidth, info.height / frameHeight, image) }])
    .jpeg({ quality: 75, mozjpeg: true })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** Picks and draws the sample grid of every suite. */
export async function collectSamples(rows: Row[], options: SamplesOptions = {}): Promise<SuiteSamples[]> {
  const perSuite = options.perSuite ?? 8;
  const size = options.thumbnailSize ?? 192;
  const chooserOf = choosers(rows);
  const chooserRuns = [...new Set(chooserOf.values())];
  const representatives = rows.map((row) => row.runs[0]);
  const total = chooserRuns.length + representatives.length + chooserOf.size;
  let done = 0;
  const step = (detail: string) => options.onProgress?.({ phase: 'samples', done: ++done, total, detail });

  // Pass 1: the lowest-ranked items of each suite in the run it is chosen from.
  const chosen = new Map<string, { rank: string; line: PredictionLine }[]>();
  for (const run of chooserRuns) {
    for await (const line of linesOf(run)) {
      if (chooserOf.get(line.suite) !== run) continue;
      const list = chosen.get(line.suite) ?? [];
      const r = rank(line);
      if (list.length < perSuite || r < list[list.length - 1].rank) {
        list.push({ rank: r, line });
        list.sort((a, b) => (a.rank < b.rank ? -1 : 1));
        if (list.length > perSuite) list.pop();
      }
      chosen.set(line.suite, list);
    }
    step(run.dirs.join(', '));
  }
  const wanted = new Map<string, SampleImage>();
  const lineOf = new Map<string, PredictionLine>();
  for (const list of chosen.values()) {
    for (const { line } of list) {
      wanted.set(itemKey(line), {
        variant: line.variant,
        path: line.path,
        targetWnids: line.targetWnids ?? [],
        box: line.box,
        points: [],
      });
      lineOf.set(itemKey(line), line);
    }
  }

  // Pass 2: every row's answer on those items (from its first run).
  for (const [rowIndex, run] of representatives.entries()) {
    for await (const line of linesOf(run)) {
      const image = wanted.get(itemKey(line));
      if (!image) continue;
      image.box ??= line.box;
      image.points.push({
        row: rowIndex,
        x: line.point?.x,
        y: line.point?.y,
        correct: line.score?.correct,
        predictedWnid: line.score?.predictedWnid,
        error: line.error ? `${line.error.code}: ${line.error.message}` : undefined,
      });
    }
    step(run.dirs.join(', '));
  }

  const result: SuiteSamples[] = [];
  for (const [suite, list] of chosen) {
    const root = suiteRoot(chooserOf.get(suite)!, suite);
    const images: SampleImage[] = [];
    for (const { line } of list) {
      const image = wanted.get(itemKey(line))!;
      const file = join(root, line.path);
      try {
        image.dataUri = await thumbnail(file, line, image, size);
      } catch (error) {
        image.missing = `${file}: ${(error as Error).message}`;
      }
      images.push(image);
    }
    result.push({ suite, root, images });
    step(suite);
  }
  return result;
}
