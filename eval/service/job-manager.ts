/**
 * The evaluation server's jobs: one folder each under --eval-dir (the job's OUT), started in this process, watched
 * by any number of clients, and resumed when the server starts again (every job whose job.json still says running
 * or queued). The job engine itself is eval/job/; this module only keeps track of jobs and their listeners.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LuabClientOptions } from '../../client/luab-client.js';
import { notFound } from '../../server/errors.js';
import type { RunReport } from '../types.js';
import { JobError, type EvalJobSpec } from '../job/job-spec.js';
import { readJobState, REPORT_FILE, type JobStateFile, type JobStateName } from '../job/job-state.js';
import { prepareJob } from '../job/prepare.js';
import type { ProgressSnapshot } from '../job/progress.js';
import { INTERRUPT, runJob } from '../job/runner.js';

export interface ManagedJob {
  id: string;
  outDir: string;
  spec: EvalJobSpec;
  state: JobStateName;
  error?: string;
  model?: { name: string; version: number };
  suites: { name: string; root: string }[];
  missingSuites: string[];
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: ProgressSnapshot;
}

type Listener = (job: ManagedJob) => void;

/** A job spec as a client sends it; out_dir is a folder name under --eval-dir. */
export type SubmittedSpec = Omit<EvalJobSpec, 'outDir'> & { outDir: string };

const FINAL: ReadonlySet<JobStateName> = new Set(['succeeded', 'failed', 'cancelled']);
export const isFinal = (state: JobStateName) => FINAL.has(state);

export class JobManager {
  private readonly jobs = new Map<string, ManagedJob>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Endpoints a job that names none is sent to (the inference server this one shares a port with). */
  defaultEndpoints: string[] = [];
  private readonly closingController = new AbortController();
  /** Aborted when the manager closes: open WatchJob streams end then, so they do not hold the server's shutdown. */
  readonly closing: AbortSignal = this.closingController.signal;

  /**
   * @param endpointClient how jobs reach their endpoints (TLS, token): the server's own configuration, kept in
   * memory, never in a job's spec or job.json
   */
  constructor(
    readonly evalDir: string,
    private readonly log: Logger,
    private readonly endpointClient: LuabClientOptions = {},
  ) {
    mkdirSync(evalDir, { recursive: true });
  }

  /** Loads every job folder; jobs that were running when the server stopped are started again (resumed). */
  async restore(): Promise<void> {
    for (const name of readdirSync(this.evalDir).sort()) {
      const outDir = join(this.evalDir, name);
      let state: JobStateFile | undefined;
      try {
        state = readJobState(outDir);
      } catch (error) {
        this.log.warn({ outDir, err: error }, 'skipping a job folder with a bad job.json');
        continue;
      }
      if (!state) continue;
      const job = fromState({ ...state, id: name }, outDir);
      this.jobs.set(job.id, job);
      if (!isFinal(job.state)) {
        this.log.info({ job: job.id }, 'resuming a job interrupted by a server stop');
        const endpoints = job.spec.endpointsFromServer ? this.defaultEndpoints : job.spec.endpoints;
        this.launch(job, { ...job.spec, endpoints, resume: true }).catch((error: Error) => this.fail(job, error));
      }
    }
  }

