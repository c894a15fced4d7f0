/**
 * Draws a prediction onto its image: the object point (a ringed cross-hair) and the top class with its score,
 * or for multi-label models one marked point per returned class. The image is EXIF-oriented first, because that
 * is the frame the server's points are in.
 */
import sharp from 'sharp';
import type { PredictResponse } from '../proto/generated/luab/v1/inference.js';

const COLOURS = ['#ff2d55', '#34c759', '#0a84ff', '#ffcc00', '#af52de', '#ff9500', '#5ac8fa', '#ffffff', '#8e8e93'];

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

function marker(x: number, y: number, r: number, colour: string): string {
  const w = Math.max(1.5, r / 4);
  return (
    `<circle cx="${x}" cy="${y}" r="${r}" fill="none" stroke="black" stroke-width="${w + 2}"/>` +
    `<circle cx="${x}" cy="${y}" r="${r}" fill="none" stroke="${colour}" stroke-width="${w}"/>` +
    `<path d="M${x - 2 * r} ${y}H${x - r / 2}M${x + r / 2} ${y}H${x + 2 * r}M${x} ${y - 2 * r}V${y - r / 2}M${x} ${y + r / 2}V${y + 2 * r}" stroke="${colour}" stroke-width="${w}"/>`
  );
}

function caption(lines: { text: string; colour: string }[], fontSize: number): string {
  const pad = fontSize / 3;
  const height = lines.length * fontSize * 1.25 + 2 * pad;
  const width = Math.max(...lines.map((l) => l.text.length)) * fontSize * 0.62 + 2 * pad;
  const texts = lines
    .map(
      (l, i) =>
        `<text x="${pad}" y="${pad + (i + 1) * fontSize * 1.25 - fontSize * 0.3}" fill="${l.colour}" ` +
        `font-family="DejaVu Sans, sans-serif" font-size="${fontSize}">${escapeXml(l.text)}</text>`,
    )
    .join('');
  return `<rect x="0" y="0" width="${width}" height="${height}" fill="black" fill-opacity="0.6"/>${texts}`;
}

/** Renders `response` over `image` and writes a PNG to `outPath`. */
export async function drawPrediction(image: Uint8Array, response: PredictResponse, outPath: string): Promise<void> {
  const oriented = await sharp(image).rotate().png().toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const side = Math.min(width, height);
  const radius = Math.max(4, side / 40);
  const fontSize = Math.max(10, Math.round(side / 18));
  const parts: string[] = [];
  const lines: { text: string; colour: string }[] = [];
  if (response.point) {
    parts.push(marker(response.point.xPx, response.point.yPx, radius, COLOURS[0]));
    const top = response.classes[0];
    if (top) lines.push({ text: `${top.label} ${(top.score * 100).toFixed(1)}%`, colour: COLOURS[0] });
  } else if (response.classPoints.length > 0) {
    response.classPoints.forEach((cp, i) => {
      const colour = COLOURS[i % COLOURS.length];
      if (cp.point) parts.push(marker(cp.point.xPx, cp.point.yPx, radius, colour));
      lines.push({ text: `${cp.label} ${(cp.score * 100).toFixed(1)}%`, colour });
    });
  } else {
    response.classes
      .slice(0, 3)
      .forEach((c) => lines.push({ text: `${c.label} ${(c.score * 100).toFixed(1)}%`, colour: '#ffffff' }));
  }
  if (lines.length > 0) parts.push(caption(lines, fontSize));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  await sharp(oriented.data)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toFile(outPath);
}
