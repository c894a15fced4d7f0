/**
 * Area-weighted ("box") resampling of packed RGB, in both directions, as PIL's BOX filter that ImageNet-C's
 * pixelate uses. Written here because sharp has no box kernel for enlarging, and with nearest-neighbour
 * enlarging a 64 px image pixelated at 0.6 measured as more damaged (1 - SSIM 0.22) than at 0.5 (0.21):
 * severity 1 would have been harder than severity 2.
 * @internal
 */

/** For each output index, the input indices it covers and their weights (summing to 1). */
function taps(inSize: number, outSize: number): Array<Array<[number, number]>> {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, i) => {
    const from = i * scale;
    const to = (i + 1) * scale;
    const row: Array<[number, number]> = [];
    for (let j = Math.floor(from); j < Math.ceil(to); j++) {
      const overlap = Math.min(to, j + 1) - Math.max(from, j);
      if (overlap > 1e-9) row.push([j, overlap / scale]);
    }
    return row;
  });
}

export function boxResize(
  src: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  const tx = taps(width, outWidth);
  const ty = taps(height, outHeight);
  const rows = new Float64Array(outWidth * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (const [j, w] of tx[x])
        for (let c = 0; c < 3; c++) rows[(y * outWidth + x) * 3 + c] += src[(y * width + j) * 3 + c] * w;
    }
  }
  const out = new Uint8Array(outWidth * outHeight * 3);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (const [j, w] of ty[y]) v += rows[(j * outWidth + x) * 3 + c] * w;
        out[(y * outWidth + x) * 3 + c] = Math.round(v);
      }
    }
  }
  return out;
}
