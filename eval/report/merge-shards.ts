/**
 * Turns the loaded run folders into runs: an unsharded folder is a run as it is; the shards of one run
 * (`luab eval --shard i/n`, e.g. one pod of a Kubernetes Indexed Job each) are checked to be exactly the n
 * slices, each once, and merged. A merge recomputes every suite's metrics with the suite's own `aggregate` over
 * the union of the shards' predictions.jsonl lines (metrics such as AUPR or mCE cannot be averaged over
 * slices), so a merged run has the numbers an unsharded run would have.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { getSuite } from '../suites/registry.js';
import type { PredictionLine, RunReport, SuiteMetrics } from '../types.js';
import { ReportInputError } from './errors.js';
import { compareItems, itemKey, readPredictions, type LoadedRun } from './load-run.js';
import type { ProgressListener } from './progress.js';

/** One run, read from one folder or merged from the folders of its shards. */
export interface Run {
  /** The folders it was read from: one, or its shards in shard order. */
  dirs: string[];
  report: RunReport;
  /** Its predictions.jsonl files (one per folder). */
  predictionFiles: string[];
}

export interface CombineOptions {
  /** Where a merge writes the union of the shards' lines (only used when the folders make exactly one run). */
  mergedPredictionsPath?: string;
  onProgress?: ProgressListener;
}

/** Shards belong together when they evaluated the same model on the same suites, cut into the same count. */
function shardGroupKey(report: RunReport): string {
  const suites = Object.keys(report.datasets).sort();
  return JSON.stringify([report.model.name, report.model.version, suites, report.job.shard?.count]);
}

const describeShard = (run: LoadedRun) => `shard ${run.report.job.shard!.index}/${run.report.job.shard!.count}`;

/** Checks that the group holds every index 0..n-1 exactly once and that they read the same data. */
function checkShards(group: LoadedRun[]): LoadedRun[] {
  const { name, version } = group[0].report.model;
  const count = group[0].report.job.shard!.count;
  const what = `the ${count} shards of ${name} v${version}`;
  const byIndex = new Map<number, LoadedRun>();
  for (const run of group) {
    const { index } = run.report.job.shard!;
    if (index >= count) {
      throw new ReportInputError(run.dir, `${describeShard(run)} is out of range (index must be below ${count})`);
    }
    const other = byIndex.get(index);
    if (other) {
      throw new ReportInputError(
        run.dir,
        `overlapping shards: ${describeShard(run)} of ${name} v${version} is also in ${other.dir}; give each shard once`,
      );
    }
    byIndex.set(index, run);
  }
  const missing = [...Array(count).keys()].filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    const given = [...byIndex.values()].map((r) => `${describeShard(r)} = ${r.dir}`).join(', ');
    throw new ReportInputError(
      group[0].dir,
      `missing shards of ${name} v${version}: ${missing.map((i) => `${i}/${count}`).join(', ')} not given (given: ${given})`,
    );
  }
  const ordered = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  const first = ordered[0];
  for (const run of ordered.slice(1)) {
    for (const [suite, dataset] of Object.entries(first.report.datasets)) {
      const mine = run.report.datasets[suite];
      if (mine.fingerprint !== dataset.fingerprint) {
        throw new ReportInputError(
          run.dir,
          `is not a shard of the same run as ${first.dir}: suite "${suite}" was read from different data ` +
            `(fingerprint ${mine.fingerprint} under ${mine.root}, ${dataset.fingerprint} under ${dataset.root}) in ${what}`,
        );
      }
    }
  }
  return ordered;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * Merges the (checked, ordered) shards of one run. Lines are read one suite at a time, so memory holds the lines
 * of the largest suite, not of the whole run; an item found in two shards is an error naming both folders.
 */
