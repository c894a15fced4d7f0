/**
 * Progress of a job: images done/total and failed per suite, running accuracy and point metrics (where the suite
 * knows where the object is), rate and time left.
 */
import { POINT_METRICS } from '../metrics/points.js';
import type { PredictionLine } from '../types.js';

export interface SuiteProgress {
  suite: string;
  done: number;
  total: number;
  failed: number;
  /** Top-1 correct among the images done without error. */
  correct: number;
  /**
   * Running sums of the point metrics (point_in_box, centre_in_box, point_in_mask, ..., point_distance) over the
   * scored images that have each, as the report's aggregate computes them; absent for a suite without locations.
   */
  points?: Record<string, { sum: number; count: number }>;
}

export interface ProgressSnapshot {
  suites: SuiteProgress[];
  done: number;
  total: number;
  /** Over this run of the job (a resumed job's earlier images do not count). */
  imagesPerSecond: number;
  /** At that rate; 0 when unknown. */
  etaSeconds: number;
}

export class ProgressTracker {
  private readonly suites = new Map<string, SuiteProgress>();
  private sessionImages = 0;
  private readonly startedAt = performance.now();

  constructor(suites: { name: string; total: number }[]) {
    for (const s of suites) this.suites.set(s.name, { suite: s.name, done: 0, total: s.total, failed: 0, correct: 0 });
  }

  /** Counts a line; `fresh`: evaluated in this run (for the rate), not read back from an earlier one. */
  record(line: PredictionLine, fresh: boolean): void {
    const suite = this.suites.get(line.suite);
    if (!suite) return;
    suite.done += 1;
    if (line.error) suite.failed += 1;
    else if (line.score.correct) suite.correct += 1;
    const point = line.error || line.score.skipped ? undefined : line.score.point;
    if (point) {
      for (const [field, name] of POINT_METRICS) {
        const v = point[field];
        if (v === undefined || typeof v === 'object') continue;
        suite.points ??= {};
        const rate = (suite.points[name] ??= { sum: 0, count: 0 });
        rate.sum += typeof v === 'boolean' ? (v ? 1 : 0) : v;
        rate.count += 1;
      }
    }
    if (fresh) this.sessionImages += 1;
  }

  snapshot(): ProgressSnapshot {
    const suites = [...this.suites.values()].map((s) => ({
      ...s,
      ...(s.points ? { points: Object.fromEntries(Object.entries(s.points).map(([k, r]) => [k, { ...r }])) } : {}),
    }));
    const done = suites.reduce((n, s) => n + s.done, 0);
    const total = suites.reduce((n, s) => n + s.total, 0);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const imagesPerSecond = seconds > 0 ? this.sessionImages / seconds : 0;
    const etaSeconds = imagesPerSecond > 0 ? Math.max(0, total - done) / imagesPerSecond : 0;
    return { suites, done, total, imagesPerSecond, etaSeconds };
  }
}

/** Running top-1 accuracy of a suite's progress (NaN before its first successful image). */
export const runningAccuracy = (s: SuiteProgress): number => s.correct / (s.done - s.failed);

/** The running point metrics of a suite's progress (mean per metric), in the report's order; empty without any. */
export const runningPointMetrics = (s: SuiteProgress): { name: string; value: number }[] =>
  POINT_METRICS.flatMap(([, name]) => {
    const rate = s.points?.[name];
    return rate && rate.count > 0 ? [{ name, value: rate.sum / rate.count }] : [];
  });
