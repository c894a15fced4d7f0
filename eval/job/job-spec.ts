/**
 * What an evaluation job is: the model, the endpoints, the suites and their folders, the output folder, and the
 * slice of the work (limit, shard). One spec type for the CLI (`luab eval`) and the gRPC service (JobSpec), checked
 * here in one place so both report a bad field with the same words.
 */

/** A deterministic slice: item i of a suite's (limited) work list belongs to shard i mod count. 0-based index. */
export interface ShardSpec {
  index: number;
  count: number;
}

export interface EvalJobSpec {
  /** Model name; '' for the endpoints' default model. */
  model: string;
  /** Model version; 0: the latest ready one (the resolved version is recorded in job.json and kept on resume). */
  version: number;
  /** Inference endpoints, host:port; calls are spread over them round-robin. */
  endpoints: string[];
  /** ROOT: `luab synth` output or a folder of real datasets under their usual names. */
  dataRoot?: string;
  /** Suite names, or ['all']. */
  suites: string[];
  /** Suite name → its own folder (`--suite-root name=DIR`). */
  suiteRoots: Record<string, string>;
  /** OUT: predictions.jsonl, job.json and report.json go here. */
  outDir: string;
  /** At most this many items of each suite (the first ones, before sharding); undefined or 0: all. */
  limit?: number;
  shard?: ShardSpec;
  /** Requests in flight per endpoint. */
  concurrency: number;
  /** Continue from OUT/predictions.jsonl instead of refusing a non-empty OUT. */
  resume: boolean;
  /** Attempts after the first for a transient error (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED). */
  retries: number;
  /** Deadline of one request. */
  timeoutMs: number;
  /** bg-challenge-adversarial's backgrounds per foreground (`--bgc-max-backgrounds`); undefined: all. Kept so a
   * resume under another cap, which would mix two item sets in one predictions.jsonl, is refused. */
  bgcMaxBackgrounds?: number;
  /**
   * Evaluation server only: the job named no endpoint, so it uses the server's own inference port, looked up
   * again at every start (the port may differ after a restart).
   */
  endpointsFromServer?: boolean;
}

export const JOB_DEFAULTS = {
  endpoint: 'localhost:50051',
  concurrency: 8,
  retries: 8,
  timeoutMs: 60_000,
} as const;

/**
 * An error that stops a job before or while it runs. `usage`: the spec itself is wrong (CLI exit 2, gRPC
 * INVALID_ARGUMENT); otherwise the world is (a missing folder, an unreachable endpoint: exit 1,
 * FAILED_PRECONDITION).
 */
export class JobError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** Parses `i/n` (0 <= i < n); `field` names the flag or field in the error. */
export function parseShard(raw: string, field = '--shard'): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index >= count) {
    throw new JobError(`${field}: expected i/n with 0 <= i < n (e.g. 0/3), got "${raw}"`, true);
  }
  return { index, count };
}

/** Parses `name=DIR` pairs into a record; a repeated name is an error. */
export function parseSuiteRoots(pairs: string[], field = '--suite-root'): Record<string, string> {
  const roots: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new JobError(`${field}: expected name=DIR, got "${pair}"`, true);
    const name = pair.slice(0, at);
    if (name in roots) throw new JobError(`${field}: suite "${name}" given twice`, true);
    roots[name] = pair.slice(at + 1);
  }
  return roots;
}

/** Splits a comma-separated list, dropping blanks. */
export const splitList = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Checks the fields that need no file or network; throws a usage JobError naming the field. */
export function validateSpec(spec: EvalJobSpec): void {
  if (spec.suites.length === 0) throw new JobError('suites: name at least one suite, or "all"', true);
  if (spec.suites.includes('all') && spec.suites.length > 1) {
    throw new JobError(`suites: "all" cannot be combined with other names (${spec.suites.join(',')})`, true);
  }
  if (new Set(spec.suites).size !== spec.suites.length) {
    throw new JobError(`suites: a suite is named twice (${spec.suites.join(',')})`, true);
  }
  if (spec.endpoints.length === 0) throw new JobError('endpoint: give at least one host:port', true);
  for (const endpoint of spec.endpoints) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/,]+):\d{1,5}$/.test(endpoint)) {
      throw new JobError(`endpoint: expected host:port, got "${endpoint}"`, true);
    }
  }
  if (!spec.outDir) throw new JobError('out: the output folder is required', true);
  if (spec.dataRoot === undefined && Object.keys(spec.suiteRoots).length === 0) {
    throw new JobError('data: give the data root (or --suite-root name=DIR for each suite)', true);
  }
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) {
    throw new JobError(`concurrency: expected an integer >= 1, got ${spec.concurrency}`, true);
  }
  if (spec.limit !== undefined && (!Number.isInteger(spec.limit) || spec.limit < 0)) {
    throw new JobError(`limit: expected an integer >= 0, got ${spec.limit}`, true);
  }
  if (spec.shard && !(spec.shard.count >= 1 && spec.shard.index >= 0 && spec.shard.index < spec.shard.count)) {
    throw new JobError(`shard: expected 0 <= index < count, got ${spec.shard.index}/${spec.shard.count}`, true);
  }
}
