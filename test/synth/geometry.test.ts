// Pixel geometry and file formats of the composites: placements, masks, boxes, crops and .npy.
import assert from 'node:assert/strict';
import { decodeNpyUint8, encodeNpyUint8 } from '../../synth/npy.js';
import {
  coverageMask,
  maskGeometry,
  premultiply,
  renderObjectLayer,
  resampleCrop,
  tileOverBox,
} from '../../synth/raster.js';
import { mipLevels } from '../../synth/backgrounds.js';

/** An opaque square icon (white) on a transparent canvas: its placed box is predictable. */
function squareIcon(side: number, inner: number): ReturnType<typeof premultiply> {
  const data = new Uint8Array(side * side * 4);
  const lo = (side - inner) / 2;
  for (let y = lo; y < lo + inner; y++)
    for (let x = lo; x < lo + inner; x++) data.set([255, 255, 255, 255], (y * side + x) * 4);
  return premultiply({ width: side, height: side, data });
}

describe('synth geometry', () => {
  it('places a scaled icon where the placement says, with an exact box and centroid', () => {
    const icon = squareIcon(64, 32); // the opaque part is half the canvas
    const layer = renderObjectLayer(icon, { scale: 0.5, cx: 0.5, cy: 0.25, rotationDeg: 0, flip: false }, 64);
    const g = maskGeometry(coverageMask(layer), 64);
    assert.ok(g);
    // Canvas 32 px centred at (32, 16): the opaque half is 16 px, from 24 to 40 and 8 to 24.
    assert.deepEqual(g.box, [24, 8, 40, 24]);
    assert.deepEqual(g.centroid, [32, 16]);
    assert.equal(g.area, 256);
    // Column-major runs: 24 empty columns, then 16 columns of 8 empty, 16 object and 40 empty pixels.
    assert.deepEqual(g.rle.size, [64, 64]);
    assert.deepEqual(g.rle.counts.slice(0, 3), [24 * 64 + 8, 16, 48]);
    assert.equal(
      g.rle.counts.reduce((a, b) => a + b, 0),
      64 * 64,
    );
  });

  it('rotates counter-clockwise: a 90 degree turn swaps a wide bar to a tall one', () => {
    const data = new Uint8Array(64 * 64 * 4);
    for (let y = 28; y < 36; y++) for (let x = 8; x < 56; x++) data.set([255, 0, 0, 255], (y * 64 + x) * 4);
    const icon = premultiply({ width: 64, height: 64, data });
    const g = maskGeometry(
      coverageMask(renderObjectLayer(icon, { scale: 1, cx: 0.5, cy: 0.5, rotationDeg: 90, flip: false }, 64)),
      64,
    );
    assert.ok(g);
    assert.deepEqual(g.box, [28, 8, 36, 56]);
  });

  it('reports no geometry for an object entirely outside the image', () => {
    const layer = renderObjectLayer(
      squareIcon(64, 32),
      { scale: 0.2, cx: 1.5, cy: 0.5, rotationDeg: 0, flip: false },
      64,
    );
    assert.equal(maskGeometry(coverageMask(layer), 64), null);
  });

  it('crops photos through mip levels without shifting them', () => {
    // A horizontal ramp: the crop's columns must keep their values whichever level serves them.
    const width = 256;
    const height = 256;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data.fill(x, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const levels = mipLevels({ width, height, data }, 64);
    assert.deepEqual(
      levels.map((l) => l.width),
      [256, 128, 64],
    );
    const out = resampleCrop(levels, { x: 64, y: 0, side: 128, flip: false }, 64);
    for (const col of [0, 31, 63])
      assert.ok(Math.abs(out[col * 3] - (64 + (col + 0.5) * 2 - 0.5)) <= 1.5, `column ${col}: ${out[col * 3]}`);
    const flipped = resampleCrop(levels, { x: 64, y: 0, side: 128, flip: true }, 64);
    assert.ok(Math.abs(flipped[0] - out[63 * 3]) <= 1);
  });

  it('fills only_bg_t boxes with background tiles', () => {
    const size = 16;
    const image = Buffer.alloc(size * size * 3, 0);
    for (let i = 0; i < size * size; i++) image[i * 3] = i % size < 4 ? 10 : 200; // left strip differs
    const out = tileOverBox(image, size, [8, 0, 16, 16]);
    for (let y = 0; y < size; y++) for (let x = 8; x < 16; x++) assert.notEqual(out[(y * size + x) * 3 + 1], 255);
    assert.ok(out.equals(tileOverBox(image, size, [8, 0, 16, 16])));
  });

  it('writes .npy masks that NumPy-style readers decode', () => {
    const mask = Uint8Array.from({ length: 12 }, (_, i) => i % 2);
    const npy = encodeNpyUint8(mask, 3, 4);
    assert.equal(npy.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    assert.equal((10 + npy.readUInt16LE(8)) % 64, 0, 'header padded to 64 bytes');
    const back = decodeNpyUint8(npy);
    assert.deepEqual([back.rows, back.cols], [3, 4]);
    assert.deepEqual([...back.data], [...mask]);
  });
});
