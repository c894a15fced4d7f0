/**
 * The regime study's tables (docs/results.md, "Regime study"): per point, mean ± sample std over the seeds of the
 * validation metrics (the trainer's last epoch) and the Backgrounds Challenge (the evaluation engine), and per
 * seed paired differences against the baseline and, at equal lambda, against Rand: runs of one seed share data
 * order and initialisation, so the per-seed difference is what an effect must be measured against.
 */

/** What one point × seed measured; a metric absent (the baseline has no point head) is undefined. */
export interface StudyRunResult {
  point: string;
  seed: number;
  metrics: Record<string, number | undefined>;
  /** Wall-clock seconds of the training stage. */
  trainSeconds: number;
}

export interface StudyMetric {
  key: string;
  title: string;
  better: 'higher' | 'lower';
}

/** The columns: validation (in-distribution) and the background-shift suite the paper's claims are about. */
export const STUDY_METRICS: StudyMetric[] = [
  { key: 'val_top1', title: 'val top-1', better: 'higher' },
  { key: 'val_point_acc', title: 'val point in box', better: 'higher' },
  { key: 'val_point_error', title: 'val point error', better: 'lower' },
  { key: 'bgc_original', title: 'BGC original', better: 'higher' },
  { key: 'bgc_mixed_same', title: 'BGC mixed_same', better: 'higher' },
  { key: 'bgc_mixed_rand', title: 'BGC mixed_rand', better: 'higher' },
  { key: 'bgc_bg_gap', title: 'BG-gap', better: 'lower' },
];

export interface Summary {
  n: number;
  mean: number;
  /** Sample std (n − 1), when n > 1. */
  std?: number;
}

export function summarise(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { n: 1, mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { n: values.length, mean, std: Math.sqrt(variance) };
}

export interface PairedSummary extends Summary {
  /** Seeds on which the first side is better by the metric's direction, and worse. */
  wins: number;
  losses: number;
  perSeed: { seed: number; difference: number }[];
}

/** a − b per seed both have, for one metric. */
export function pairedDifference(
  runs: StudyRunResult[],
  a: string,
  b: string,
  metric: StudyMetric,
): PairedSummary | undefined {
  const perSeed: { seed: number; difference: number }[] = [];
  for (const runA of runs.filter((r) => r.point === a)) {
    const runB = runs.find((r) => r.point === b && r.seed === runA.seed);
    const va = runA.metrics[metric.key];
    const vb = runB?.metrics[metric.key];
    if (va !== undefined && vb !== undefined) perSeed.push({ seed: runA.seed, difference: va - vb });
  }
  perSeed.sort((x, y) => x.seed - y.seed);
  const summary = summarise(perSeed.map((p) => p.difference));
  if (!summary) return undefined;
  const sign = metric.better === 'higher' ? 1 : -1;
  return {
    ...summary,
    perSeed,
    wins: perSeed.filter((p) => sign * p.difference > 0).length,
    losses: perSeed.filter((p) => sign * p.difference < 0).length,
  };
}

const fmt = (value: number) => value.toFixed(3);
const cell = (s: Summary | undefined) =>
  !s ? '—' : s.std === undefined ? fmt(s.mean) : `${fmt(s.mean)} ± ${fmt(s.std)}`;
// The sign of the printed value: a difference that rounds to 0 is +0.000, not −0.000.
const signed = (value: number) => `${Number(value.toFixed(3)) >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;
const pairedCell = (p: PairedSummary | undefined) =>
  !p ? '—' : `${signed(p.mean)}${p.std !== undefined ? ` ± ${p.std.toFixed(3)}` : ''} (${p.wins}/${p.n})`;

export interface StudyPointInfo {
  id: string;
  label: string;
}

/** The comparisons the study reports: every point against the baseline, and the equal-lambda ones against Rand. */
export interface Comparison {
  a: string;
  b: string;
}

export function studyMarkdown(
  points: StudyPointInfo[],
  comparisons: Comparison[],
  runs: StudyRunResult[],
  heading: string,
): string {
  const lines = [heading, ''];
  const head = [
    'point',
    'seeds',
    ...STUDY_METRICS.map((m) => `${m.title} ${m.better === 'higher' ? '↑' : '↓'}`),
    'train min/run',
  ];
  lines.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
  for (const point of points) {
    const mine = runs.filter((r) => r.point === point.id);
    if (mine.length === 0) continue;
    const values = STUDY_METRICS.map((m) =>
      cell(summarise(mine.map((r) => r.metrics[m.key]).filter((v): v is number => v !== undefined))),
    );
    const minutes = summarise(mine.map((r) => r.trainSeconds / 60));
    const seeds = mine
      .map((r) => r.seed)
      .sort((x, y) => x - y)
      .join(', ');
    lines.push(`| ${[point.label, seeds, ...values, minutes ? minutes.mean.toFixed(1) : '—'].join(' | ')} |`);
  }
  const label = (id: string) => points.find((p) => p.id === id)?.label ?? id;
  lines.push(
    '',
    'Paired differences per seed (mean ± sample std of the per-seed differences, and on how many seeds the first is better):',
    '',
  );
  const pairedHead = ['comparison', ...STUDY_METRICS.map((m) => `Δ ${m.title}`)];
  lines.push(`| ${pairedHead.join(' | ')} |`, `| ${pairedHead.map(() => '---').join(' | ')} |`);
  for (const { a, b } of comparisons) {
    const cells = STUDY_METRICS.map((m) => pairedCell(pairedDifference(runs, a, b, m)));
    if (cells.every((c) => c === '—')) continue;
    lines.push(`| ${[`${label(a)} − ${label(b)}`, ...cells].join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
