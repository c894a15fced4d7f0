/** report.json of a report over several runs: the runs (shards merged) and the rows' mean ± std per metric. */
import type { MetricValue, RunReport } from '../types.js';
import { cellOf, columns, type Row } from './rows.js';
import { pairedComparisons, type PairedComparison } from './paired.js';

export interface ComparisonReport {
  schemaVersion: 1;
  kind: 'comparison';
  title: string;
  rows: {
    label: string;
    /** What the row's runs share (architecture, objective, lambda, data; or the model name and version). */
    key: string;
    seeds: (number | null)[];
    /** Indices into `runs`. */
    runs: number[];
    /** suite → metric → the mean over the row's runs, the sample std when n > 1, n and the better direction. */
    metrics: Record<string, Record<string, { mean: number; std?: number; n: number; better: MetricValue['better'] }>>;
  }[];
  /** Every run, with the folders it was read from (several: the shards it was merged from). */
  runs: (RunReport & { dirs: string[] })[];
  /** LUAB − baseline and LUAB − Rand per seed, every metric (eval/report/paired.ts); empty when no pair exists. */
  paired: PairedComparison[];
}

export function comparisonReport(title: string, rows: Row[]): ComparisonReport {
  const runs: ComparisonReport['runs'] = [];
  const all = columns(rows, 'all');
  return {
    schemaVersion: 1,
    kind: 'comparison',
    title,
    rows: rows.map((row) => {
      const indices = row.runs.map((run) => runs.push({ ...run.report, dirs: run.dirs }) - 1);
      const metrics: ComparisonReport['rows'][number]['metrics'] = {};
      for (const column of all) {
        const cell = cellOf(row, column);
        if (!cell) continue;
        metrics[column.suite] ??= {};
        metrics[column.suite][column.metric] = {
          mean: cell.mean,
          ...(cell.std === undefined ? {} : { std: cell.std }),
          n: cell.values.length,
          better: column.better,
        };
      }
      return { label: row.label, key: row.key, seeds: row.seeds.map((s) => s ?? null), runs: indices, metrics };
    }),
    runs,
    paired: pairedComparisons(rows),
  };
}
