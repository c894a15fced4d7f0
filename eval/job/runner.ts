/**
 * Runs a prepared job: streams each suite's work list, skips what OUT/predictions.jsonl already holds, keeps a
 * bounded number of requests in flight (concurrency x endpoints; files are read by the same workers, so reading
 * overlaps inference and memory does not grow with the suite), scores each answer with the suite's `scoreItem`,
 * appends its line, and at the end writes report.json from the file.
 *
 * Durability: a line is written only for a finished image, so an image in flight when the process dies is
 * evaluated again on resume and none is counted twice. A transient error is retried with backoff; when retries
 * run out the job fails (what was written stays, resume continues); a permanent per-image error becomes a line
 * with `error` and the job goes on.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LuabClient, LuabError } from '../../client/luab-client.js';
import { isPlainFile, readItemBytes } from '../item-bytes.js';
import { renderRunReports } from '../report/render.js';
import type { EvalItem, PredictionLine, RunReport } from '../types.js';
import { isPerImage, predictWithRetry, type Prediction } from './endpoints.js';
import { JobError } from './job-spec.js';
import { PREDICTIONS_FILE, writeJobState, type JobStateFile } from './job-state.js';
import { PredictionsWriter, readPredictions } from './predictions-file.js';
import type { PreparedJob, PreparedSuite } from './prepare.js';
import { FileReaderPool, FileReaderPoolError } from './file-reader-pool.js';
import { ProgressTracker, type ProgressSnapshot } from './progress.js';
import { buildReport, writeReport } from './report.js';
import { readAhead, type BatchRead, type ReadResult } from './read-ahead.js';
import { itemKey, sliceItems } from './work-list.js';

/** The job was cancelled (CancelJob, Ctrl-C); what it wrote stays and resume continues it. */
export class JobCancelledError extends JobError {
  constructor() {
    super('the job was cancelled');
    this.name = 'JobCancelledError';
  }
}

/** Abort reason that stops a job without marking it cancelled (the evaluation server is shutting down). */
export const INTERRUPT = 'interrupt';

export interface RunOptions {
  /** Aborting cancels the job; with the reason {@link INTERRUPT} it only stops it (to be resumed). */
  signal?: AbortSignal;
  /**
   * Called as lines are written, at most every {@link PROGRESS_INTERVAL_MS} ms, once at the start with what a
   * resume read back, and once when the last line is written.
   */
  onProgress?: (progress: ProgressSnapshot) => void;
  /** Called on each retried request (a restarting server), with the error. */
  onRetry?: (error: Error) => void;
  /** Called with report.json once written and rendered (report.md, report.html). */
  onReport?: (report: RunReport, outDir: string) => Promise<void>;
}

export interface RunResult {
  report: RunReport;
  /** OUT/report.json */
  reportPath: string;
  progress: ProgressSnapshot;
}

const now = () => new Date().toISOString();

/** Progress is reported this often at most: a snapshot per line cost the job CPU the server could use. */
export const PROGRESS_INTERVAL_MS = 100;
/** Files read per message to a reader thread (eval/job/file-reader-pool.ts). */
const READ_BATCH = 32;

/**
 * The fields every line starts with, in the order the file has always had them (the JSON text stays the same).
 * Built by assignment, not object spreads: a spread per optional field made a short-lived object per image for the
 * garbage collector, on a process that shares its cores with the inference server.
 */
function baseLine(suite: PreparedSuite, item: EvalItem, job: PreparedJob): Record<string, unknown> {
  const line: Record<string, unknown> = { suite: suite.name, variant: item.variant, path: item.path };
  if (item.group !== undefined) line.group = item.group;
  line.targetWnids = item.targetWnids;
  if (item.ood !== undefined) line.ood = item.ood;
  line.model = job.model.labels.name;
  line.version = job.model.labels.version;
  if (item.attributes) line.attributes = item.attributes;
  return line;
}

