/**
 * OUT/job.json: the job's spec and state, written atomically (temporary file + rename) at every state change, so a
 * restarted evaluation server knows which jobs to resume and `--resume` can refuse a different spec.
 */
import { readFileSync, existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalJobSpec } from './job-spec.js';
import { JobError } from './job-spec.js';

export type JobStateName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobStateFile {
  schemaVersion: 1;
  id: string;
  spec: EvalJobSpec;
  state: JobStateName;
  /** The model actually evaluated (the version resolved when the job first started). */
  model?: { name: string; version: number };
  suites?: { name: string; root: string }[];
  missingSuites?: string[];
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

export const JOB_FILE = 'job.json';
export const PREDICTIONS_FILE = 'predictions.jsonl';
export const REPORT_FILE = 'report.json';

export function readJobState(outDir: string): JobStateFile | undefined {
  const path = join(outDir, JOB_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobStateFile;
  } catch (error) {
    throw new JobError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

export async function writeJobState(outDir: string, state: JobStateFile): Promise<void> {
  const path = join(outDir, JOB_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, path);
}

/** The fields a resumed job must share with the one that wrote OUT, or its lines would not belong together. */
export function assertSameWork(previous: EvalJobSpec, next: EvalJobSpec, where: string): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const checks: [string, unknown, unknown][] = [
    ['model', previous.model, next.model],
    ['suites', previous.suites, next.suites],
    ['limit', previous.limit || 0, next.limit || 0],
    ['shard', previous.shard, next.shard],
    ['bgcMaxBackgrounds', previous.bgcMaxBackgrounds, next.bgcMaxBackgrounds],
  ];
  for (const [field, a, b] of checks) {
    if (!same(a, b)) {
      throw new JobError(
        `${where}: was written with ${field}=${JSON.stringify(a)}, this run has ${JSON.stringify(b)}; ` +
          'resume with the same value or use another --out',
      );
    }
  }
}