async function mergeShards(shards: LoadedRun[], options: CombineOptions): Promise<Run> {
  const suiteNames: string[] = [];
  for (const shard of shards) {
    for (const s of shard.report.suites) if (!suiteNames.includes(s.suite)) suiteNames.push(s.suite);
  }
  const out = options.mergedPredictionsPath ? createWriteStream(options.mergedPredictionsPath) : undefined;
  const suites: SuiteMetrics[] = [];
  const total = suiteNames.length * shards.length;
  let done = 0;
  try {
    for (const suiteName of suiteNames) {
      let suite;
      try {
        suite = getSuite(suiteName);
      } catch (error) {
        throw new ReportInputError(shards[0].dir, `cannot merge its shards: ${(error as Error).message}`);
      }
      const lines: PredictionLine[] = [];
      const seen = new Map<string, string>();
      for (const shard of shards) {
        for await (const line of readPredictions(shard.predictionsPath)) {
          if (line.suite !== suiteName) continue;
          const key = itemKey(line);
          const other = seen.get(key);
          if (other !== undefined) {
            throw new ReportInputError(
              shard.dir,
              `overlapping shards: item ${suiteName}/${line.variant ? `${line.variant}/` : ''}${line.path} is in ` +
                (other === shard.dir ? 'this shard twice' : `both ${other} and ${shard.dir}`),
            );
          }
          seen.set(key, shard.dir);
          lines.push(line);
        }
        done += 1;
        options.onProgress?.({ phase: 'merge', done, total, detail: `${suiteName} of ${shard.dir}` });
      }
      lines.sort(compareItems);
      suites.push(suite.aggregate(lines));
      if (out) for (const line of lines) await write(out, `${JSON.stringify(line)}\n`);
    }
  } finally {
    if (out) {
      out.end();
      await once(out, 'close');
    }
  }
  return {
    dirs: shards.map((s) => s.dir),
    report: mergedReport(shards, suites),
    predictionFiles: shards.map((s) => s.predictionsPath),
  };
}

function mergedReport(shards: LoadedRun[], suites: SuiteMetrics[]): RunReport {
  const reports = shards.map((s) => s.report);
  const datasets: RunReport['datasets'] = {};
  for (const [suite, dataset] of Object.entries(reports[0].datasets)) {
    const items = reports.map((r) => r.datasets[suite].items);
    // A shard's `items` is either the whole suite's count (then all agree) or its slice's (then they add up).
    const sameCount = items.every((n) => n === items[0]);
    datasets[suite] = { ...dataset, items: sameCount ? items[0] : items.reduce((a, b) => a + b, 0) };
  }
  const startedAt = reports.map((r) => r.job.startedAt).sort()[0];
  const finishedAt = reports
    .map((r) => r.job.finishedAt)
    .sort()
    .at(-1)!;
  const evaluated = suites.reduce((n, s) => n + s.counts.evaluated + s.counts.failed, 0);
  const seconds = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
  const ids = [...new Set(reports.map((r) => r.job.id))];
  return {
    ...reports[0],
    datasets,
    suites,
    job: {
      id: ids.length === 1 ? ids[0] : ids.join('+'),
      endpoints: [...new Set(reports.flatMap((r) => r.job.endpoints))],
      startedAt,
      finishedAt,
      // Over the wall-clock span of all shards: the throughput the whole run had, whether shards ran in parallel
      // or one after another.
      imagesPerSecond: seconds > 0 ? evaluated / seconds : 0,
      mergedFrom: reports.map((r) => ({ id: r.job.id, shard: r.job.shard! })),
    },
  };
}

/**
 * The runs the folders hold, in the order given (a merged run where its first shard was): unsharded folders as
 * they are, shards merged. Throws a ReportInputError for overlapping, missing or mismatched shards.
 */
export async function combineRuns(loaded: LoadedRun[], options: CombineOptions = {}): Promise<Run[]> {
  const groups = new Map<string, LoadedRun[]>();
  const order: (LoadedRun | string)[] = [];
  for (const run of loaded) {
    if (!run.report.job.shard) {
      order.push(run);
      continue;
    }
    const key = shardGroupKey(run.report);
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
    groups.get(key)!.push(run);
  }
  const checked = new Map([...groups].map(([key, group]) => [key, checkShards(group)]));
  const single = order.length === 1;
  const runs: Run[] = [];
  for (const entry of order) {
    if (typeof entry !== 'string') {
      runs.push({ dirs: [entry.dir], report: entry.report, predictionFiles: [entry.predictionsPath] });
      continue;
    }
    const shards = checked.get(entry)!;
    runs.push(
      await mergeShards(shards, {
        ...options,
        mergedPredictionsPath: single ? options.mergedPredictionsPath : undefined,
      }),
    );
  }
  return runs;
}
