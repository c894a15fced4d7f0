/** Test images with known content, made with sharp from SVG so the expected answers are exact. */
import sharp from 'sharp';

export interface Disc {
  cx: number;
  cy: number;
  r: number;
  colour?: string;
}

export function discSvg(width: number, height: number, discs: Disc[], background = 'black'): Buffer {
  const circles = discs
    .map((d) => `<circle cx="${d.cx}" cy="${d.cy}" r="${d.r}" fill="${d.colour ?? 'white'}"/>`)
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="${width}" height="${height}" fill="${background}"/>${circles}</svg>`,
  );
}

export type Format = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

export async function discImage(width: number, height: number, discs: Disc[], format: Format = 'png'): Promise<Buffer> {
  const image = sharp(discSvg(width, height, discs));
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 95 }).toBuffer();
    case 'png':
      return image.png().toBuffer();
    case 'webp':
      return image.webp({ lossless: true }).toBuffer();
    case 'gif':
      return image.gif().toBuffer();
    case 'tiff':
      return image.tiff().toBuffer();
    case 'avif':
      return image.avif({ lossless: true }).toBuffer();
  }
}

/**
 * Where a point of the DISPLAYED image (after EXIF orientation) lies in the STORED pixels, for orientation tags
 * 1-8 (continuous coordinates; Wd x Hd is the displayed size). Written from the EXIF definition, independently of
 * sharp's rotate(), so a test of the server's orientation handling is not checking sharp against itself.
 */
export function storedPosition(orientation: number, x: number, y: number, wd: number, hd: number): [number, number] {
  switch (orientation) {
    case 1:
      return [x, y];
    case 2: // mirrored horizontally
      return [wd - x, y];
    case 3: // rotated 180
      return [wd - x, hd - y];
    case 4: // mirrored vertically
      return [x, hd - y];
    case 5: // transposed: display (x, y) = stored (y, x)
      return [y, x];
    case 6: // display = stored rotated 90° clockwise: display (x, y) = (Hs - ys, xs), Hs = wd
      return [y, wd - x];
    case 7: // transversed: display (x, y) = (Hs - ys, Ws - xs)
      return [hd - y, wd - x];
    case 8: // display = stored rotated 270° clockwise: display (x, y) = (ys, Ws - xs), Ws = hd
      return [hd - y, x];
    default:
      throw new Error(`orientation ${orientation}`);
  }
}

/** A JPEG whose stored pixels, shown with EXIF `orientation`, display a disc at (cx, cy) of a Wd x Hd image. */
export async function orientedDiscJpeg(orientation: number, wd: number, hd: number, disc: Disc): Promise<Buffer> {
  const swap = orientation >= 5;
  const [ws, hs] = swap ? [hd, wd] : [wd, hd];
  const [sx, sy] = storedPosition(orientation, disc.cx, disc.cy, wd, hd);
  return sharp(discSvg(ws, hs, [{ ...disc, cx: sx, cy: sy }]))
    .jpeg({ quality: 95 })
    .withMetadata({ orientation })
    .toBuffer();
}
