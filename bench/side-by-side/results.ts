/**
 * The side-by-side benchmark's numbers: one measured cell per (repeat, model, system, concurrency), their medians
 * over the repeats, the ratios of this server to each other system within the same repeat (the machine is
 * shared and noisy: a ratio of two runs minutes apart would mostly measure the noise), the targets
 * (#11) as PASS/FAIL, and the Markdown table docs/benchmarks.md shows. Pure functions: tested in
 * test/side-by-side.test.ts.
 */
import { median } from '../serving/latency-stats.js';

/** The systems, in the order the table shows them; `luab` is `luab serve` with its defaults. */
export const SYSTEMS = ['luab', 'in-process', 'grpcio', 'kserve', 'torchserve'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const SYSTEM_LABELS: Record<SystemName, string> = {
  luab: 'this server (defaults)',
  'in-process': 'in-process sharp + ORT-node (limit)',
  grpcio: 'minimal grpcio + Pillow + ORT',
  kserve: 'KServe (Python)',
  torchserve: 'TorchServe',
};

/** The two models (written by bench/make_standin_model.py --side-by-side under these names). */
export const MODELS = [
  { name: 'small-cnn-96', label: 'small CNN 96 px' },
  { name: 'resnet18-224', label: 'ResNet-18 224 px' },
] as const;
export type ModelName = (typeof MODELS)[number]['name'];

export interface Cell {
  repeat: number;
  model: string;
  system: SystemName;
  concurrency: number;
  requests: number;
  seconds: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the serving process tree (for in-process: the benchmark's own process) per answered image. */
  serverCpuMsPerImage: number;
  /** The load generator's CPU per image (ghz; 0 for in-process, whose client is in the same process). */
  clientCpuMsPerImage: number;
  /** Share of the machine's CPU that other processes used during the cell (a noise indicator). */
  otherCpuShare: number;
}

export interface Summary {
  model: string;
  system: SystemName;
  concurrency: number;
  repeats: number;
  throughput: number;
  throughputMin: number;
  throughputMax: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMsPerImage: number;
}

/** Systems in the order repeat `r` runs them: the list rotated by r, so none is always first or last. */
export function rotated<T>(list: readonly T[], r: number): T[] {
  const k = r % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

const key = (model: string, system: string, concurrency: number) => `${model}|${system}|${concurrency}`;

/** Medians over the repeats, per (model, system, concurrency). */
export function summarise(cells: readonly Cell[]): Summary[] {
  const groups = new Map<string, Cell[]>();
  for (const c of cells)
    groups.set(key(c.model, c.system, c.concurrency), [
      ...(groups.get(key(c.model, c.system, c.concurrency)) ?? []),
      c,
    ]);
  return [...groups.values()].map((g) => ({
    model: g[0].model,
    system: g[0].system,
    concurrency: g[0].concurrency,
    repeats: g.length,
    throughput: median(g.map((c) => c.throughput)),
    throughputMin: Math.min(...g.map((c) => c.throughput)),
    throughputMax: Math.max(...g.map((c) => c.throughput)),
    p50Ms: median(g.map((c) => c.p50Ms)),
    p99Ms: median(g.map((c) => c.p99Ms)),
    serverCpuMsPerImage: median(g.map((c) => c.serverCpuMsPerImage)),
  }));
}

type Metric = 'throughput' | 'p50Ms' | 'p99Ms';

/**
 * The median over repeats of a.metric / b.metric, each ratio taken within one repeat; undefined when no repeat
 * measured both sides.
 */
export function pairedRatio(
  cells: readonly Cell[],
  model: string,
  concurrency: number,
  a: { system: SystemName; metric: Metric },
  b: { system: SystemName; metric: Metric },
): number | undefined {
  const find = (repeat: number, system: SystemName) =>
    cells.find((c) => c.repeat === repeat && c.model === model && c.system === system && c.concurrency === concurrency);
  const ratios: number[] = [];
  for (const repeat of new Set(cells.map((c) => c.repeat))) {
    const [x, y] = [find(repeat, a.system), find(repeat, b.system)];
    if (x && y) ratios.push(x[a.metric] / y[b.metric]);
  }
  return ratios.length > 0 ? median(ratios) : undefined;
}

export interface TargetOutcome {
  /** What is compared, in words. */
  name: string;
  value: number | undefined;
  op: '>=' | '<=';
  bound: number;
  /** undefined when a side was not measured (e.g. --systems left it out). */
  pass: boolean | undefined;
}

/**
 * Issue #11's targets, each a ratio within one run. `inProcessBefore` is the in-process limit's images/s on the
 * small model at c=64 before the issue (about 380 at batch 8): the issue asks for at least twice that.
 */
export function evaluateTargets(cells: readonly Cell[], inProcessBefore = 380): TargetOutcome[] {
  const [small, resnet] = [MODELS[0].name, MODELS[1].name];
  const outcomes: TargetOutcome[] = [];
  const add = (name: string, value: number | undefined, op: '>=' | '<=', bound: number) =>
    outcomes.push({
      name,
      value,
      op,
      bound,
      pass: value === undefined ? undefined : op === '>=' ? value >= bound : value <= bound,
    });
  const tput = (system: SystemName) => ({ system, metric: 'throughput' as const });
  add(
    'small c=64: images/s, this server / grpcio',
    pairedRatio(cells, small, 64, tput('luab'), tput('grpcio')),
    '>=',
    1.5,
  );
  add(
    'small c=64: images/s, this server / KServe',
    pairedRatio(cells, small, 64, tput('luab'), tput('kserve')),
    '>=',
    2.5,
  );
  add(
    'small c=64: images/s, this server / in-process',
    pairedRatio(cells, small, 64, tput('luab'), tput('in-process')),
    '>=',
    0.95,
  );
  for (const c of [8, 64]) {
    for (const peer of ['grpcio', 'torchserve'] as const) {
      add(
        `ResNet-18 c=${c}: images/s, this server / ${peer}`,
        pairedRatio(cells, resnet, c, tput('luab'), tput(peer)),
        '>=',
        1.1,
      );
    }
  }
  for (const model of [small, resnet]) {
    const p50 = (system: SystemName) => ({ system, metric: 'p50Ms' as const });
    add(`${model} c=1: p50, this server / grpcio`, pairedRatio(cells, model, 1, p50('luab'), p50('grpcio')), '<=', 1);
  }
  for (const model of [small, resnet]) {
    const value = pairedRatio(
      cells,
      model,
      8,
      { system: 'luab', metric: 'p99Ms' },
      { system: 'luab', metric: 'p50Ms' },
    );
    add(`${model} c=8: this server's p99 / its p50`, value, '<=', 3);
  }
  const limit = summarise(cells.filter((c) => c.model === small && c.system === 'in-process' && c.concurrency === 64));
  add(
    `small c=64: in-process images/s / ${inProcessBefore} (the limit before issue #11)`,
    limit[0] && limit[0].throughput / inProcessBefore,
    '>=',
    2,
  );
  return outcomes;
}

const fixed = (v: number, digits: number) => v.toFixed(digits);
/** Three significant figures, at most one decimal for numbers >= 10. */
const short = (v: number) => (v >= 100 ? fixed(v, 0) : v >= 10 ? fixed(v, 1) : fixed(v, 2));

/** One row per (model, concurrency), one column per system: "img/s · p50/p99 ms · CPU ms/img". */
export function markdownTable(summaries: readonly Summary[], systems: readonly SystemName[] = SYSTEMS): string {
  const header = `| model, concurrency | ${systems.map((s) => SYSTEM_LABELS[s]).join(' | ')} |`;
  const rule = `|---|${systems.map(() => '---|').join('')}`;
  const rows: string[] = [];
  for (const model of MODELS) {
    for (const concurrency of [...new Set(summaries.map((s) => s.concurrency))].sort((a, b) => a - b)) {
      const cells = systems.map((system) => {
        const s = summaries.find((x) => x.model === model.name && x.system === system && x.concurrency === concurrency);
        return s
          ? `${short(s.throughput)} · ${short(s.p50Ms)}/${short(s.p99Ms)} · ${fixed(s.serverCpuMsPerImage, 1)}`
          : 'n/a';
      });
      if (cells.every((c) => c === 'n/a')) continue;
      rows.push(`| ${model.label}, c=${concurrency} | ${cells.join(' | ')} |`);
    }
  }
  return [header, rule, ...rows].join('\n');
}

/** This server's throughput over each other system's, per (model, concurrency), paired within repeats. */
export function ratioTable(cells: readonly Cell[], systems: readonly SystemName[] = SYSTEMS): string {
  const others = systems.filter((s) => s !== 'luab');
  const header = `| this server's images/s over | ${others.map((s) => SYSTEM_LABELS[s]).join(' | ')} |`;
  const rule = `|---|${others.map(() => '---|').join('')}`;
  const rows: string[] = [];
  for (const model of MODELS) {
    for (const concurrency of [...new Set(cells.map((c) => c.concurrency))].sort((a, b) => a - b)) {
      const ratios = others.map((system) => {
        const r = pairedRatio(
          cells,
          model.name,
          concurrency,
          { system: 'luab', metric: 'throughput' },
          { system, metric: 'throughput' },
        );
        return r === undefined ? 'n/a' : `${fixed(r, 2)}x`;
      });
      if (ratios.every((r) => r === 'n/a')) continue;
      rows.push(`| ${model.label}, c=${concurrency} | ${ratios.join(' | ')} |`);
    }
  }
  return [header, rule, ...rows].join('\n');
}

export function formatTargets(outcomes: readonly TargetOutcome[]): string {
  return outcomes
    .map((t) => {
      const verdict = t.pass === undefined ? 'n/a ' : t.pass ? 'PASS' : 'FAIL';
      const value = t.value === undefined ? 'not measured' : fixed(t.value, 2);
      return `- ${verdict} ${t.name}: ${value} (target ${t.op} ${t.bound})`;
    })
    .join('\n');
}