  /** Validates and starts a job; resolves once it is running (a bad spec rejects with a JobError). */
  async start(submitted: SubmittedSpec): Promise<ManagedJob> {
    const name = submitted.outDir || newJobId();
    if (isAbsolute(name) || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
      throw new JobError(`out_dir: must be one folder name under the server's --eval-dir, got "${name}"`, true);
    }
    const existing = this.jobs.get(name);
    if (existing && this.running.has(name)) throw new JobError(`out_dir: job "${name}" is running`);
    if (existing && !submitted.resume) {
      throw new JobError(`out_dir: job "${name}" exists (state ${existing.state}); set resume to continue it`);
    }
    const fromServer = submitted.endpoints.length === 0;
    const spec: EvalJobSpec = {
      ...submitted,
      endpoints: fromServer ? this.defaultEndpoints : submitted.endpoints,
      ...(fromServer ? { endpointsFromServer: true } : {}),
      outDir: resolve(this.evalDir, name),
    };
    const job: ManagedJob = {
      id: name,
      outDir: spec.outDir,
      spec,
      state: 'queued',
      suites: [],
      missingSuites: [],
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    await this.launch(job, spec);
    return job;
  }

  /** Prepares (every check before the first image) then runs in the background. */
  private async launch(job: ManagedJob, spec: EvalJobSpec): Promise<void> {
    const prepared = await prepareJob(spec, { id: job.id, client: this.endpointClient });
    Object.assign(job, {
      state: 'running' as const,
      error: undefined,
      finishedAt: undefined,
      model: { name: prepared.model.labels.name, version: prepared.model.labels.version },
      suites: prepared.suites.map((s) => ({ name: s.name, root: s.root })),
      missingSuites: prepared.missing.map((m) => m.name),
      startedAt: prepared.previous?.startedAt ?? new Date().toISOString(),
    });
    this.jobs.set(job.id, job);
    const controller = new AbortController();
    const done = runJob(prepared, {
      signal: controller.signal,
      onProgress: (progress) => {
        job.progress = progress;
        this.emit(job);
      },
      onRetry: (error) => this.log.warn({ job: job.id, err: error.message }, 'retrying a request'),
    }).then(
      () => {
        job.state = 'succeeded';
        job.finishedAt = new Date().toISOString();
        this.log.info({ job: job.id }, 'job succeeded');
      },
      (error: Error) => {
        if (controller.signal.reason === INTERRUPT) return;
        if (controller.signal.aborted) job.state = 'cancelled';
        else this.fail(job, error);
        job.finishedAt = new Date().toISOString();
      },
    );
    this.running.set(job.id, {
      controller,
      done: done.finally(() => {
        this.running.delete(job.id);
        this.emit(job);
      }),
    });
    this.emit(job);
  }

  private fail(job: ManagedJob, error: Error): void {
    job.state = 'failed';
    job.error = error.message;
    this.log.error({ job: job.id, err: error.message }, 'job failed');
    this.emit(job);
  }

  get(id: string): ManagedJob {
    const job = this.jobs.get(id);
    if (!job) throw notFound('id', `no job "${id}" (jobs: ${[...this.jobs.keys()].join(', ') || 'none'})`);
    return job;
  }

  list(): ManagedJob[] {
    return [...this.jobs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** Cancels a queued or running job and resolves when it has stopped; a finished job is returned as it is. */
  async cancel(id: string): Promise<ManagedJob> {
    const job = this.get(id);
    const run = this.running.get(id);
    if (run) {
      run.controller.abort();
      await run.done;
    }
    return job;
  }

  async report(id: string): Promise<{ json: string; outDir: string }> {
    const job = this.get(id);
    const path = join(job.outDir, REPORT_FILE);
    if (job.state !== 'succeeded' || !existsSync(path)) {
      throw new JobError(`id: job "${id}" has no report (state ${job.state})`);
    }
    const json = await readFile(path, 'utf8');
    JSON.parse(json) as RunReport; // a torn report is an error here, not a client's surprise
    return { json, outDir: job.outDir };
  }

  /** Calls `listener` on every change of the job until `unsubscribe` is called. */
  subscribe(id: string, listener: Listener): () => void {
    this.get(id);
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  private emit(job: ManagedJob): void {
    for (const listener of this.listeners.get(job.id) ?? []) listener(job);
  }

  /** Stops every running job without cancelling it (they resume at the next start). */
  async close(): Promise<void> {
    this.closingController.abort();
    const runs = [...this.running.values()];
    for (const run of runs) run.controller.abort(INTERRUPT);
    await Promise.all(runs.map((r) => r.done));
  }
}

function fromState(state: JobStateFile, outDir: string): ManagedJob {
  return {
    id: state.id,
    outDir,
    spec: state.spec,
    state: state.state,
    error: state.error,
    model: state.model,
    suites: state.suites ?? [],
    missingSuites: state.missingSuites ?? [],
    createdAt: state.createdAt,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
  };
}

function newJobId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `job-${stamp}-${randomBytes(3).toString('hex')}`;
}
