/** The printed report: the context a number needs (machine, load, model, settings), the table, the targets. */
import type { Aggregate } from './results.js';
import { PIPELINE_TITLES } from './scenarios.js';
import type { TargetOutcome } from './targets.js';

export interface BenchContext {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  /** 1-minute load average before and after: on a shared machine, it says how busy the rest of it was. */
  loadBefore: number;
  loadAfter: number;
  model: string;
  modelInput: string;
  device: string;
  workers: number;
  intraOpThreads: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  preprocessConcurrency: number;
  images: string;
  /** --server-option values, as given. */
  serverOptions: string[];
  warmupS: number;
  durationS: number;
  repeats: number;
}

interface Column {
  title: string;
  width: number;
  cell: (a: Aggregate) => string;
}

const num = (v: number, digits: number) => v.toFixed(digits);

const COLUMNS: Column[] = [
  { title: 'pipeline', width: 15, cell: (a) => a.pipeline },
  { title: 'input', width: 6, cell: (a) => a.input },
  { title: 'c', width: 3, cell: (a) => String(a.concurrency) },
  {
    title: 'req/s',
    width: 20,
    cell: (a) =>
      a.repeats > 1
        ? `${num(a.throughput, 1)} (${num(a.throughputMin, 0)}-${num(a.throughputMax, 0)})`
        : num(a.throughput, 1),
  },
  { title: 'p50 ms', width: 8, cell: (a) => num(a.p50Ms, 2) },
  { title: 'p90 ms', width: 8, cell: (a) => num(a.p90Ms, 2) },
  { title: 'p99 ms', width: 8, cell: (a) => num(a.p99Ms, 2) },
  { title: 'batch', width: 6, cell: (a) => num(a.meanBatchSize, 1) },
  { title: 'pre ms', width: 7, cell: (a) => num(a.meanPreprocessMs, 2) },
  { title: 'queue ms', width: 8, cell: (a) => num(a.meanQueueMs, 2) },
  { title: 'infer ms', width: 8, cell: (a) => num(a.meanInferenceMs, 2) },
  {
    title: 'CPU ms/req',
    width: 12,
    cell: (a) =>
      a.serverCpuMsPerRequest === undefined
        ? num(a.benchCpuMsPerRequest, 2)
        : `${num(a.benchCpuMsPerRequest, 2)}+${num(a.serverCpuMsPerRequest, 2)}`,
  },
  {
    title: 'others',
    width: 6,
    cell: (a) => (a.otherCpuShare === undefined ? 'n/a' : `${Math.max(0, Math.round(a.otherCpuShare * 100))}%`),
  },
];

/** Past this share of the machine taken by other jobs, a run's numbers say more about them than about LUAB. */
export const BUSY_MACHINE_SHARE = 0.1;

export function formatTable(aggregates: Aggregate[]): string {
  const row = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(COLUMNS[i].width) : c.padStart(COLUMNS[i].width))).join('  ');
  const lines = [row(COLUMNS.map((c) => c.title)), row(COLUMNS.map((c) => '-'.repeat(c.width)))];
  for (const a of aggregates) lines.push(row(COLUMNS.map((c) => c.cell(a))));
  return lines.join('\n');
}

export function formatContext(c: BenchContext): string {
  return [
    `LUAB serving benchmark, ${c.date}`,
    `machine: ${c.cores} cores (${c.cpuModel}), ${c.memoryGiB.toFixed(0)} GiB, node ${c.node}; ` +
      `1-min load average ${c.loadBefore.toFixed(2)} before, ${c.loadAfter.toFixed(2)} after`,
    `model: ${c.model} (input ${c.modelInput}) on ${c.device}; ${c.workers} worker(s) x ${c.intraOpThreads} ` +
      `intra-op thread(s); batching: max ${c.maxBatchSize}, delay ${c.maxQueueDelayMs} ms; ` +
      `${c.preprocessConcurrency} images decoded at once` +
      (c.serverOptions.length > 0 ? `; server options: ${c.serverOptions.join(' ')}` : ''),
    `inputs: ${c.images}; warm-up ${c.warmupS} s, measured ${c.durationS} s per run, ${c.repeats} repeat(s)` +
      (c.repeats > 1 ? ' (medians; req/s range in brackets)' : ''),
  ].join('\n');
}

export function formatLegend(): string {
  return [
    ...Object.entries(PIPELINE_TITLES).map(([name, title]) => `${name}: ${title}`),
    'c: concurrent closed-loop clients; latency: send to answer, in the benchmark process',
    'batch, pre, queue, infer: means of the timings the server reports (pre includes waiting for a decode slot)',
    'CPU ms/req: benchmark process [+ server process], all threads; others: CPU share of the machine that other ' +
      'processes took during the run',
  ].join('\n');
}

export function formatNoiseWarning(aggregates: Aggregate[]): string | undefined {
  const busy = aggregates.filter((a) => (a.otherCpuShare ?? 0) > BUSY_MACHINE_SHARE);
  if (busy.length === 0) return undefined;
  return (
    `WARNING: other processes took more than ${BUSY_MACHINE_SHARE * 100}% of the machine during ${busy.length} ` +
    `of ${aggregates.length} runs ("others" column): those numbers and the ratios built on them are not reliable; ` +
    `re-run on a quiet machine`
  );
}

export function formatTargets(outcomes: TargetOutcome[]): string {
  return outcomes
    .map((t) => {
      const verdict = t.pass === undefined ? 'NOT MEASURED' : t.pass ? 'PASS' : 'FAIL';
      const value = t.value === undefined ? '' : `${t.value.toFixed(2)} `;
      return `${verdict.padEnd(12)} ${t.description}: ${value}(target ${t.comparison} ${t.threshold}; ${t.detail})`;
    })
    .join('\n');
}
