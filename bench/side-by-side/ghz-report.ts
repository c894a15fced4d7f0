/**
 * ghz (github.com/bojand/ghz, v0.93) as the load generator of the side-by-side benchmark: one closed-loop run at
 * a fixed concurrency for a fixed time, its `--format json` report reduced to what the benchmark reports.
 * ghz is a Go binary built by bench/peers/setup.sh; it computes the percentiles itself, so the benchmark keeps
 * no latency samples of its own for the served systems.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How ghz reaches one system: its gRPC method, where it finds the schema, the request body. */
export interface GhzTarget {
  address: string;
  /** Fully qualified, e.g. "inference.GRPCInferenceService/ModelInfer". */
  call: string;
  /** Either a .proto (with import paths) or a compiled descriptor set (.protoset). */
  schema: { proto: string; importPaths: string[] } | { protoset: string };
  /** The serialized request message, sent as is on every call. */
  binaryFile: string;
}

/** The fields of ghz's JSON report the benchmark reads (durations in nanoseconds). */
interface GhzJson {
  count?: number;
  total?: number;
  rps?: number;
  latencyDistribution?: { percentage: number; latency: number }[] | null;
  statusCodeDistribution?: Record<string, number> | null;
  errorDistribution?: Record<string, number> | null;
}

export interface GhzSummary {
  /** Answered calls (all OK: a failed call fails the run). */
  requests: number;
  seconds: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * ghz's JSON report → the summary; throws when any call failed or none was answered (a benchmark of errors
 * would report the speed of error paths), naming the status codes and errors ghz saw.
 */
export function parseGhzReport(text: string): GhzSummary {
  let report: GhzJson;
  try {
    report = JSON.parse(text) as GhzJson;
  } catch (error) {
    throw new Error(`ghz: output is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`);
  }
  const codes = report.statusCodeDistribution ?? {};
  const failed = Object.entries(codes).filter(([code, n]) => code !== 'OK' && n > 0);
  if (failed.length > 0) {
    const errors = Object.entries(report.errorDistribution ?? {})
      .map(([message, n]) => `${n}x ${message}`)
      .join('; ');
    throw new Error(`ghz: failed calls ${failed.map(([c, n]) => `${c}: ${n}`).join(', ')} (${errors})`);
  }
  const count = report.count ?? 0;
  if (count === 0 || !report.total || !report.rps) throw new Error('ghz: no call was answered');
  const percentileMs = (p: number) => {
    const entry = report.latencyDistribution?.find((d) => d.percentage === p);
    if (!entry) throw new Error(`ghz: the report has no p${p} latency`);
    return entry.latency / 1e6;
  };
  return {
    requests: count,
    seconds: report.total / 1e9,
    throughput: report.rps,
    p50Ms: percentileMs(50),
    p99Ms: percentileMs(99),
  };
}

/** The command line of one ghz run. Exported for the test; `options.requests` makes a count-bound run. */
export function ghzArgs(
  target: GhzTarget,
  options: { concurrency: number; seconds?: number; requests?: number; timeoutS: number },
): string[] {
  const schema =
    'protoset' in target.schema
      ? ['--protoset', target.schema.protoset]
      : [...target.schema.importPaths.flatMap((p) => ['--import-paths', p]), '--proto', target.schema.proto];
  // ghz ignores -n when -z is given: a run is bound either by time or by count, never both.
  const bound =
    options.requests !== undefined
      ? ['--total', String(options.requests)]
      : [
          '--duration',
          `${options.seconds}s`,
          // Calls in flight when the time is up are waited for and counted: 'close' would count them as errors,
          // 'ignore' would drop them while the server still spends CPU on them (the CPU per image would be off).
          '--duration-stop',
          'wait',
        ];
  return [
    '--insecure',
    ...schema,
    '--call',
    target.call,
    '--binary-file',
    target.binaryFile,
    '--concurrency',
    String(options.concurrency),
    ...bound,
    '--timeout',
    `${options.timeoutS}s`,
    '--format',
    'json',
    target.address,
  ];
}

/** One ghz run; rejects with ghz's own message when it cannot run or a call fails. */
export async function runGhz(
  ghz: string,
  target: GhzTarget,
  options: { concurrency: number; seconds?: number; requests?: number; timeoutS: number },
): Promise<GhzSummary> {
  let stdout: string;
  try {
    // ghz exits 0 even when calls fail (parseGhzReport checks); a non-zero exit is a usage or schema error.
    ({ stdout } = await run(ghz, ghzArgs(target, options), { maxBuffer: 256 * 1024 * 1024 }));
  } catch (error) {
    const e = error as Error & { stderr?: string; stdout?: string };
    throw new Error(`ghz (${target.call} at ${target.address}): ${e.stderr?.trim() || e.stdout?.trim() || e.message}`);
  }
  return parseGhzReport(stdout);
}
