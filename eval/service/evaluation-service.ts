/**
 * gRPC handlers of luab.v1.Evaluation over the {@link JobManager}. Spec errors become INVALID_ARGUMENT, a world
 * that does not fit the spec (missing folder, unreachable endpoint, unmatched labels) FAILED_PRECONDITION, both
 * with the job engine's message naming the field or folder; anything else goes through server/errors.ts.
 */
import { status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toStatus } from '../../server/errors.js';
import {
  JobState,
  type EvaluationServer,
  type Job,
  type JobProgress,
  type JobSpec,
  type WatchJobRequest,
} from '../../proto/generated/luab/v1/evaluation.js';
import { JobError, JOB_DEFAULTS, type EvalJobSpec } from '../job/job-spec.js';
import { runningAccuracy, runningPointMetrics, type ProgressSnapshot } from '../job/progress.js';
import type { JobStateName } from '../job/job-state.js';
import { isFinal, type JobManager, type ManagedJob, type SubmittedSpec } from './job-manager.js';

/** WatchJob sends at most this often while images stream in (the final state is always sent). */
const WATCH_INTERVAL_MS = 250;

const STATES: Record<JobStateName, JobState> = {
  queued: JobState.JOB_STATE_QUEUED,
  running: JobState.JOB_STATE_RUNNING,
  succeeded: JobState.JOB_STATE_SUCCEEDED,
  failed: JobState.JOB_STATE_FAILED,
  cancelled: JobState.JOB_STATE_CANCELLED,
};

function toStatusOf(error: unknown, log: Logger) {
  if (error instanceof JobError) {
    return { code: error.usage ? status.INVALID_ARGUMENT : status.FAILED_PRECONDITION, details: error.message };
  }
  return toStatus(error, log);
}

export function fromJobSpec(spec: JobSpec): SubmittedSpec {
  const suiteRoots: Record<string, string> = {};
  for (const r of spec.suiteRoots) {
    if (r.suite in suiteRoots) throw new JobError(`suite_roots: suite "${r.suite}" given twice`, true);
    suiteRoots[r.suite] = r.root;
  }
  return {
    model: spec.model,
    version: spec.version,
    endpoints: spec.endpoints,
    dataRoot: spec.dataRoot || undefined,
    suites: spec.suites,
    suiteRoots,
    outDir: spec.outDir,
    limit: spec.limit || undefined,
    shard: spec.shard && spec.shard.count > 0 ? { index: spec.shard.index, count: spec.shard.count } : undefined,
    concurrency: spec.concurrency || JOB_DEFAULTS.concurrency,
    resume: spec.resume,
    retries: JOB_DEFAULTS.retries,
    timeoutMs: JOB_DEFAULTS.timeoutMs,
  };
}

export function toJobSpec(spec: EvalJobSpec, outDirName: string): JobSpec {
  return {
    model: spec.model,
    version: spec.version,
    endpoints: spec.endpointsFromServer ? [] : spec.endpoints,
    dataRoot: spec.dataRoot ?? '',
    suites: spec.suites,
    suiteRoots: Object.entries(spec.suiteRoots).map(([suite, root]) => ({ suite, root })),
    outDir: outDirName,
    limit: spec.limit ?? 0,
    shard: spec.shard,
    concurrency: spec.concurrency,
    resume: spec.resume,
  };
}

export function toJobProgress(job: ManagedJob): JobProgress {
  const p: ProgressSnapshot = job.progress ?? { suites: [], done: 0, total: 0, imagesPerSecond: 0, etaSeconds: 0 };
  return {
    jobId: job.id,
    state: STATES[job.state],
    suites: p.suites.map((s) => {
      const accuracy = runningAccuracy(s);
      return {
        suite: s.suite,
        done: s.done,
        total: s.total,
        failed: s.failed,
        metrics: [
          ...(Number.isFinite(accuracy) ? [{ name: 'accuracy', value: accuracy }] : []),
          ...runningPointMetrics(s),
        ],
      };
    }),
    done: p.done,
    total: p.total,
    imagesPerSecond: p.imagesPerSecond,
    etaSeconds: isFinal(job.state) ? 0 : p.etaSeconds,
    error: job.error ?? '',
  };
}

export function toJob(job: ManagedJob): Job {
  return {
    id: job.id,
    spec: toJobSpec(job.spec, job.id),
    state: STATES[job.state],
    error: job.error ?? '',
    model: job.model?.name ?? '',
    version: job.model?.version ?? 0,
    suites: job.suites,
    missingSuites: job.missingSuites,
    createdAt: job.createdAt,
    startedAt: job.startedAt ?? '',
    finishedAt: job.finishedAt ?? '',
    progress: toJobProgress(job),
  };
}

export function createEvaluationService(manager: JobManager, log: Logger): EvaluationServer {
  const unary =
    <Req, Res>(handler: (request: Req) => Promise<Res> | Res) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      Promise.resolve()
        .then(() => handler(call.request))
        .then(
          (response) => callback(null, response),
          (error) => callback(toStatusOf(error, log)),
        );
    };

  return {
    startJob: unary(async (spec: JobSpec) => toJob(await manager.start(fromJobSpec(spec)))),
    getJob: unary(({ id }: { id: string }) => toJob(manager.get(id))),
    listJobs: unary(() => ({ jobs: manager.list().map(toJob) })),
    cancelJob: unary(async ({ id }: { id: string }) => toJob(await manager.cancel(id))),
    getReport: unary(async ({ id }: { id: string }) => {
      const { json, outDir } = await manager.report(id);
      return { jobId: id, reportJson: json, outDir };
    }),

    watchJob(call: ServerWritableStream<WatchJobRequest, JobProgress>) {
      let job: ManagedJob;
      try {
        job = manager.get(call.request.id);
      } catch (error) {
        call.emit('error', toStatusOf(error, log));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      let lastSent = 0;
      const send = () => {
        timer = undefined;
        lastSent = Date.now();
        call.write(toJobProgress(job));
        if (isFinal(job.state) && !manager.isRunning(job.id)) finish();
      };
      const onChange = (changed: ManagedJob) => {
        job = changed;
        const final = isFinal(changed.state) && !manager.isRunning(changed.id);
        if (final) {
          if (timer) clearTimeout(timer);
          return send();
        }
        // Coalesce: one message per interval however many images finished in it.
        if (!timer) timer = setTimeout(send, Math.max(0, WATCH_INTERVAL_MS - (Date.now() - lastSent)));
      };
      const unsubscribe = manager.subscribe(job.id, onChange);
      const stopWatching = () => {
        unsubscribe();
        if (timer) clearTimeout(timer);
        manager.closing.removeEventListener('abort', onClosing);
      };
      const finish = () => {
        stopWatching();
        call.end();
      };
      // The server is stopping: the job is interrupted (it resumes at the next start), so this watch ends here
      // instead of holding the server's shutdown for the whole grace period.
      const onClosing = () => {
        stopWatching();
        call.emit('error', {
          code: status.UNAVAILABLE,
          details: `the evaluation server is shutting down; job ${job.id} resumes when it starts again`,
        });
      };
      manager.closing.addEventListener('abort', onClosing, { once: true });
      call.on('cancelled', stopWatching);
      send();
    },
  };
}
