/**
 * Paired differences per seed, the comparison the paper's claims are about: LUAB − baseline and LUAB − Rand.
 * Runs of two rows that share a seed were trained on the same data with the same sampler order and the same
 * initialisation stream, so the difference of their metrics per seed removes most of the seed-to-seed spread that
 * the rows' own mean ± std carries; the spread of those differences is what an effect must be measured against.
 *
 * Rows are paired when the trainer's provenance says LUAB on one side and baseline or Rand on the other, with the
 * same architecture and training data (and, for Rand, the same lambda: Rand is LUAB's control at equal weight).
 * Rows without that provenance are never paired.
 */
import type { MetricValue } from '../types.js';
import { formatNumber } from './format.js';
import { columns, seedOf, type Column, type Row } from './rows.js';

export interface PairedDifference {
  suite: string;
  metric: string;
  better: MetricValue['better'];
  /** The seeds both rows have, ascending, and the difference (a − b) of each. */
  seeds: number[];
  differences: number[];
  mean: number;
  /** Sample std (n − 1) of the differences, when n > 1. */
  std?: number;
  /** How many seeds a's side is better on (by the metric's direction), and worse on. */
  wins: number;
  losses: number;
}

export interface PairedComparison {
  /** e.g. "LUAB − baseline". */
  name: string;
  a: string;
  b: string;
  differences: PairedDifference[];
}

/** The configuration of a row as rows.ts keyed it: [arch, objective, lambda, dataset], or undefined. */
function configOf(row: Row): { arch: string; objective: string; lambda: number | null; dataset: string | null } | null {
  const key = JSON.parse(row.key) as unknown[];
  if (key[0] !== 'config') return null;
  return {
    arch: String(key[1]),
    objective: String(key[2]),
    lambda: key[3] as number | null,
    dataset: key[4] as string | null,
  };
}

/** The value of a metric for the row's run with that seed, or undefined. */
function valueAt(row: Row, seed: number, column: Column): number | undefined {
  const run = row.runs.find((r) => seedOf(r.report) === seed);
  const value = run?.report.suites.find((s) => s.suite === column.suite)?.metrics[column.metric]?.value;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** The paired differences of a against b over the seeds both have, per metric (metrics neither has: none). */
export function pairRows(a: Row, b: Row, name: string): PairedComparison {
  const seedsB = new Set(b.seeds.filter((s): s is number => s !== undefined));
  const shared = [...new Set(a.seeds.filter((s): s is number => s !== undefined && seedsB.has(s)))].sort(
    (x, y) => x - y,
  );
  const differences: PairedDifference[] = [];
  for (const column of columns([a, b], 'all')) {
    const seeds: number[] = [];
    const values: number[] = [];
    for (const seed of shared) {
      const va = valueAt(a, seed, column);
      const vb = valueAt(b, seed, column);
      if (va === undefined || vb === undefined) continue;
      seeds.push(seed);
      values.push(va - vb);
    }
    if (values.length === 0) continue;
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std =
      values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : undefined;
    const better = (d: number) => (column.better === 'higher' ? d > 0 : d < 0);
    const worse = (d: number) => (column.better === 'higher' ? d < 0 : d > 0);
    differences.push({
      suite: column.suite,
      metric: column.metric,
      better: column.better,
      seeds,
      differences: values,
      mean,
      ...(std === undefined ? {} : { std }),
      wins: values.filter(better).length,
      losses: values.filter(worse).length,
    });
  }
  return { name, a: a.label, b: b.label, differences };
}

/** LUAB − baseline and LUAB − Rand for every LUAB row that has such partners (see the module comment). */
export function pairedComparisons(rows: Row[]): PairedComparison[] {
  const result: PairedComparison[] = [];
  for (const a of rows) {
    const ca = configOf(a);
    if (!ca || ca.objective !== 'luab') continue;
    for (const objective of ['baseline', 'rand']) {
      for (const b of rows) {
        const cb = configOf(b);
        if (!cb || cb.objective !== objective || cb.arch !== ca.arch || cb.dataset !== ca.dataset) continue;
        if (objective === 'rand' && cb.lambda !== ca.lambda) continue;
        const several = rows.filter((r) => configOf(r)?.objective === 'luab').length > 1;
        const name = `LUAB − ${objective === 'rand' ? 'Rand' : 'baseline'}${several ? ` (${a.label})` : ''}`;
        const pair = pairRows(a, b, name);
        if (pair.differences.length > 0) result.push(pair);
      }
    }
  }
  return result;
}

/** `+0.012 ± 0.008 (n 3, 3/3 better)`: a paired difference in a table cell. */
export function formatDifference(d: PairedDifference | undefined): string {
  if (!d) return '—';
  const signed = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${formatNumber(Math.abs(v))}`;
  const spread = d.std === undefined ? '' : ` ± ${formatNumber(d.std)}`;
  return `${signed(d.mean)}${spread} (n ${d.differences.length}, ${d.wins}/${d.differences.length} better)`;
}

/** The per-seed differences as `seed: value` pairs. */
export function formatPerSeed(d: PairedDifference): string {
  return d.seeds.map((s, i) => `${s}: ${d.differences[i] >= 0 ? '+' : ''}${formatNumber(d.differences[i])}`).join(', ');
}
