/**
 * OUT/report.json: each suite's metrics from its own `aggregate()` over its lines of predictions.jsonl (read
 * back from the file, so a resumed or re-rendered run gives exactly the numbers of an uninterrupted one), with the
 * model's provenance and the datasets' fingerprints. Lines are sorted by suite/variant/path first: the file's
 * order depends on which request finished first, the metrics must not (eval/report's canonical order, the one a merge
 * of shards uses, so both agree to the last bit).
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareItems } from '../report/load-run.js';
import type { PredictionLine, RunReport, SuiteDefinition } from '../types.js';
import { PREDICTIONS_FILE, REPORT_FILE } from './job-state.js';
import { readPredictions } from './predictions-file.js';
import type { ShardSpec } from './job-spec.js';

export interface ReportInput {
  outDir: string;
  jobId: string;
  endpoints: string[];
  shard?: ShardSpec;
  model: { name: string; version: number; provenance?: unknown };
  suites: { name: string; root: string; definition: SuiteDefinition; items: number; fingerprint: string }[];
  startedAt: string;
  finishedAt: string;
  imagesPerSecond: number;
}

/** Builds the RunReport; memory holds one suite's lines at a time (aggregate() takes them as an array). */
export async function buildReport(input: ReportInput): Promise<RunReport> {
  const path = join(input.outDir, PREDICTIONS_FILE);
  const report: RunReport = {
    schemaVersion: 1,
    model: input.model,
    datasets: {},
    suites: [],
    job: {
      id: input.jobId,
      endpoints: input.endpoints,
      ...(input.shard && input.shard.count > 1 ? { shard: input.shard } : {}),
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      imagesPerSecond: input.imagesPerSecond,
    },
  };
  for (const suite of input.suites) {
    const lines: PredictionLine[] = [];
    await readPredictions(path, (line) => {
      if (line.suite === suite.name) lines.push(line);
    });
    lines.sort(compareItems);
    report.suites.push(suite.definition.aggregate(lines));
    report.datasets[suite.name] = { root: suite.root, fingerprint: suite.fingerprint, items: suite.items };
  }
  return report;
}

/** Writes OUT/report.json atomically; returns its path. */
export async function writeReport(outDir: string, report: RunReport): Promise<string> {
  const path = join(outDir, REPORT_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temporary, path);
  return path;
}