function predictionLine(suite: PreparedSuite, item: EvalItem, job: PreparedJob, p: Prediction, ms: number) {
  const { output, response } = p;
  const classes = response.classes;
  const top5: PredictionLine['top5'] = [];
  for (let i = 0; i < classes.length && i < 5; i++) top5.push({ index: classes[i].index, score: classes[i].score });
  const line = baseLine(suite, item, job);
  line.top5 = top5;
  if (output.point) line.point = output.point;
  // All classes' points are sent (top_k = all); the line keeps those of the top 5, scoreItem saw them all.
  if (output.classPoints) line.classPoints = output.classPoints.filter((c) => top5.some((t) => t.index === c.index));
  line.imageWidth = output.imageWidth;
  line.imageHeight = output.imageHeight;
  line.resized = output.resized;
  line.score = suite.definition.scoreItem(item, output, job.model.labels);
  line.latencyMs = ms;
  return line as unknown as PredictionLine;
}

function errorLine(suite: PreparedSuite, item: EvalItem, job: PreparedJob, code: string, message: string, ms: number) {
  const line = baseLine(suite, item, job);
  line.top5 = [];
  line.imageWidth = 0;
  line.imageHeight = 0;
  line.resized = false;
  line.score = { predictedWnid: null, correct: false };
  line.latencyMs = ms;
  line.error = { code, message };
  return line as unknown as PredictionLine;
}

/**
 * Runs the job to its end and writes OUT/report.json. Rejects with {@link JobCancelledError} when `signal`
 * aborts, or a {@link JobError} saying what stopped it; job.json records the outcome either way.
 */
