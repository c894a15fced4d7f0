/** Number and label formatting shared by the Markdown and HTML reports. */
import type { Column, Cell } from './rows.js';

/** The arrow that says which direction is better. */
export const arrow = (better: Column['better']): string => (better === 'higher' ? '↑' : '↓');

/** Three decimals below 10 (accuracies as fractions), fewer for larger values (mCE in %, distances in px). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  return value.toFixed(magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : 3);
}

/** `mean` or `mean ± std` (several seeds). */
export function formatCell(cell: Cell | undefined): string {
  if (!cell) return '—';
  return cell.std === undefined ? formatNumber(cell.mean) : `${formatNumber(cell.mean)} ± ${formatNumber(cell.std)}`;
}

/** A column's header: suite, metric and arrow. */
export const columnTitle = (column: Column): string => `${column.suite} ${column.metric} ${arrow(column.better)}`;

/** The seeds of a row, or the number of runs where they have none. */
export function formatSeeds(seeds: (number | undefined)[]): string {
  if (seeds.every((s) => s === undefined)) return seeds.length === 1 ? '—' : `${seeds.length} runs`;
  return seeds.map((s) => (s === undefined ? '?' : String(s))).join(', ');
}

/** One colour per row, the same in the charts and on the sample images (Okabe–Ito, readable by colour-blind). */
export const ROW_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];
export const rowColour = (row: number): string => ROW_COLOURS[row % ROW_COLOURS.length];
