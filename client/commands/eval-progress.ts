/** `luab eval`'s terminal output: a progress bar per suite (on a TTY) and the summary of report.json. */
import cliProgress from 'cli-progress';
import type { RunReport } from '../../eval/types.js';

export interface SuiteCounts {
  suite: string;
  done: number;
  total: number;
  failed: number;
  /** Running top-1 accuracy; NaN before the first image. */
  accuracy: number;
}

export class SuiteBars {
  private readonly multi?: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(enabled: boolean) {
    if (!enabled) return;
    this.multi = new cliProgress.MultiBar(
      {
        format: '{suite} [{bar}] {value}/{total} | acc {accuracy} | {failed} failed | {rate} img/s | {left}',
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(suites: SuiteCounts[], imagesPerSecond: number): void {
    if (!this.multi) return;
    const width = Math.max(...suites.map((s) => s.suite.length));
    for (const s of suites) {
      const payload = {
        suite: s.suite.padEnd(width),
        failed: s.failed,
        accuracy: Number.isFinite(s.accuracy) ? s.accuracy.toFixed(3) : '  -  ',
        rate: imagesPerSecond.toFixed(1),
        // At the job's rate: the suites run one after another, each at the rate the endpoints give.
        left:
          s.done >= s.total
            ? 'done'
            : imagesPerSecond > 0
              ? `${Math.ceil((s.total - s.done) / imagesPerSecond)} s left`
              : '',
      };
      let bar = this.bars.get(s.suite);
      if (!bar) this.bars.set(s.suite, (bar = this.multi.create(s.total, s.done, payload)));
      else bar.update(s.done, payload);
    }
  }

  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else console.error(line);
  }

  stop(): void {
    this.multi?.stop();
  }
}

/** A few lines per suite: its headline metrics, counts and the first failures. */
export function formatSummary(report: RunReport, reportPath: string): string {
  const lines: string[] = [];
  for (const suite of report.suites) {
    const metrics = Object.entries(suite.metrics)
      .map(([name, m]) => `${name}=${Number.isInteger(m.value) ? m.value : m.value.toFixed(4)}`)
      .join(' ');
    const { evaluated, skipped, failed } = suite.counts;
    lines.push(`${suite.suite}: ${metrics}  (${evaluated} evaluated, ${skipped} skipped, ${failed} failed)`);
    for (const note of suite.notes) lines.push(`  note: ${note}`);
    for (const f of suite.failures.slice(0, 10)) lines.push(`  failed: ${f.path}: ${f.code} ${f.message}`);
    if (suite.failures.length > 10) lines.push(`  ... and ${suite.failures.length - 10} more failures in the report`);
  }
  lines.push(`report: ${reportPath}`);
  return lines.join('\n');
}
