/**
 * Contact sheets: a PNG grid of a part's images, enlarged, with the recorded geometry drawn on top so a person
 * can check it at a glance. Green box: the object's box; white cross: its centroid; dashed box: where a removed
 * object was. Training images also show the first click of every selected annotator block (cyan: inside the box,
 * red: outside) and the point target Z (yellow ring).
 */
import { join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import type { ImageRecord } from './suites/types.js';

const GAP = 4;
const LABEL = 14;
const TITLE = 22;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function overlay(record: ImageRecord, x0: number, y0: number, tile: number): string {
  const k = tile / record.width;
  const parts: string[] = [];
  if (record.box) {
    const [a, b, c, d] = record.box;
    const dash = record.object_visible ? '' : ' stroke-dasharray="4 3"';
    parts.push(
      `<rect x="${x0 + a * k}" y="${y0 + b * k}" width="${(c - a) * k}" height="${(d - b) * k}" fill="none" stroke="#3f3" stroke-width="1.5"${dash}/>`,
    );
  }
  if (record.centroid && record.object_visible) {
    const [cx, cy] = [x0 + record.centroid[0] * k, y0 + record.centroid[1] * k];
    parts.push(`<path d="M${cx - 4} ${cy}H${cx + 4}M${cx} ${cy - 4}V${cy + 4}" stroke="#fff" stroke-width="1.5"/>`);
  }
  for (const click of record.clicks ?? []) {
    parts.push(
      `<circle cx="${x0 + click.x * tile}" cy="${y0 + click.y * tile}" r="3" fill="${click.inside ? '#0ff' : '#f33'}" stroke="#000" stroke-width="0.8"/>`,
    );
  }
  if (record.target) {
    parts.push(
      `<circle cx="${x0 + record.target[0] * tile}" cy="${y0 + record.target[1] * tile}" r="6" fill="none" stroke="#ff0" stroke-width="1.5"/>`,
    );
  }
  const label = `${record.variant === 'train' || record.variant === 'renditions' ? '' : `${record.variant} `}${record.class}`;
  parts.push(
    `<text x="${x0 + 2}" y="${y0 + tile + LABEL - 3}" font-family="DejaVu Sans, sans-serif" font-size="10" fill="#ddd">${esc(label.slice(0, Math.floor(tile / 6)))}</text>`,
  );
  return parts.join('');
}

/** Writes `file` (PNG) from rows of records whose images live below `root`. */
export async function writeContactSheet(
  rows: readonly ImageRecord[][],
  root: string,
  file: string,
  title: string,
): Promise<void> {
  const nonEmpty = rows.filter((r) => r.length > 0);
  if (nonEmpty.length === 0) return;
  const size = nonEmpty[0][0].width;
  const tile = size >= 128 ? size : Math.ceil(128 / size) * size; // integer zoom: pixels stay crisp
  const columns = Math.max(...nonEmpty.map((r) => r.length));
  const width = GAP + columns * (tile + GAP);
  const height = TITLE + nonEmpty.length * (tile + LABEL + GAP) + GAP;
  const tiles: OverlayOptions[] = [];
  const marks: string[] = [];
  for (const [r, row] of nonEmpty.entries()) {
    for (const [c, record] of row.entries()) {
      const left = GAP + c * (tile + GAP);
      const top = TITLE + r * (tile + LABEL + GAP);
      tiles.push({
        input: await sharp(join(root, record.path)).resize(tile, tile, { kernel: 'nearest' }).png().toBuffer(),
        left,
        top,
      });
      marks.push(overlay(record, left, top, tile));
    }
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<text x="${GAP}" y="16" font-family="DejaVu Sans, sans-serif" font-size="13" fill="#fff">${esc(title)}</text>${marks.join('')}</svg>`;
  await sharp({ create: { width, height, channels: 3, background: '#1e1e1e' } })
    .composite([...tiles, { input: Buffer.from(svg), left: 0, top: 0 }])
    .png({ palette: true, compressionLevel: 9 }) // a quantised palette: a third of the bytes, same look
    .toFile(file);
}
