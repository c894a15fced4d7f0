/** A suite's counts, notes, failures and breakdown tables, gathered over the runs of all rows. */
import type { SuiteMetrics } from '../types.js';
import type { Run } from './merge-shards.js';
import { seedOf, type Row } from './rows.js';

/** How a run is named where a row has several: the model, version and seed. */
export function runLabel(run: Run): string {
  const seed = seedOf(run.report);
  return `${run.report.model.name} v${run.report.model.version}${seed === undefined ? '' : ` seed ${seed}`}`;
}

export interface RunSuite {
  row: Row;
  run: Run;
  metrics: SuiteMetrics;
}

/** Every run's metrics for the suite, row by row. */
export function runsOfSuite(rows: Row[], suite: string): RunSuite[] {
  return rows.flatMap((row) =>
    row.runs.flatMap((run) => {
      const metrics = run.report.suites.find((s) => s.suite === suite);
      return metrics ? [{ row, run, metrics }] : [];
    }),
  );
}

/** Each distinct note once, with the runs that made it (all of them: `models` is empty). */
export function notesOf(entries: RunSuite[]): { note: string; runs: string[] }[] {
  const byNote = new Map<string, string[]>();
  for (const { run, metrics } of entries) {
    for (const note of metrics.notes) byNote.set(note, [...(byNote.get(note) ?? []), runLabel(run)]);
  }
  return [...byNote].map(([note, runs]) => ({ note, runs: runs.length === entries.length ? [] : runs }));
}

/** The breakdown tables of the suite and their keys, in first-seen order. */
export function breakdownTables(entries: RunSuite[]): { name: string; keys: string[] }[] {
  const tables: { name: string; keys: string[] }[] = [];
  for (const { metrics } of entries) {
    for (const [name, values] of Object.entries(metrics.breakdowns ?? {})) {
      let table = tables.find((t) => t.name === name);
      if (!table) tables.push((table = { name, keys: [] }));
      for (const key of Object.keys(values)) if (!table.keys.includes(key)) table.keys.push(key);
    }
  }
  return tables;
}
