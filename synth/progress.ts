/**
 * The progress bar (cli-progress, on stderr). Silent when stderr is not a terminal or --quiet is given, so logs
 * and CI output stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { start: () => {}, update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: 'synth |{bar}| {percentage}% | {value}/{total} images | {eta_formatted} left',
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  return { start: (total) => bar.start(total, 0), update: (done) => bar.update(done), stop: () => bar.stop() };
}
