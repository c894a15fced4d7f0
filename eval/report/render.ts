/**
 * The report's entry point: reads finished run folders (it needs nothing from the job runner but its files),
 * merges shards, groups runs into rows, and writes OUT/report.json, OUT/report.md and OUT/report.html.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { comparisonReport } from './comparison.js';
import { ReportInputError } from './errors.js';
import { renderHtml } from './html.js';
import { loadRun } from './load-run.js';
import { renderMarkdown } from './markdown.js';
import { combineRuns } from './merge-shards.js';
import type { ProgressListener } from './progress.js';
import { groupRows } from './rows.js';
import { collectSamples } from './samples.js';

export interface RenderOptions {
  /** The page and table title (default "LUAB evaluation report"). */
  title?: string;
  /** Sample images per suite in report.html (default 8; 0: none). */
  samplesPerSuite?: number;
  /** Longest side of a sample thumbnail in pixels (default 192). */
  thumbnailSize?: number;
  onProgress?: ProgressListener;
}

export interface RenderResult {
  /** The files written (absolute paths). */
  files: string[];
  /** Runs after merging shards, and rows after grouping seeds. */
  runs: number;
  rows: number;
}

/**
 * Renders the report of one or more finished runs into `outDir`.
 *
 * - report.json: one run (or the merge of one run's shards): that RunReport, merged metrics recomputed from the
 *   shards' lines (then OUT/predictions.jsonl holds the union of their lines, so OUT is itself a run folder);
 *   several runs: a ComparisonReport. For a single unsharded run rendered into its own folder, report.json and
 *   predictions.jsonl are left as the runner wrote them.
 * - report.md: the paper's Table 1 layout and per-suite tables.
 * - report.html: self-contained, offline: charts, tables, failures, notes, provenance, sample images.
 *
 * The job runner calls `renderRunReports([OUT], OUT)` after a run. Merging shards needs their suites to be
 * registered (eval/suites/registry.ts): import the suites before calling. Throws a ReportInputError naming the
 * folder or file on bad input (not a finished run, overlapping or missing shards, an invalid line).
 */
export async function renderRunReports(
  runDirs: string[],
  outDir: string,
  options: RenderOptions = {},
): Promise<RenderResult> {
  if (runDirs.length === 0) throw new ReportInputError(resolve(outDir), 'no run folders given');
  const out = resolve(outDir);
  const loaded = runDirs.map((dir) => loadRun(dir));
  const sharded = loaded.filter((run) => run.report.job.shard);
  const intoShard = sharded.find((run) => run.dir === out);
  if (intoShard) {
    throw new ReportInputError(out, 'is one of the shards to merge: write the merged report into another folder');
  }
  if (loaded.length > 1 && loaded.some((run) => run.dir === out)) {
    // Its report.json would be replaced by the comparison of all of them.
    throw new ReportInputError(out, 'is one of the runs compared: write the comparison into another folder');
  }
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const mergedPredictionsPath = join(out, 'predictions.jsonl');
  const runs = await combineRuns(loaded, { mergedPredictionsPath, onProgress: options.onProgress });
  const rows = groupRows(runs);
  const title = options.title ?? 'LUAB evaluation report';

  const reportPath = join(out, 'report.json');
  if (runs.length === 1) {
    const [run] = runs;
    if (run.report.job.mergedFrom) files.push(mergedPredictionsPath);
    if (!(run.dirs.length === 1 && run.dirs[0] === out)) {
      writeFileSync(reportPath, `${JSON.stringify(run.report, null, 2)}\n`);
      files.push(reportPath);
    }
  } else {
    writeFileSync(reportPath, `${JSON.stringify(comparisonReport(title, rows), null, 2)}\n`);
    files.push(reportPath);
  }

  const markdownPath = join(out, 'report.md');
  writeFileSync(markdownPath, renderMarkdown(title, rows));
  files.push(markdownPath);

  const perSuite = options.samplesPerSuite ?? 8;
  const samples =
    perSuite > 0
      ? await collectSamples(rows, { perSuite, thumbnailSize: options.thumbnailSize, onProgress: options.onProgress })
      : [];
  const htmlPath = join(out, 'report.html');
  writeFileSync(htmlPath, renderHtml(title, rows, samples));
  files.push(htmlPath);
  return { files, runs: runs.length, rows: rows.length };
}
