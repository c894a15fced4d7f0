/**
 * What the preprocessor needs from a JPEG before it decodes one pixel: the stored size, the number of colour
 * components (4 = CMYK or YCCK) and the EXIF orientation. Read from the markers in JS, so that a JPEG is opened by
 * libvips once (sharp's metadata() is a second decode job with its own thread hop, ~0.3 ms CPU and ~0.5 ms wall per
 * image here). Written by hand rather than taken from a library because it is a few dozen lines and no maintained
 * package reports the component count; anything unusual returns undefined and the caller asks sharp instead, and
 * libvips' own limitInputPixels still guards the decode whatever this returns.
 */

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  /** EXIF orientation 1-8; 0 when absent. */
  orientation: number;
}

/** Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let orientation = 0;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / start of scan before any frame
    const length = view.getUint16(offset + 2);
    const segment = offset + 4;
    if (length < 2 || segment + length - 2 > bytes.length) return undefined;
    if (marker === 0xe1 && orientation === 0) orientation = exifOrientation(view, segment, length - 2);
    if (isStartOfFrame(marker)) {
      if (length < 8) return undefined;
      const height = view.getUint16(segment + 1);
      const width = view.getUint16(segment + 3);
      const components = bytes[segment + 5];
      // Height 0 means "defined later by a DNL marker": rare, and libvips knows how to read it.
      if (width === 0 || height === 0) return undefined;
      return { width, height, components, orientation };
    }
    offset = segment + length - 2;
  }
  return undefined;
}

/** The Orientation tag (0x0112) of IFD0 in an APP1 "Exif\0\0" segment; 0 when there is none or it is malformed. */
function exifOrientation(view: DataView, start: number, length: number): number {
  if (length < 14 || view.getUint32(start) !== 0x45786966 || view.getUint16(start + 4) !== 0) return 0;
  const tiff = start + 6;
  const end = start + length;
  const byteOrder = view.getUint16(tiff);
  if (byteOrder !== 0x4949 && byteOrder !== 0x4d4d) return 0;
  const little = byteOrder === 0x4949;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return 0;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 0;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : 0;
    }
  }
  return 0;
}
