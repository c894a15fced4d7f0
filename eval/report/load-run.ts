/**
 * Reads one finished run folder as the job runner leaves it: OUT/report.json (RunReport, validated),
 * OUT/predictions.jsonl (streamed, never held whole: a suite such as ImageNet-C has millions of lines) and
 * OUT/job.json (kept as opaque: it belongs to the runner).
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Ajv, type ErrorObject } from 'ajv';
import type { PredictionLine, RunReport } from '../types.js';
import { ReportInputError } from './errors.js';
import { predictionLineSchema, runReportSchema } from './run-report-schema.js';

/** A run folder after its report.json was read and checked. */
export interface LoadedRun {
  /** Absolute path of the run folder. */
  dir: string;
  report: RunReport;
  /** Absolute path of its predictions.jsonl. */
  predictionsPath: string;
  /** OUT/job.json, parsed, or undefined when absent. */
  job?: unknown;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateReport = ajv.compile(runReportSchema);
const validateLine = ajv.compile(predictionLineSchema);

function describe(errors: ErrorObject[] | null | undefined): string {
  const problems = (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replaceAll('/', '.');
    return `${where}: ${e.message}`;
  });
  return [...new Set(problems)].join('; ');
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReportInputError(file, `cannot be read (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ReportInputError(file, `is not valid JSON (${(error as Error).message})`);
  }
}

/** Loads a run folder; throws a ReportInputError naming the folder or file when it is not a finished run. */
export function loadRun(runDir: string): LoadedRun {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReportInputError(dir, 'is not a folder');
  const reportPath = join(dir, 'report.json');
  if (!existsSync(reportPath)) {
    throw new ReportInputError(dir, 'has no report.json (not a finished run: resume it with luab eval --resume)');
  }
  const report = readJson(reportPath);
  if (!validateReport(report)) {
    throw new ReportInputError(reportPath, `is not a run report: ${describe(validateReport.errors)}`);
  }
  const predictionsPath = join(dir, 'predictions.jsonl');
  if (!existsSync(predictionsPath)) throw new ReportInputError(dir, 'has no predictions.jsonl');
  const jobPath = join(dir, 'job.json');
  const job = existsSync(jobPath) ? readJson(jobPath) : undefined;
  return { dir, report: report as unknown as RunReport, predictionsPath, job };
}

/**
 * Streams the lines of a predictions.jsonl, each checked; a bad line throws naming `file:line`. Blank lines are
 * skipped, and so is a last line that is both unterminated and not valid JSON: that is what a writer killed
 * mid-line leaves, and the runner evaluates that image again on resume, so it is not part of the run.
 */
export async function* readPredictions(file: string): AsyncGenerator<PredictionLine> {
  // Created here and iterated at once: lines a readline interface emits before its iterator is awaited are lost.
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const parse = (raw: string, at: number): PredictionLine => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ReportInputError(`${file}:${at}`, `is not valid JSON (${(error as Error).message})`);
    }
    if (!validateLine(value)) {
      throw new ReportInputError(`${file}:${at}`, `is not a prediction line: ${describe(validateLine.errors)}`);
    }
    return value as unknown as PredictionLine;
  };
  let number = 0;
  let pending: string | undefined;
  for await (const raw of lines) {
    number += 1;
    // One line of look-behind, so that the last one can be treated apart.
    if (pending !== undefined) yield parse(pending, number - 1);
    pending = raw.trim() === '' ? undefined : raw;
  }
  if (pending === undefined) return;
  if (!(await endsWithNewline(file))) {
    try {
      JSON.parse(pending);
    } catch {
      return; // cut off mid-line by a killed writer
    }
  }
  yield parse(pending, number);
}

async function endsWithNewline(file: string): Promise<boolean> {
  const size = statSync(file).size;
  if (size === 0) return true;
  const handle = await open(file, 'r');
  try {
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** The identity of an item within a run: suite, variant and path (what resume and shards key on). */
export function itemKey(line: Pick<PredictionLine, 'suite' | 'variant' | 'path'>): string {
  return `${line.suite}\u0000${line.variant}\u0000${line.path}`;
}

/**
 * The canonical order of lines (variant, then path) that `aggregate` is given, whatever order they were appended
 * in: floating-point sums depend on order, so an unsharded run and a merge of its shards agree to the last bit
 * only when both aggregate sorted lines (the job runner should sort with this too).
 */
export function compareItems(a: PredictionLine, b: PredictionLine): number {
  if (a.variant !== b.variant) return a.variant < b.variant ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
