/**
 * A downstream application of the object point: crop every image of a folder around the point a LUAB server
 * predicts for it, and lay the crops out on one contact sheet (with each crop's class and score), plus a JSON
 * index of what was cropped where. A classifier alone cannot do this; the point head gives every image a
 * location for free.
 *
 *   npm run build
 *   npx luab serve &                                             # the default model, localhost:50051
 *   node dist/examples/point-crops/contact-sheet.js examples/images --out sheet.png
 *   node dist/examples/point-crops/contact-sheet.js DIR --address host:port --model NAME --crop 0.4 --tile 160
 *
 * The crop is a square of --crop times the image's shorter side, centred on the point and moved inside the image
 * where the point is near an edge. The point is given in the frame of the image after its EXIF orientation
 * (docs/model-repository.md), so the image is oriented the same way before it is cropped.
 * Exit codes: 0 written; 1 a server or file error (the message names the image); 2 a usage error.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { LuabClient, LuabError } from '../../client/luab-client.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);
const CAPTION_HEIGHT = 28;

export interface CropRecord {
  image: string;
  label: string;
  score: number;
  /** The predicted point, pixels of the oriented image. */
  point: { xPx: number; yPx: number };
  /** The crop: left, top, size (a square), pixels of the oriented image. */
  crop: { left: number; top: number; size: number };
}

/** The square of side `fraction` x the shorter side, centred on (x, y) and moved inside the image. */
export function cropAround(width: number, height: number, x: number, y: number, fraction: number) {
  const size = Math.max(1, Math.round(Math.min(width, height) * fraction));
  const clamp = (centre: number, extent: number) => Math.min(Math.max(Math.round(centre - size / 2), 0), extent - size);
  return { left: clamp(x, width), top: clamp(y, height), size };
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

async function tile(image: Buffer, record: CropRecord, tileSize: number): Promise<Buffer> {
  const { left, top, size } = record.crop;
  const picture = await sharp(image)
    .rotate() // EXIF orientation, the frame the point is in
    .extract({ left, top, width: size, height: size })
    .resize(tileSize, tileSize)
    .png()
    .toBuffer();
  const caption = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${tileSize}" height="${CAPTION_HEIGHT}">` +
      `<rect width="100%" height="100%" fill="white"/>` +
      `<text x="4" y="12" font-family="sans-serif" font-size="11">${escapeXml(record.label)} ${record.score.toFixed(2)}</text>` +
      `<text x="4" y="24" font-family="sans-serif" font-size="9" fill="#555">${escapeXml(record.image.slice(-28))}</text></svg>`,
  );
  return sharp({
    create: { width: tileSize, height: tileSize + CAPTION_HEIGHT, channels: 3, background: 'white' },
  })
    .composite([
      { input: picture, left: 0, top: 0 },
      { input: caption, left: 0, top: tileSize },
    ])
    .png()
    .toBuffer();
}

export async function contactSheet(options: {
  folder: string;
  address: string;
  model?: string;
  crop: number;
  tileSize: number;
  columns: number;
  out: string;
}): Promise<CropRecord[]> {
  const names = (await readdir(options.folder))
    .filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort();
  if (names.length === 0) throw new Error(`${options.folder}: no images (${[...IMAGE_EXTENSIONS].join(', ')})`);
  const client = new LuabClient(options.address);
  const records: CropRecord[] = [];
  const tiles: Buffer[] = [];
  try {
    for (const name of names) {
      const path = join(options.folder, name);
      const image = await readFile(path);
      let response;
      try {
        response = await client.predict({ image, model: options.model, topK: 1, id: name });
      } catch (error) {
        throw new Error(`${path}: ${error instanceof LuabError ? error.message : (error as Error).message}`);
      }
      if (!response.point) throw new Error(`${path}: model ${response.model} has no point head (no point to crop at)`);
      const { width, height } = response.image!;
      const best = response.classes[0];
      const record: CropRecord = {
        image: path,
        label: best.label,
        score: best.score,
        point: { xPx: response.point.xPx, yPx: response.point.yPx },
        crop: cropAround(width, height, response.point.xPx, response.point.yPx, options.crop),
      };
      records.push(record);
      tiles.push(await tile(image, record, options.tileSize));
    }
  } finally {
    client.close();
  }
  const columns = Math.min(options.columns, tiles.length);
  const rows = Math.ceil(tiles.length / columns);
  const cellH = options.tileSize + CAPTION_HEIGHT;
  const gap = 4;
  await sharp({
    create: {
      width: columns * (options.tileSize + gap) + gap,
      height: rows * (cellH + gap) + gap,
      channels: 3,
      background: '#dddddd',
    },
  })
    .composite(
      tiles.map((input, i) => ({
        input,
        left: gap + (i % columns) * (options.tileSize + gap),
        top: gap + Math.floor(i / columns) * (cellH + gap),
      })),
    )
    .png()
    .toFile(options.out);
  await writeFile(`${options.out}.json`, `${JSON.stringify(records, null, 2)}\n`);
  return records;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        address: { type: 'string', default: 'localhost:50051' },
        model: { type: 'string' },
        crop: { type: 'string', default: '0.5' },
        tile: { type: 'string', default: '128' },
        columns: { type: 'string', default: '6' },
        out: { type: 'string', default: 'contact-sheet.png' },
      },
    });
  } catch (error) {
    process.stderr.write(`contact-sheet: ${(error as Error).message}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const crop = Number(values.crop);
  const tileSize = Number(values.tile);
  const columns = Number(values.columns);
  const usage = [
    positionals.length !== 1 && 'expected one folder of images',
    !(crop > 0 && crop <= 1) && `--crop: expected a fraction in (0, 1], got "${values.crop}"`,
    !(Number.isInteger(tileSize) && tileSize >= 16 && tileSize <= 1024) &&
      `--tile: expected an integer from 16 to 1024, got "${values.tile}"`,
    !(Number.isInteger(columns) && columns >= 1) && `--columns: expected an integer >= 1, got "${values.columns}"`,
  ].filter(Boolean);
  if (usage.length > 0) {
    process.stderr.write(`contact-sheet: ${usage.join('; ')}\n`);
    return 2;
  }
  try {
    const records = await contactSheet({
      folder: positionals[0],
      address: values.address!,
      model: values.model,
      crop,
      tileSize,
      columns,
      out: values.out!,
    });
    process.stdout.write(`${records.length} crop(s) on ${values.out} (index: ${values.out}.json)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`contact-sheet: ${(error as Error).message}\n`);
    return 1;
  }
}

// Run as a program (not when a test imports cropAround or contactSheet).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
