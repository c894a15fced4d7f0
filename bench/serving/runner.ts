/**
 * Runs the plan: each run is a closed-loop measurement with CPU accounting around its measured window, shown on a
 * progress bar (stderr). A run during which other processes took a real share of the machine is measured again.
 */
import { availableParallelism } from 'node:os';
import { SingleBar } from 'cli-progress';
import { runClosedLoop } from './closed-loop.js';
import { canReadProcessCpu, machineBusyMs, ownCpuMs, processCpuMs } from './cpu-time.js';
import { summarise } from './latency-stats.js';
import type { BenchOptions } from './options.js';
import { callFor, CALL_TIMEOUT_MS, type BenchInputs, type Pipelines } from './pipelines.js';
import { BUSY_MACHINE_SHARE } from './report.js';
import type { RunRecord } from './results.js';
import { scenarioKey, type PlannedRun } from './scenarios.js';

interface CpuSnapshot {
  bench: number;
  /** Each server child's CPU time, by pipeline. */
  servers: Record<string, number>;
  machine: number;
}

type RunSettings = Pick<BenchOptions, 'warmup' | 'duration' | 'maxRequests' | 'busyRetries' | 'quietWait'>;

/** CPU time of the benchmark's own processes (this one and the server children), ms. */
function ourCpuMs(pipelines: Pipelines): number {
  return ownCpuMs() + Object.values(pipelines.servers).reduce((sum, s) => sum + processCpuMs(s.pid), 0);
}

/**
 * Waits, up to `maxWaitS`, until other processes leave the machine alone (their share of all cores under
 * BUSY_MACHINE_SHARE over one second). On a machine shared with other jobs, starting a run in the middle of
 * someone's burst wastes it. Returns the seconds waited.
 */
export async function waitForQuiet(pipelines: Pipelines, maxWaitS: number): Promise<number> {
  const started = performance.now();
  const cores = availableParallelism();
  while ((performance.now() - started) / 1000 < maxWaitS) {
    const [machine, ours, t] = [machineBusyMs(), ourCpuMs(pipelines), performance.now()];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const others = machineBusyMs() - machine - (ourCpuMs(pipelines) - ours);
    if (others / ((performance.now() - t) * cores) <= BUSY_MACHINE_SHARE) break;
  }
  return (performance.now() - started) / 1000;
}

async function measure(
  run: PlannedRun,
  pipelines: Pipelines,
  inputs: BenchInputs,
  settings: RunSettings,
): Promise<RunRecord> {
  const procfs = canReadProcessCpu();
  const servers = Object.entries(pipelines.servers);
  const snapshot = (): CpuSnapshot => ({
    bench: ownCpuMs(),
    servers: procfs ? Object.fromEntries(servers.map(([name, s]) => [name, processCpuMs(s.pid)])) : {},
    machine: procfs ? machineBusyMs() : 0,
  });
  let start: CpuSnapshot | undefined;
  let end: CpuSnapshot | undefined;
  const result = await runClosedLoop(callFor(run, pipelines, inputs), inputs.images.length, {
    concurrency: run.concurrency,
    warmupS: settings.warmup,
    durationS: settings.duration,
    maxRequests: settings.maxRequests,
    stallTimeoutMs: CALL_TIMEOUT_MS,
    onWindowStart: () => (start = snapshot()),
    onWindowEnd: () => (end = snapshot()),
  }).catch((error: Error) => {
    // A server that died explains the failed requests better than the requests do.
    const deaths = servers.map(([, s]) => s.exitReport()).filter(Boolean);
    throw new Error([`${scenarioKey(run)}: ${error.message}`, ...deaths].join('\n'));
  });
  if (!start || !end) throw new Error(`${scenarioKey(run)}: the measured window did not open and close`);
  const [s, e] = [start, end];
  const summary = summarise(result.samples, result.seconds);
  const serverMs = (name: string) => e.servers[name] - s.servers[name];
  const ours = e.bench - s.bench + servers.reduce((sum, [name]) => sum + serverMs(name), 0);
  return {
    ...run,
    summary,
    benchCpuMsPerRequest: (e.bench - s.bench) / summary.requests,
    serverCpuMsPerRequest:
      procfs && run.pipeline !== 'in-process' ? serverMs(run.pipeline) / summary.requests : undefined,
    otherCpuShare: procfs
      ? (e.machine - s.machine - ours) / (result.seconds * 1000 * availableParallelism())
      : undefined,
  };
}

export async function runPlan(
  plan: PlannedRun[],
  pipelines: Pipelines,
  inputs: BenchInputs,
  settings: RunSettings,
): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const runSeconds = settings.warmup + settings.duration;
  const bar = new SingleBar({
    format: 'bench [{bar}] {percentage}% | run {run}/{runs} {scenario} | ~{remaining} s left',
    hideCursor: true,
  });
  bar.start(plan.length * runSeconds, 0, { run: 0, runs: plan.length, scenario: '', remaining: '?' });
  try {
    for (const [index, run] of plan.entries()) {
      for (let attempt = 0; ; attempt++) {
        if (settings.quietWait > 0 && canReadProcessCpu()) {
          bar.update({ scenario: `${scenarioKey(run)} (waiting for other jobs to quieten)` });
          await waitForQuiet(pipelines, settings.quietWait);
        }
        const started = performance.now();
        const progress = () => {
          const done = index * runSeconds + Math.min(runSeconds, (performance.now() - started) / 1000);
          const again = attempt > 0 ? ' (again: machine busy)' : '';
          const remaining = Math.round(plan.length * runSeconds - done);
          bar.update(done, { run: index + 1, scenario: `${scenarioKey(run)}${again}`, remaining });
        };
        const ticker = setInterval(progress, 250);
        let record: RunRecord;
        try {
          record = await measure(run, pipelines, inputs, settings);
        } finally {
          clearInterval(ticker);
        }
        progress();
        // A run during which other jobs took a real share of the CPU measures them as much as LUAB: measure it
        // again, a few times at most; the last attempt is kept and the table's "others" column shows its share.
        if ((record.otherCpuShare ?? 0) <= BUSY_MACHINE_SHARE || attempt >= settings.busyRetries) {
          records.push({ ...record, attempts: attempt + 1 });
          break;
        }
      }
    }
  } finally {
    bar.stop();
  }
  return records;
}
