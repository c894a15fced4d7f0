/**
 * The table's rows: runs of one model configuration (architecture, objective, lambda, training data, from the
 * provenance the trainer writes into config.json) trained with different seeds form one row, reported as
 * mean ± std over the seeds as in the paper's Table 1. A model without that provenance is a row of its own
 * (keyed by name and version). Rows keep the order in which their first run was given.
 */
import type { MetricValue, RunReport } from '../types.js';
import type { Run } from './merge-shards.js';

export interface Row {
  /** What the runs share (JSON). */
  key: string;
  /** The row's name in the tables. */
  label: string;
  /** Its runs, by seed (runs without a seed last, in the order given). */
  runs: Run[];
  /** The seed of each run (undefined where the provenance has none). */
  seeds: (number | undefined)[];
}

/** A column: one metric of one suite, with the direction that is better. */
export interface Column {
  suite: string;
  metric: string;
  better: MetricValue['better'];
}

/** A row's value in a column: the mean over its runs that have it, and their sample std (n - 1) when n > 1. */
export interface Cell {
  mean: number;
  std?: number;
  values: number[];
  /** Images the value is over, summed over the runs. */
  count: number;
}

/** The part of the provenance the trainer writes that the report reads. */
interface Provenance {
  model?: unknown;
  objective?: unknown;
  lambda?: unknown;
  seed?: unknown;
  data?: { dataset?: unknown };
}

function provenanceOf(report: RunReport): Provenance | undefined {
  const p = report.model.provenance;
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as Provenance) : undefined;
}

/** The seed in the provenance, or undefined. */
export function seedOf(report: RunReport): number | undefined {
  const seed = provenanceOf(report)?.seed;
  return typeof seed === 'number' ? seed : undefined;
}

function configuration(report: RunReport): { key: string; label: string } {
  const p = provenanceOf(report);
  if (!p || typeof p.objective !== 'string') {
    const label = `${report.model.name} v${report.model.version}`;
    return { key: JSON.stringify(['model', report.model.name, report.model.version]), label };
  }
  const arch = typeof p.model === 'string' ? p.model : report.model.name;
  const lambda = typeof p.lambda === 'number' && p.lambda !== 0 ? p.lambda : undefined;
  const dataset = typeof p.data?.dataset === 'string' ? p.data.dataset : undefined;
  const label = `${arch} ${p.objective}${lambda !== undefined ? ` λ=${lambda}` : ''}`;
  return { key: JSON.stringify(['config', arch, p.objective, lambda ?? null, dataset ?? null]), label };
}

/** Groups runs into rows (see the module comment). */
export function groupRows(runs: Run[]): Row[] {
  const rows = new Map<string, Row & { datasets: Set<string> }>();
  for (const run of runs) {
    const { key, label } = configuration(run.report);
    let row = rows.get(key);
    if (!row) {
      row = { key, label, runs: [], seeds: [], datasets: new Set() };
      rows.set(key, row);
    }
    row.runs.push(run);
    const dataset = provenanceOf(run.report)?.data?.dataset;
    if (typeof dataset === 'string') row.datasets.add(dataset);
  }
  const result = [...rows.values()];
  // Two configurations differing only in their training data get the same label: say which is which.
  for (const row of result) {
    if (result.some((other) => other !== row && other.label === row.label) && row.datasets.size > 0) {
      row.label += ` (${[...row.datasets].join(', ')})`;
    }
  }
  return result.map(({ key, label, runs: rowRuns }) => {
    const sorted = [...rowRuns].sort((a, b) => {
      const sa = seedOf(a.report) ?? Infinity;
      const sb = seedOf(b.report) ?? Infinity;
      return sa === sb ? 0 : sa < sb ? -1 : 1;
    });
    return { key, label, runs: sorted, seeds: sorted.map((r) => seedOf(r.report)) };
  });
}

/** The suites of all runs, in first-seen order. */
export function suiteNames(rows: Row[]): string[] {
  const names: string[] = [];
  for (const row of rows) {
    for (const run of row.runs) for (const s of run.report.suites) if (!names.includes(s.suite)) names.push(s.suite);
  }
  return names;
}

/**
 * The columns of a table: for `headline`, each suite's `headline` metrics (else its first one) — the paper's
 * Table 1; for `all`, every metric of the given suite. Metric order is the first run's that has the suite.
 */
export function columns(rows: Row[], which: 'headline' | 'all', onlySuite?: string): Column[] {
  const result: Column[] = [];
  const add = (suite: string, metric: string, value: MetricValue) => {
    if (!result.some((c) => c.suite === suite && c.metric === metric))
      result.push({ suite, metric, better: value.better });
  };
  for (const suite of suiteNames(rows)) {
    if (onlySuite !== undefined && suite !== onlySuite) continue;
    for (const row of rows) {
      for (const run of row.runs) {
        const metrics = run.report.suites.find((s) => s.suite === suite);
        if (!metrics) continue;
        const names = Object.keys(metrics.metrics);
        const chosen =
          which === 'all' ? names : (metrics.headline?.filter((n) => n in metrics.metrics) ?? names.slice(0, 1));
        for (const name of chosen) add(suite, name, metrics.metrics[name]);
      }
    }
  }
  return result;
}

/** The row's cell in a column, or undefined when none of its runs has that metric. */
export function cellOf(row: Row, column: Column): Cell | undefined {
  const found = row.runs
    .map((run) => run.report.suites.find((s) => s.suite === column.suite)?.metrics[column.metric])
    .filter((v): v is MetricValue => v !== undefined && Number.isFinite(v.value));
  if (found.length === 0) return undefined;
  const values = found.map((v) => v.value);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const count = found.reduce((a, v) => a + v.count, 0);
  if (values.length === 1) return { mean, values, count };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance), values, count };
}

/** Indices of the rows with the best mean in the column (ties all win); empty when fewer than two rows have it. */
export function bestRows(rows: Row[], column: Column): Set<number> {
  const means = rows.map((row) => cellOf(row, column)?.mean);
  const present = means.filter((m): m is number => m !== undefined);
  if (present.length < 2) return new Set();
  const best = column.better === 'higher' ? Math.max(...present) : Math.min(...present);
  // Means of the same counts summed in another order may differ in the last bit: those are ties, not a winner.
  const tolerance = 1e-12 * Math.max(1, Math.abs(best));
  return new Set(means.flatMap((m, i) => (m !== undefined && Math.abs(m - best) <= tolerance ? [i] : [])));
}

/** The row's value for one key of a suite's breakdown table (mean ± std over its runs), or undefined. */
export function breakdownCellOf(row: Row, suite: string, table: string, key: string): Cell | undefined {
  const values = row.runs
    .map((run) => run.report.suites.find((s) => s.suite === suite)?.breakdowns?.[table]?.[key])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { mean, values, count: 0 };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance), values, count: 0 };
}
