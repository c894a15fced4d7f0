/**
 * `luab eval`: evaluates a model on robustness suites. By default the job runs in this process against the
 * inference endpoint(s); with --server it is submitted to an evaluation server (`luab serve --eval-dir`, `luab
 * eval-server`) and watched. Every check (suite folders, endpoints, model, label spaces) happens before the first
 * image; exit 2 for a usage error, 1 for a failure, each message naming the folder or field.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { LuabError, type LuabClientOptions } from '../luab-client.js';
import {
  clientSecurity,
  parseInteger,
  parsePositiveNumber,
  withSecurityOptions,
  type SecurityFlags,
} from '../cli/options.js';
import {
  JOB_DEFAULTS,
  JobError,
  parseShard,
  parseSuiteRoots,
  splitList,
  validateSpec,
  type EvalJobSpec,
} from '../../eval/job/job-spec.js';
import { prepareJob } from '../../eval/job/prepare.js';
import { runningAccuracy } from '../../eval/job/progress.js';
import { JobCancelledError, runJob } from '../../eval/job/runner.js';
import { loadSuiteModules, SUITE_MODULES_ENV } from '../../eval/job/suite-modules.js';
import { EvaluationClient } from '../../eval/service/evaluation-client.js';
import { JobState, type JobSpec } from '../../proto/generated/luab/v1/evaluation.js';
import type { RunReport } from '../../eval/types.js';
import { setBgcBackgroundCap } from '../../eval/suites/bg-challenge-adversarial.js';
import { formatSummary, SuiteBars } from './eval-progress.js';

interface EvalOptions extends SecurityFlags {
  model: string;
  modelVersion: number;
  data?: string;
  suites: string;
  out: string;
  endpoint: string;
  resume?: boolean;
  limit?: number;
  shard?: string;
  suiteRoot: string[];
  server?: string;
  concurrency: number;
  retries: number;
  timeout: number;
  suiteModule: string[];
  quiet?: boolean;
  bgcMaxBackgrounds?: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...splitList(value)];

function fail(error: unknown): never {
  const usage = (error instanceof JobError && error.usage) || error instanceof InvalidArgumentError;
  const message = error instanceof LuabError ? error.message : (error as Error).message;
  console.error(`luab eval: ${message}`);
  process.exit(usage ? 2 : 1);
}

function toSpec(options: EvalOptions): EvalJobSpec {
  const spec: EvalJobSpec = {
    model: options.model,
    version: options.modelVersion,
    endpoints: splitList(options.endpoint),
    dataRoot: options.data,
    suites: splitList(options.suites),
    suiteRoots: parseSuiteRoots(options.suiteRoot),
    outDir: options.out,
    limit: options.limit,
    shard: options.shard === undefined ? undefined : parseShard(options.shard),
    concurrency: options.concurrency,
    resume: options.resume ?? false,
    retries: options.retries,
    timeoutMs: options.timeout * 1000,
    bgcMaxBackgrounds: options.server ? undefined : options.bgcMaxBackgrounds,
  };
  validateSpec(spec);
  return spec;
}

async function runLocally(spec: EvalJobSpec, options: EvalOptions, security: LuabClientOptions): Promise<void> {
  await loadSuiteModules(options.suiteModule);
  const job = await prepareJob(spec, { client: security });
  for (const m of job.missing) console.error(`luab eval: not found: ${m.name} (tried ${m.tried.join(', ') || '-'})`);
  const bars = new SuiteBars(!options.quiet && process.stderr.isTTY === true);
  const controller = new AbortController();
  // Ctrl-C stops cleanly: the lines written stay, and --resume continues.
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  try {
    const result = await runJob(job, {
      signal: controller.signal,
      onProgress: (p) =>
        bars.update(
          p.suites.map((s) => ({ ...s, accuracy: runningAccuracy(s) })),
          p.imagesPerSecond,
        ),
      onRetry: (error) => bars.log(`luab eval: retrying: ${error.message}`),
    });
    bars.stop();
    console.log(formatSummary(result.report, result.reportPath));
  } catch (error) {
    bars.stop();
    if (error instanceof JobCancelledError) {
      console.error(`luab eval: interrupted; what was evaluated is in ${spec.outDir} (continue with --resume)`);
      process.exit(130);
    }
    throw error;
  }
}

async function runOnServer(
  spec: EvalJobSpec,
  server: string,
  options: EvalOptions,
  security: LuabClientOptions,
): Promise<void> {
  const client = new EvaluationClient(server, security);
  try {
    try {
      await client.waitForReady(5000);
    } catch (error) {
      throw new JobError(`server ${server}: unreachable (${(error as Error).message})`);
    }
    const request: JobSpec = {
      model: spec.model,
      version: spec.version,
      // The endpoint default is this CLI's; a server-side job given none evaluates against the server itself.
      endpoints: options.endpoint === JOB_DEFAULTS.endpoint ? [] : spec.endpoints,
      dataRoot: spec.dataRoot ?? '',
      suites: spec.suites,
      suiteRoots: Object.entries(spec.suiteRoots).map(([suite, root]) => ({ suite, root })),
      outDir: spec.outDir,
      limit: spec.limit ?? 0,
      shard: spec.shard,
      concurrency: spec.concurrency,
      resume: spec.resume,
    };
    let job;
    try {
      job = await client.startJob(request);
    } catch (error) {
      if (error instanceof LuabError && error.codeName === 'INVALID_ARGUMENT') throw new JobError(error.details, true);
      throw error;
    }
    for (const name of job.missingSuites) console.error(`luab eval: not found: ${name}`);
    console.error(`luab eval: job ${job.id} started on ${server}`);
    const bars = new SuiteBars(!options.quiet && process.stderr.isTTY === true);
    let last;
    for await (const progress of client.watchJob(job.id)) {
      last = progress;
      bars.update(
        progress.suites.map((s) => ({
          suite: s.suite,
          done: s.done,
          total: s.total,
          failed: s.failed,
          accuracy: s.metrics.find((m) => m.name === 'accuracy')?.value ?? NaN,
        })),
        progress.imagesPerSecond,
      );
    }
    bars.stop();
    if (last?.state !== JobState.JOB_STATE_SUCCEEDED) {
      throw new JobError(`job ${job.id}: ${JobState[last?.state ?? 0]} ${last?.error ?? ''}`.trim());
    }
    const report = await client.getReport(job.id);
    console.log(
      formatSummary(JSON.parse(report.reportJson) as RunReport, `${report.outDir}/report.json (on the server)`),
    );
  } finally {
    client.close();
  }
}

export function createEvalCommand(): Command {
  const command = new Command('eval')
    .description('evaluate a model on robustness suites through inference endpoints (durable, resumable)')
    .addOption(new Option('--model <name>', 'model name').env('LUAB_EVAL_MODEL').default('', "the endpoint's default"))
    .addOption(
      new Option('--model-version <n>', 'model version')
        .env('LUAB_EVAL_MODEL_VERSION')
        .argParser(parseInteger(0))
        .default(0, 'the latest'),
    )
    .addOption(
      new Option('--data <root>', 'folder of the suites: `luab synth` output, or real datasets under their names').env(
        'LUAB_EVAL_DATA',
      ),
    )
    .addOption(
      new Option('--suites <list>', 'comma-separated suite names, or "all" (what is found; the rest is listed)')
        .env('LUAB_EVAL_SUITES')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--out <dir>', 'output folder: predictions.jsonl, job.json, report.json (with --server: a name)')
        .env('LUAB_EVAL_OUT')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--endpoint <host:port,...>', 'inference endpoint(s); several share the work round-robin')
        .env('LUAB_EVAL_ENDPOINT')
        .default(JOB_DEFAULTS.endpoint),
    )
    .addOption(
      new Option('--resume', 'continue the job in --out (no image is evaluated twice)').env('LUAB_EVAL_RESUME'),
    )
    .addOption(
      new Option('--limit <n>', 'at most n images of each suite (the first ones)')
        .env('LUAB_EVAL_LIMIT')
        .argParser(parseInteger(1)),
    )
    .addOption(
      new Option('--shard <i/n>', 'evaluate slice i of n (0-based; item k of a suite goes to shard k mod n)').env(
        'LUAB_EVAL_SHARD',
      ),
    )
    .addOption(
      new Option('--suite-root <name=dir>', "a suite's own folder (repeatable; env: comma-separated)")
        .env('LUAB_EVAL_SUITE_ROOTS')
        .argParser(collect)
        .default([]),
    )
    .addOption(
      new Option('--server <host:port>', 'submit the job to an evaluation server and watch it').env('LUAB_EVAL_SERVER'),
    )
    .addOption(
      new Option('--concurrency <n>', 'requests in flight per endpoint')
        .env('LUAB_EVAL_CONCURRENCY')
        .argParser(parseInteger(1, 1024))
        .default(JOB_DEFAULTS.concurrency),
    )
    .addOption(
      new Option('--retries <n>', 'retries of a request that failed UNAVAILABLE/DEADLINE_EXCEEDED (backoff)')
        .env('LUAB_EVAL_RETRIES')
        .argParser(parseInteger(0, 100))
        .default(JOB_DEFAULTS.retries),
    )
    .addOption(
      new Option('--timeout <seconds>', 'deadline of one request')
        .env('LUAB_EVAL_TIMEOUT')
        .argParser(parsePositiveNumber)
        .default(JOB_DEFAULTS.timeoutMs / 1000),
    )
    .addOption(
      new Option('--suite-module <file>', 'a JS module that registers extra suites (repeatable; env: comma-separated)')
        .env(SUITE_MODULES_ENV)
        .argParser(collect)
        .default([]),
    )
    .addOption(new Option('--quiet', 'no progress bars').env('LUAB_EVAL_QUIET'))
    .addOption(
      new Option(
        '--bgc-max-backgrounds <n>',
        'bg-challenge-adversarial: backgrounds per foreground, a deterministic subset noted in the report (default: all, the official protocol)',
      )
        .env('LUAB_BGC_MAX_BACKGROUNDS')
        .argParser(parseInteger(1)),
    )
    .addHelpText(
      'after',
      '\nWrites DIR/predictions.jsonl (one line per image, flushed as it arrives), DIR/job.json and, at the end,\n' +
        'DIR/report.json, report.md and report.html. Exit codes: 0 done, 1 failed (the message names the folder\n' +
        'or field), 2 usage error, 130 interrupted (continue with --resume). See docs/evaluation.md.\n' +
        'The TLS and token options apply to the inference endpoints, or with --server to the evaluation server.',
    );
  // A secured server (`luab serve --tls-cert/--auth-token-file`): the same flags as `luab predict`.
  return withSecurityOptions(command).action(async (options: EvalOptions) => {
    try {
      const spec = toSpec(options);
      const security = clientSecurity(options);
      // With --server the server's own LUAB_BGC_MAX_BACKGROUNDS applies: the job spec does not carry the cap.
      if (options.bgcMaxBackgrounds !== undefined && !options.server) setBgcBackgroundCap(options.bgcMaxBackgrounds);
      if (options.server) await runOnServer(spec, options.server, options, security);
      else await runLocally(spec, options, security);
    } catch (error) {
      fail(error);
    }
  });
}
