/**
 * A cross-check with ghz (github.com/bojand/ghz), the usual gRPC load generator, written in Go: an independent
 * client that did not come from this project, and a cheaper one than grpc-js, so it also shows how much of the
 * gRPC path's cost on a 2-core machine is the Node client's. It drives the batching-on server with JPEG inputs,
 * at one concurrency, on one connection as LuabClient does.
 *
 * ghz is not installed by the project (it is a Go tool: `go install github.com/bojand/ghz/cmd/ghz@v0.93.0`);
 * the benchmark runs it only when given its path, and fails loudly if that path does not run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toPredictRequest } from '../../client/luab-client.js';
import { packageRoot } from '../../server/util/package-root.js';
import { PredictRequest } from '../../proto/generated/luab/v1/inference.js';
import { machineBusyMs, ownCpuMs, processCpuMs, reapedChildrenCpuMs } from './cpu-time.js';
import type { BenchImage } from './jpeg-corpus.js';
import type { LatencySummary } from './latency-stats.js';
import type { ServerProcess } from './server-process.js';

const run = promisify(execFile);

export interface GhzResult extends Pick<
  LatencySummary,
  'requests' | 'seconds' | 'throughput' | 'p50Ms' | 'p90Ms' | 'p99Ms'
> {
  image: string;
  concurrency: number;
  /** ghz's own CPU time and the server's, per answered request. */
  clientCpuMsPerRequest: number;
  serverCpuMsPerRequest: number;
  /** Share of the machine other processes took meanwhile (as the table's "others" column). */
  otherCpuShare: number;
}

interface GhzReport {
  count: number;
  total: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution?: Record<string, number> | null;
}

/**
 * ghz runs its call data through Go's text/template, binary files included: a JPEG whose bytes contain "{{" or
 * "}}" makes it fail. The first image free of both is the one sent.
 */
function templateSafeImage(images: BenchImage[]): BenchImage {
  const safe = images.find((i) => !i.bytes.includes('{{') && !i.bytes.includes('}}'));
  if (!safe) {
    throw new Error(
      '--ghz: every benchmark image contains "{{" or "}}", which ghz\'s call-data templating rejects; ' +
        'generate more (--image-count) or pass other JPEGs (--images)',
    );
  }
  return safe;
}

const ns = (value: number) => value / 1e6;

function percentileOf(report: GhzReport, p: number): number {
  const entry = report.latencyDistribution?.find((d) => d.percentage === p);
  if (!entry) throw new Error(`ghz reported no p${p} latency`);
  return ns(entry.latency);
}

export async function runGhz(
  ghz: string,
  server: ServerProcess,
  images: BenchImage[],
  model: string,
  settings: { concurrency: number; warmupS: number; durationS: number },
): Promise<GhzResult> {
  const image = templateSafeImage(images);
  const dir = await mkdtemp(join(tmpdir(), 'luab-bench-ghz-'));
  try {
    const requestFile = join(dir, 'request.bin');
    await writeFile(requestFile, PredictRequest.encode(toPredictRequest({ image: image.bytes, model })).finish());
    const root = packageRoot();
    const args = (seconds: number) => [
      '--insecure',
      '--import-paths',
      join(root, 'proto'),
      '--proto',
      join(root, 'proto', 'luab', 'v1', 'inference.proto'),
      '--call',
      'luab.v1.Inference/Predict',
      '--binary-file',
      requestFile,
      '--concurrency',
      String(settings.concurrency),
      '--duration',
      `${seconds}s`,
      // Calls in flight when the time is up are waited for and counted: the default ('close') cancels them and
      // counts them as errors, 'ignore' cancels them too, and the server would see cancellations.
      '--duration-stop',
      'wait',
      '--format',
      'json',
      server.address,
    ];
    const ghzRun = async (seconds: number) => {
      try {
        return (await run(ghz, args(seconds), { maxBuffer: 64 * 1024 * 1024 })).stdout;
      } catch (error) {
        const e = error as Error & { stderr?: string };
        throw new Error(`--ghz: ${ghz} failed: ${e.stderr?.trim() || e.message}`);
      }
    };
    await ghzRun(settings.warmupS);
    const snapshot = () => ({
      client: reapedChildrenCpuMs(),
      server: processCpuMs(server.pid),
      own: ownCpuMs(),
      machine: machineBusyMs(),
      at: performance.now(),
    });
    const before = snapshot();
    const stdout = await ghzRun(settings.durationS);
    const after = snapshot();
    const [client, serverMs] = [after.client - before.client, after.server - before.server];
    const others = after.machine - before.machine - client - serverMs - (after.own - before.own);
    const report = JSON.parse(stdout) as GhzReport;
    const failed = Object.entries(report.statusCodeDistribution ?? {}).filter(([code]) => code !== 'OK');
    if (failed.length > 0 || report.count === 0) {
      const errors = JSON.stringify(report.errorDistribution ?? {});
      throw new Error(`--ghz: ${report.count} answers, failures ${JSON.stringify(failed)} ${errors}`);
    }
    return {
      image: image.name,
      concurrency: settings.concurrency,
      requests: report.count,
      seconds: ns(report.total) / 1000,
      throughput: report.rps,
      p50Ms: percentileOf(report, 50),
      p90Ms: percentileOf(report, 90),
      p99Ms: percentileOf(report, 99),
      clientCpuMsPerRequest: client / report.count,
      serverCpuMsPerRequest: serverMs / report.count,
      otherCpuShare: others / ((after.at - before.at) * availableParallelism()),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatGhz(
  g: GhzResult,
  viaLuabClient?: { throughput: number; clientCpuMsPerRequest: number },
  inProcessThroughput?: number,
): string {
  const lines = [
    `ghz cross-check (gRPC, JPEG ${g.image}, concurrency ${g.concurrency}, batching on): ${g.throughput.toFixed(1)} ` +
      `req/s, p50 ${g.p50Ms.toFixed(1)} ms, p90 ${g.p90Ms.toFixed(1)} ms, p99 ${g.p99Ms.toFixed(1)} ms; ` +
      `CPU ms/req: ghz ${g.clientCpuMsPerRequest.toFixed(2)} + server ${g.serverCpuMsPerRequest.toFixed(2)}; ` +
      `others ${Math.max(0, Math.round(g.otherCpuShare * 100))}%`,
  ];
  if (viaLuabClient) {
    lines.push(
      `  the same scenario through LuabClient: ${viaLuabClient.throughput.toFixed(1)} req/s, client ` +
        `${viaLuabClient.clientCpuMsPerRequest.toFixed(2)} CPU ms/req (all images in turn, ghz sends one)`,
    );
  }
  if (inProcessThroughput) {
    lines.push(`  ghz / in-process throughput: ${(g.throughput / inProcessThroughput).toFixed(2)}`);
  }
  return lines.join('\n');
}
