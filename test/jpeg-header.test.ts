/**
 * The JPEG header the preprocessor reads in JS instead of asking libvips for metadata (a second decode job):
 * the stored size, the component count (CMYK) and the EXIF orientation must agree with sharp's own metadata(),
 * and anything it cannot read must come back undefined (the caller then asks sharp).
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readJpegHeader } from '../server/preprocess/jpeg-header.js';

const base = () => sharp({ create: { width: 37, height: 23, channels: 3, background: '#336699' } });

describe('readJpegHeader', () => {
  it('reads the size, components and orientation that sharp reports, for every orientation', async () => {
    for (let orientation = 1; orientation <= 8; orientation++) {
      const jpeg = await base().jpeg().withMetadata({ orientation }).toBuffer();
      const metadata = await sharp(jpeg).metadata();
      assert.deepEqual(readJpegHeader(jpeg), {
        width: metadata.width,
        height: metadata.height,
        components: 3,
        orientation: metadata.orientation,
      });
    }
  });

  it('reports 0 without EXIF, 1 component for greyscale and 4 for CMYK', async () => {
    assert.deepEqual(readJpegHeader(await base().jpeg().toBuffer()), {
      width: 37,
      height: 23,
      components: 3,
      orientation: 0,
    });
    assert.equal(readJpegHeader(await base().toColourspace('b-w').jpeg().toBuffer())?.components, 1);
    assert.equal(readJpegHeader(await base().toColourspace('cmyk').jpeg().toBuffer())?.components, 4);
  });

  it('returns undefined for what it cannot read: other formats, a cut-off header, garbage after SOI', async () => {
    const jpeg = await base().jpeg().toBuffer();
    assert.equal(readJpegHeader(await base().png().toBuffer()), undefined);
    assert.equal(readJpegHeader(jpeg.subarray(0, 20)), undefined);
    assert.equal(readJpegHeader(Buffer.from([0xff, 0xd8, 0x00, 0x01, 0x02, 0x03])), undefined);
    assert.equal(readJpegHeader(new Uint8Array(0)), undefined);
  });
});
