/**
 * `luab report RUN... --out DIR [--title T]`: renders and compares finished evaluation runs (each RUN a folder
 * `luab eval --out` wrote; the shards of one run are merged) into DIR/report.json, report.md and report.html.
 * Exit code 2 for usage errors, 1 when a run folder cannot be reported on (the message names it).
 */
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import '../../eval/suites/index.js'; // registers every suite: merging shards recomputes their metrics
import { renderRunReports, ReportInputError, type ReportProgress } from '../../eval/report/index.js';
import { parseInteger } from '../cli/options.js';

interface ReportOptions {
  out: string;
  title?: string;
  samples: number;
  quiet?: boolean;
}

/** A bar per phase on stderr, only on a terminal (logs and CI output stay clean). */
function progressBar(enabled: boolean): { update: (event: ReportProgress) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: 'report {phase} |{bar}| {value}/{total} {detail}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let phase: string | undefined;
  return {
    update: (event) => {
      if (event.phase !== phase) {
        if (phase !== undefined) bar.stop();
        phase = event.phase;
        bar.start(event.total, 0, { phase, detail: '' });
      }
      bar.update(event.done, { phase, detail: event.detail ?? '' });
    },
    stop: () => {
      if (phase !== undefined) bar.stop();
    },
  };
}

export function createReportCommand(): Command {
  return new Command('report')
    .description('render and compare finished evaluation runs (shards of one run are merged) as report.json/.md/.html')
    .argument('<run...>', 'run folders written by luab eval --out (several: compared side by side)')
    .addOption(
      new Option('--out <dir>', 'folder to write report.json, report.md and report.html to')
        .env('LUAB_REPORT_OUT')
        .makeOptionMandatory(),
    )
    .addOption(new Option('--title <text>', 'title of the report').env('LUAB_REPORT_TITLE'))
    .addOption(
      new Option('--samples <n>', 'sample images per suite in report.html (0: none)')
        .env('LUAB_REPORT_SAMPLES')
        .argParser(parseInteger(0, 64))
        .default(8),
    )
    .option('--quiet', 'no progress bar')
    .action(async (runs: string[], options: ReportOptions) => {
      const progress = progressBar(!options.quiet);
      try {
        const result = await renderRunReports(runs, options.out, {
          title: options.title,
          samplesPerSuite: options.samples,
          onProgress: progress.update,
        });
        progress.stop();
        console.log(`${result.runs} run(s) in ${result.rows} row(s); wrote ${result.files.join(', ')}`);
      } catch (error) {
        progress.stop();
        const message = error instanceof ReportInputError ? error.message : String((error as Error)?.stack ?? error);
        console.error(`luab report: ${message}`);
        process.exitCode = 1;
      }
    });
}
