// Mean SSIM (Wang et al. 2004) of two packed-RGB images on luma, over 8 x 8 windows with stride 4: the tests'
// measure of how much a corruption destroys, independent of any one kind of damage (noise, blur, contrast).
export function meanSsim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const luma = (d: Uint8Array): Float64Array => {
    const out = new Float64Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = 0.299 * d[i * 3] + 0.587 * d[i * 3 + 1] + 0.114 * d[i * 3 + 2];
    return out;
  };
  const x = luma(a);
  const y = luma(b);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let windows = 0;
  for (let top = 0; top + 8 <= height; top += 4) {
    for (let left = 0; left + 8 <= width; left += 4) {
      let mx = 0;
      let my = 0;
      for (let j = 0; j < 8; j++) {
        for (let i = 0; i < 8; i++) {
          mx += x[(top + j) * width + left + i];
          my += y[(top + j) * width + left + i];
        }
      }
      mx /= 64;
      my /= 64;
      let vx = 0;
      let vy = 0;
      let cov = 0;
      for (let j = 0; j < 8; j++) {
        for (let i = 0; i < 8; i++) {
          const dx = x[(top + j) * width + left + i] - mx;
          const dy = y[(top + j) * width + left + i] - my;
          vx += dx * dx;
          vy += dy * dy;
          cov += dx * dy;
        }
      }
      total += ((2 * mx * my + c1) * ((2 * cov) / 63 + c2)) / ((mx * mx + my * my + c1) * ((vx + vy) / 63 + c2));
      windows++;
    }
  }
  return total / windows;
}