export async function runJob(job: PreparedJob, options: RunOptions = {}): Promise<RunResult> {
  const { spec } = job;
  const outDir = spec.outDir;
  await mkdir(outDir, { recursive: true });
  const predictionsPath = join(outDir, PREDICTIONS_FILE);

  const tracker = new ProgressTracker(job.suites.map((s) => ({ name: s.name, total: s.census.total })));
  const done = new Set<string>();
  if (spec.resume) {
    await readPredictions(
      predictionsPath,
      (line) => {
        const key = itemKey(line);
        if (done.has(key)) throw new JobError(`${predictionsPath}: ${line.suite}/${line.variant}/${line.path} twice`);
        done.add(key);
        tracker.record(line, false);
      },
      { repair: true },
    );
  }
  options.onProgress?.(tracker.snapshot());

  const state: JobStateFile = {
    schemaVersion: 1,
    id: job.id,
    spec,
    state: 'running',
    model: { name: job.model.labels.name, version: job.model.labels.version },
    suites: job.suites.map((s) => ({ name: s.name, root: s.root })),
    missingSuites: job.missing.map((m) => m.name),
    createdAt: job.previous?.createdAt ?? now(),
    startedAt: job.previous?.startedAt ?? now(),
  };
  await writeJobState(outDir, state);

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const client = new LuabClient(spec.endpoints, job.client);
  const workers = spec.concurrency * spec.endpoints.length;
  const writer = await PredictionsWriter.open(predictionsPath, { maxLines: Math.max(16, 4 * workers) });
  const files = new FileReaderPool();
  let fatal: Error | undefined;

  async function* pending(): AsyncGenerator<{ suite: PreparedSuite; item: EvalItem }> {
    for (const suite of job.suites) {
      for await (const item of sliceItems(suite.definition, suite.root, spec.limit, spec.shard)) {
        // Only a resumed job has lines to skip: a fresh one builds no key per item.
        if (done.size === 0 || !done.has(itemKey({ suite: suite.name, variant: item.variant, path: item.path }))) {
          yield { suite, item };
        }
      }
    }
  }
  type Work = { suite: PreparedSuite; item: EvalItem };
  // A batch's plain files go to the reader threads in one message; made images (composites, crops) are built here.
  const readBatch: BatchRead<Work, Buffer> = (batch) => {
    const plain = batch.filter(({ item }) => isPlainFile(item));
    const read = plain.length > 0 ? files.read(plain.map(({ item }) => item.absPath)) : undefined;
    let index = 0;
    return batch.map(({ item }) => {
      if (!isPlainFile(item)) {
        return readItemBytes(item).then(
          (value): ReadResult<Buffer> => ({ ok: true, value }),
          (error: Error): ReadResult<Buffer> => ({ ok: false, error }),
        );
      }
      const i = index++;
      return read!.then((results) => results[i]);
    });
  };
  // Files are read ahead of the requests, so a request slot never waits for the disk.
  const work = readAhead(pending(), readBatch, Math.max(2 * READ_BATCH, 2 * workers), READ_BATCH);

  async function evaluate(suite: PreparedSuite, item: EvalItem, bytes: Promise<ReadResult<Buffer>>): Promise<void> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let line: PredictionLine;
    const read = await bytes;
    if (!read.ok) {
      // The reader threads failing is the job's failure, not an unreadable image.
      if (read.error instanceof FileReaderPoolError) throw new JobError(read.error.message);
      return record(errorLine(suite, item, job, 'UNREADABLE', read.error.message, elapsed()));
    }
    try {
      const prediction = await predictWithRetry(client, read.value, job.model.labels, suite.definition.resize, {
        retries: spec.retries,
        timeoutMs: spec.timeoutMs,
        signal: controller.signal,
        onRetry: options.onRetry,
      });
      line = predictionLine(suite, item, job, prediction, elapsed());
    } catch (error) {
      if (controller.signal.aborted) return; // not written: evaluated again on resume
      if (!isPerImage(error)) {
        const detail = error instanceof LuabError ? error.message : (error as Error).message;
        throw new JobError(`${suite.name}/${item.path}: ${detail} (after up to ${spec.retries} retries)`);
      }
      line = errorLine(suite, item, job, (error as LuabError).codeName, (error as LuabError).details, elapsed());
    }
    return record(line);
  }

  let progressAt = performance.now();
  const reportProgress = () => {
    progressAt = performance.now();
    options.onProgress?.(tracker.snapshot());
  };

  /** Queues the line; the request slot is free at once (the writer batches lines that arrive together). */
  async function record(line: PredictionLine): Promise<void> {
    const written = writer.append(line).then(
      () => {
        tracker.record(line, true);
        if (options.onProgress && performance.now() - progressAt >= PROGRESS_INTERVAL_MS) reportProgress();
      },
      (error: Error) => {
        fatal ??= new JobError(`${predictionsPath}: cannot append (${error.message})`);
        controller.abort();
      },
    );
    // Bounds the lines held in memory if the disk is slower than inference.
    if (writer.pending > 8 * workers) await written;
  }

  async function worker(): Promise<void> {
    while (!fatal && !controller.signal.aborted) {
      const next = await work.next();
      if (next.done) return;
      await evaluate(next.value.value.suite, next.value.value.item, next.value.result);
    }
  }

  try {
    await Promise.all(
      Array.from({ length: workers }, () =>
        worker().catch((error: unknown) => {
          // The first failure stops the others from taking work and cancels what is in flight.
          fatal ??= error as Error;
          controller.abort();
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await writer.close();
    // Every line written is counted by now (close() resolved their appends).
    reportProgress();
    await files.close();
    client.close();
  }
  const finish = async (outcome: JobStateFile['state'], error?: string) =>
    writeJobState(outDir, { ...state, state: outcome, finishedAt: now(), ...(error ? { error } : {}) });
  if (fatal) {
    await finish('failed', fatal.message);
    throw fatal instanceof JobError ? fatal : new JobError(fatal.message);
  }
  if (controller.signal.aborted) {
    // A server shutting down interrupts its jobs without cancelling them: job.json stays 'running', and the
    // server resumes them when it starts again.
    if (options.signal?.reason !== INTERRUPT) await finish('cancelled');
    throw new JobCancelledError();
  }

  const progress = tracker.snapshot();
  const report = await buildReport({
    outDir,
    jobId: job.id,
    endpoints: spec.endpoints,
    shard: spec.shard,
    model: { name: job.model.labels.name, version: job.model.labels.version, provenance: job.model.provenance },
    suites: job.suites.map((s) => ({ ...s, items: s.census.items, fingerprint: s.census.fingerprint })),
    startedAt: state.startedAt!,
    finishedAt: now(),
    imagesPerSecond: progress.imagesPerSecond,
  });
  const reportPath = await writeReport(outDir, report);
  // report.md and report.html (eval/report/). A shard's are not: `luab report` merges the shards and renders the
  // whole, and refuses to render into a shard's own folder.
  if (!(spec.shard && spec.shard.count > 1)) await renderRunReports([outDir], outDir);
  await options.onReport?.(report, outDir);
  await finish('succeeded');
  return { report, reportPath, progress };
}
