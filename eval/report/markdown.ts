/**
 * report.md: the paper's Table 1 layout — one row per model configuration, one column per suite's headline
 * metric with its better direction (↑/↓), the best value of each column in bold, mean ± std where a row has
 * several seeds — then every metric, breakdown, note and failure count per suite, and the runs it was made from.
 */
import { breakdownTables, notesOf, runLabel, runsOfSuite } from './details.js';
import { arrow, columnTitle, formatCell, formatNumber, formatSeeds } from './format.js';
import { formatDifference, formatPerSeed, pairedComparisons } from './paired.js';
import { bestRows, breakdownCellOf, cellOf, columns, suiteNames, type Column, type Row } from './rows.js';

/** Failures listed per suite in the Markdown; the rest are counted (report.json and report.html list all). */
const FAILURES_SHOWN = 10;

const escape = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(header: string[], align: ('left' | 'right')[], body: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'right' ? '---:' : '---'))), ...body.map(line)];
}

/** A metric table: rows = models, columns as given, best in bold. */
function metricTable(rows: Row[], cols: Column[], title: (c: Column) => string): string[] {
  const best = cols.map((c) => bestRows(rows, c));
  const body = rows.map((row, r) => [
    escape(row.label),
    escape(formatSeeds(row.seeds)),
    ...cols.map((c, i) => {
      const text = formatCell(cellOf(row, c));
      return best[i].has(r) ? `**${text}**` : text;
    }),
  ]);
  return table(
    ['model', 'seeds', ...cols.map((c) => escape(title(c)))],
    ['left', 'left', ...cols.map(() => 'right' as const)],
    body,
  );
}

/** LUAB − baseline and LUAB − Rand per seed on the headline metrics (every metric is in report.json). */
function pairedSection(rows: Row[]): string[] {
  const pairs = pairedComparisons(rows);
  if (pairs.length === 0) return [];
  const headline = columns(rows, 'headline');
  const find = (pair: (typeof pairs)[number], c: Column) =>
    pair.differences.find((d) => d.suite === c.suite && d.metric === c.metric);
  const out = [
    '## Paired differences per seed',
    '',
    'a − b between runs with the same seed (same data, sampler order and initialisation stream): mean ± sample std ' +
      "of the per-seed differences, and on how many seeds a is better by the metric's direction.",
    '',
    ...table(
      ['difference', ...headline.map((c) => escape(columnTitle(c)))],
      ['left', ...headline.map(() => 'right' as const)],
      pairs.map((pair) => [escape(pair.name), ...headline.map((c) => escape(formatDifference(find(pair, c))))]),
    ),
    '',
    'Per seed:',
    '',
  ];
  for (const pair of pairs) {
    const cells = headline.flatMap((c) => {
      const d = find(pair, c);
      return d ? [`${c.suite} ${c.metric} (${formatPerSeed(d)})`] : [];
    });
    out.push(`- ${escape(pair.name)}: ${escape(cells.join('; '))}`);
  }
  out.push('');
  return out;
}

/** Renders report.md. */
export function renderMarkdown(title: string, rows: Row[]): string {
  const out: string[] = [`# ${title}`, ''];
  const runCount = rows.reduce((n, r) => n + r.runs.length, 0);
  out.push(
    `${runCount} run${runCount === 1 ? '' : 's'} in ${rows.length} row${rows.length === 1 ? '' : 's'}. ` +
      '↑ higher is better, ↓ lower is better; **bold**: the best row of a column; ' +
      'mean ± std (sample std over seeds) where a row has several seeds.',
    '',
    '## Table 1',
    '',
    ...metricTable(rows, columns(rows, 'headline'), columnTitle),
    '',
  );
  out.push(...pairedSection(rows));
  for (const suite of suiteNames(rows)) {
    const entries = runsOfSuite(rows, suite);
    out.push(`## ${suite}`, '');
    out.push(...metricTable(rows, columns(rows, 'all', suite), (c) => `${c.metric} ${arrow(c.better)}`), '');
    out.push(
      ...table(
        ['run', 'evaluated', 'skipped', 'failed'],
        ['left', 'right', 'right', 'right'],
        entries.map(({ run, metrics: m }) => [
          escape(runLabel(run)),
          String(m.counts.evaluated),
          String(m.counts.skipped),
          String(m.counts.failed),
        ]),
      ),
      '',
    );
    for (const { name, keys } of breakdownTables(entries)) {
      out.push(`**${escape(name)}**`, '');
      const body = keys.map((key) => [
        escape(key),
        ...rows.map((row) => formatCell(breakdownCellOf(row, suite, name, key))),
      ]);
      out.push(
        ...table(
          [escape(name), ...rows.map((r) => escape(r.label))],
          ['left', ...rows.map(() => 'right' as const)],
          body,
        ),
        '',
      );
    }
    const notes = notesOf(entries);
    if (notes.length > 0) {
      out.push('Notes:', '');
      for (const { note, runs } of notes) out.push(`- ${note}${runs.length > 0 ? ` (${runs.join('; ')})` : ''}`);
      out.push('');
    }
    const failures = entries.flatMap(({ run, metrics }) => metrics.failures.map((f) => ({ run, ...f })));
    if (failures.length > 0) {
      out.push(`Failures (${failures.length}):`, '');
      for (const f of failures.slice(0, FAILURES_SHOWN)) {
        out.push(`- \`${f.path}\` ${f.code}: ${f.message.replaceAll('\n', ' ')} (${runLabel(f.run)})`);
      }
      if (failures.length > FAILURES_SHOWN) {
        out.push(`- … ${failures.length - FAILURES_SHOWN} more, listed in report.json and report.html`);
      }
      out.push('');
    }
  }
  out.push('## Runs', '');
  const body = rows.flatMap((row) =>
    row.runs.map((run) => {
      const { job } = run.report;
      const shards = job.mergedFrom
        ? `${job.mergedFrom.length} merged`
        : job.shard
          ? `${job.shard.index}/${job.shard.count}`
          : '—';
      return [
        escape(row.label),
        escape(runLabel(run)),
        escape(job.id),
        shards,
        formatNumber(job.imagesPerSecond),
        escape(job.finishedAt),
        escape(run.dirs.join(', ')),
      ];
    }),
  );
  out.push(
    ...table(
      ['row', 'run', 'job', 'shards', 'images/s', 'finished', 'folder'],
      ['left', 'left', 'left', 'left', 'right', 'left', 'left'],
      body,
    ),
    '',
  );
  return out.join('\n');
}
