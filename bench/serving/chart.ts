/**
 * The results as a picture: throughput and latency per concurrency, one colour per pipeline and input. Drawn as
 * SVG by hand and rasterised with sharp (librsvg) when a .png is asked for: the project has no charting
 * dependency, and grouped bars need nothing more than rectangles and text.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import type { Aggregate } from './results.js';

const SERIES = [
  { pipeline: 'in-process', input: 'jpeg', label: 'in-process, JPEG', colour: '#7f7f7f' },
  { pipeline: 'grpc', input: 'jpeg', label: 'gRPC, JPEG', colour: '#1f77b4' },
  { pipeline: 'grpc-unbatched', input: 'tensor', label: 'gRPC, tensor, batching off', colour: '#ff7f0e' },
  { pipeline: 'grpc', input: 'tensor', label: 'gRPC, tensor, batching on', colour: '#2ca02c' },
] as const;

const WIDTH = 900;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 40 };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const text = (x: number, y: number, body: string, size = 11, extra = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="sans-serif" font-size="${size}" ${extra}>` +
  `${escape(body)}</text>`;

interface Panel {
  title: string;
  /** Value of a bar and, optionally, a tick drawn above it (p99 over p50). */
  value: (a: Aggregate) => { bar: number; tick?: number };
  log: boolean;
  format: (v: number) => string;
}

function panel(aggregates: Aggregate[], concurrencies: number[], spec: Panel, top: number): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const find = (s: (typeof SERIES)[number], c: number) =>
    aggregates.find((a) => a.pipeline === s.pipeline && a.input === s.input && a.concurrency === c);
  const values = aggregates.flatMap((a) => {
    const v = spec.value(a);
    return [v.bar, v.tick ?? v.bar];
  });
  const max = Math.max(...values);
  const min = spec.log ? Math.max(Math.min(...values) / 2, 1e-3) : 0;
  const scale = (v: number) =>
    spec.log
      ? (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max * 1.15) - Math.log10(min))
      : v / (max * 1.15);
  const y = (v: number) => top + MARGIN.top + plotHeight * (1 - scale(v));
  const groupWidth = plotWidth / concurrencies.length;
  const barWidth = (groupWidth * 0.8) / SERIES.length;
  const parts = [text(MARGIN.left, top + 22, spec.title, 14, 'font-weight="bold"')];
  parts.push(`<line x1="${MARGIN.left}" y1="${y(min)}" x2="${WIDTH - MARGIN.right}" y2="${y(min)}" stroke="#333"/>`);
  concurrencies.forEach((c, g) => {
    const x0 = MARGIN.left + g * groupWidth + groupWidth * 0.1;
    parts.push(text(x0 + groupWidth * 0.4, y(min) + 18, `concurrency ${c}`, 11, 'text-anchor="middle"'));
    SERIES.forEach((s, i) => {
      const a = find(s, c);
      if (!a) return;
      const { bar, tick } = spec.value(a);
      const x = x0 + i * barWidth;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(bar).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
          `height="${(y(min) - y(bar)).toFixed(1)}" fill="${s.colour}"/>`,
      );
      if (tick !== undefined) {
        parts.push(
          `<line x1="${x.toFixed(1)}" y1="${y(tick).toFixed(1)}" x2="${(x + barWidth - 2).toFixed(1)}" ` +
            `y2="${y(tick).toFixed(1)}" stroke="${s.colour}" stroke-width="3"/>`,
          `<line x1="${(x + barWidth / 2 - 1).toFixed(1)}" y1="${y(tick).toFixed(1)}" ` +
            `x2="${(x + barWidth / 2 - 1).toFixed(1)}" y2="${y(bar).toFixed(1)}" stroke="${s.colour}"/>`,
        );
      }
      const label = spec.format(tick ?? bar);
      parts.push(text(x + barWidth / 2 - 1, y(tick ?? bar) - 4, label, 9, 'text-anchor="middle"'));
    });
  });
  return parts.join('');
}

export function chartSvg(aggregates: Aggregate[], title: string): string {
  const concurrencies = [...new Set(aggregates.map((a) => a.concurrency))].sort((a, b) => a - b);
  const legendTop = 2 * PANEL_HEIGHT + 50;
  const legend = SERIES.map((s, i) => {
    const x = MARGIN.left + i * 200;
    return `<rect x="${x}" y="${legendTop}" width="12" height="12" fill="${s.colour}"/>${text(x + 18, legendTop + 10, s.label)}`;
  }).join('');
  const height = legendTop + 30;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}">` +
    `<rect width="${WIDTH}" height="${height}" fill="white"/>` +
    text(MARGIN.left, 20, title, 13) +
    panel(
      aggregates,
      concurrencies,
      {
        title: 'Throughput (requests/s, higher is better)',
        value: (a) => ({ bar: a.throughput }),
        log: false,
        format: (v) => v.toFixed(0),
      },
      20,
    ) +
    panel(
      aggregates,
      concurrencies,
      {
        title: 'Latency (ms, log scale): bar p50, tick p99',
        value: (a) => ({ bar: a.p50Ms, tick: a.p99Ms }),
        log: true,
        format: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)),
      },
      20 + PANEL_HEIGHT,
    ) +
    legend +
    `</svg>`
  );
}

/** Writes the chart as .svg, or as .png through sharp. */
export async function writeChart(file: string, aggregates: Aggregate[], title: string): Promise<void> {
  const svg = chartSvg(aggregates, title);
  const extension = extname(file).toLowerCase();
  if (extension === '.svg') await writeFile(file, svg);
  else if (extension === '.png') await sharp(Buffer.from(svg)).png().toFile(file);
  else throw new Error(`--plot: "${file}" must end in .svg or .png`);
}
