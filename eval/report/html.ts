/**
 * report.html: one self-contained page that works offline (a Content-Security-Policy forbids every network
 * request): Table 1, then per suite a chart per metric (Chart.js, inlined), the metric, count and breakdown
 * tables, notes, failures and the sample grid (thumbnails as data: URIs), then each run's model provenance,
 * job and datasets.
 */
import { CHART_BOOT_SCRIPT, chartLibrarySource, chartSpec, type ChartSpec } from './charts.js';
import { breakdownTables, notesOf, runLabel, runsOfSuite } from './details.js';
import { arrow, columnTitle, formatCell, formatNumber, formatSeeds, rowColour } from './format.js';
import { formatDifference, formatPerSeed, pairedComparisons } from './paired.js';
import { bestRows, breakdownCellOf, cellOf, columns, suiteNames, type Column, type Row } from './rows.js';
import type { SuiteSamples } from './samples.js';

/** Failures listed per suite and run; the rest are counted (report.json has them all). */
const FAILURES_SHOWN = 200;

const esc = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** JSON inside a <script> element: `<` escaped so no string can close the element. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1d1d1f; }
h1 { font-size: 24px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; } th, td { padding: 3px 7px; border-bottom: 1px solid #e5e5e5; }
th { text-align: left; background: #f5f5f7; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: 700; } td.label { white-space: nowrap; } .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
.wide { overflow-x: auto; } .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
.chart { position: relative; height: 220px; border: 1px solid #eee; border-radius: 6px; padding: 6px; }
.samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 10px; }
figure { margin: 0; } figure img { display: block; max-width: 100%; border-radius: 4px; }
figcaption { font-size: 12px; color: #444; } .path { overflow-wrap: anywhere; } .ok { color: #0a7d32; } .bad { color: #c01c28; }
.missing { font-size: 12px; color: #c01c28; border: 1px dashed #c01c28; padding: 8px; }
pre { background: #f5f5f7; padding: 8px; overflow: auto; font-size: 12px; } .notes li { color: #6b4e00; }
`;

function metricTable(rows: Row[], cols: Column[], title: (c: Column) => string): string {
  const best = cols.map((c) => bestRows(rows, c));
  const head = `<tr><th>model</th><th>seeds</th>${cols.map((c) => `<th>${esc(title(c))}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (row, r) =>
        `<tr><td class="label"><span class="swatch" style="background:${rowColour(r)}"></span>${esc(row.label)}</td>` +
        `<td>${esc(formatSeeds(row.seeds))}</td>` +
        cols
          .map((c, i) => `<td class="n${best[i].has(r) ? ' best' : ''}">${esc(formatCell(cellOf(row, c)))}</td>`)
          .join('') +
        '</tr>',
    )
    .join('');
  return `<div class="wide"><table>${head}${body}</table></div>`;
}

function sampleGrid(rows: Row[], samples: SuiteSamples | undefined): string {
  if (!samples || samples.images.length === 0) return '';
  const figures = samples.images.map((image) => {
    const picture = image.dataUri
      ? `<img src="${image.dataUri}" alt="${esc(image.path)}">`
      : `<div class="missing">image not readable: ${esc(image.missing ?? '')}</div>`;
    const answers = image.points
      .map((p) => {
        const verdict = p.error ? 'failed' : p.correct ? '✓' : '✗';
        const cls = p.error || !p.correct ? 'bad' : 'ok';
        return (
          `<div><span class="swatch" style="background:${rowColour(p.row)}"></span>${esc(rows[p.row].label)}: ` +
          `<span class="${cls}">${esc(verdict)}</span> ${esc(p.error ?? String(p.predictedWnid ?? 'unmapped'))}</div>`
        );
      })
      .join('');
    const variant = image.variant ? ` <i>(${esc(image.variant)})</i>` : '';
    return (
      `<figure>${picture}<figcaption><span class="path">${esc(image.path)}</span>${variant}<br>` +
      `true: ${esc(image.targetWnids.join(', ') || '(none)')}` +
      `${answers}</figcaption></figure>`
    );
  });
  return (
    `<h3>Samples</h3><p>Green: the true box; dots: each row's predicted point (read from ${esc(samples.root)}).</p>` +
    `<div class="samples">${figures.join('')}</div>`
  );
}

function suiteSection(
  rows: Row[],
  suite: string,
  index: number,
  samples: SuiteSamples | undefined,
  specs: ChartSpec[],
): string {
  const entries = runsOfSuite(rows, suite);
  const cols = columns(rows, 'all', suite);
  const charts = cols.map((column, i) => {
    const id = `chart-${index}-${i}`;
    specs.push(chartSpec(id, rows, column));
    return `<div class="chart"><canvas id="${id}" aria-label="${esc(`${suite} ${column.metric}`)}"></canvas></div>`;
  });
  const parts = [
    `<section id="suite-${esc(suite)}"><h2>${esc(suite)}</h2>`,
    `<div class="charts">${charts.join('')}</div>`,
  ];
  parts.push(metricTable(rows, cols, (c) => `${c.metric} ${arrow(c.better)}`));
  parts.push(
    '<table><tr><th>run</th><th>evaluated</th><th>skipped</th><th>failed</th></tr>' +
      entries
        .map(
          ({ run, metrics: m }) =>
            `<tr><td>${esc(runLabel(run))}</td><td class="n">${m.counts.evaluated}</td>` +
            `<td class="n">${m.counts.skipped}</td><td class="n">${m.counts.failed}</td></tr>`,
        )
        .join('') +
      '</table>',
  );
  for (const { name, keys } of breakdownTables(entries)) {
    const head = `<tr><th></th>${rows.map((r) => `<th>${esc(r.label)}</th>`).join('')}</tr>`;
    const body = keys
      .map(
        (key) =>
          `<tr><td>${esc(key)}</td>${rows.map((row) => `<td class="n">${esc(formatCell(breakdownCellOf(row, suite, name, key)))}</td>`).join('')}</tr>`,
      )
      .join('');
    parts.push(`<h3>${esc(name)}</h3><table>${head}${body}</table>`);
  }
  const notes = notesOf(entries);
  if (notes.length > 0) {
    parts.push(
      `<h3>Notes</h3><ul class="notes">${notes
        .map(({ note, runs }) => `<li>${esc(note)}${runs.length > 0 ? ` <i>(${esc(runs.join('; '))})</i>` : ''}</li>`)
        .join('')}</ul>`,
    );
  }
  const failed = entries.filter((e) => e.metrics.failures.length > 0);
  if (failed.length > 0) {
    parts.push('<h3>Failures</h3>');
    for (const { run, metrics } of failed) {
      const shown = metrics.failures.slice(0, FAILURES_SHOWN);
      const more = metrics.failures.length - shown.length;
      parts.push(
        `<p>${esc(runLabel(run))}: ${metrics.failures.length}</p><table><tr><th>path</th><th>code</th><th>message</th></tr>` +
          shown
            .map((f) => `<tr><td>${esc(f.path)}</td><td>${esc(f.code)}</td><td>${esc(f.message)}</td></tr>`)
            .join('') +
          '</table>' +
          (more > 0 ? `<p>… ${more} more in report.json</p>` : ''),
      );
    }
  }
  parts.push(sampleGrid(rows, samples), '</section>');
  return parts.join('\n');
}

function runsSection(rows: Row[]): string {
  const parts = ['<section id="runs"><h2>Models and runs</h2>'];
  rows.forEach((row, r) => {
    for (const run of row.runs) {
      const { report } = run;
      const { job } = report;
      const shards = job.mergedFrom
        ? `merged from ${job.mergedFrom.length} shards (${job.mergedFrom.map((m) => `${m.shard.index}/${m.shard.count}`).join(', ')})`
        : job.shard
          ? `shard ${job.shard.index}/${job.shard.count}`
          : 'unsharded';
      parts.push(
        `<h3><span class="swatch" style="background:${rowColour(r)}"></span>${esc(runLabel(run))} — ${esc(row.label)}</h3>`,
        `<p>job ${esc(job.id)}, ${esc(shards)}, ${esc(job.startedAt)} → ${esc(job.finishedAt)}, ` +
          `${esc(formatNumber(job.imagesPerSecond))} images/s, endpoints ${esc(job.endpoints.join(', ') || '—')}; ` +
          `folder ${esc(run.dirs.join(', '))}</p>`,
        '<table><tr><th>suite</th><th>root</th><th>items</th><th>fingerprint</th></tr>' +
          Object.entries(report.datasets)
            .map(
              ([suite, d]) =>
                `<tr><td>${esc(suite)}</td><td>${esc(d.root)}</td><td class="n">${d.items}</td><td>${esc(d.fingerprint)}</td></tr>`,
            )
            .join('') +
          '</table>',
        `<details><summary>model provenance</summary><pre>${esc(JSON.stringify(report.model.provenance ?? null, null, 2))}</pre></details>`,
      );
    }
  });
  parts.push('</section>');
  return parts.join('\n');
}

/** LUAB − baseline and LUAB − Rand per seed on the headline metrics, with each seed's difference on hover. */
function pairedSection(rows: Row[]): string {
  const pairs = pairedComparisons(rows);
  if (pairs.length === 0) return '';
  const headline = columns(rows, 'headline');
  const head = `<tr><th>difference</th>${headline.map((c) => `<th>${esc(columnTitle(c))}</th>`).join('')}</tr>`;
  const body = pairs
    .map(
      (pair) =>
        `<tr><td class="label">${esc(pair.name)}</td>` +
        headline
          .map((c) => {
            const d = pair.differences.find((x) => x.suite === c.suite && x.metric === c.metric);
            return `<td class="n" title="${esc(d ? `per seed: ${formatPerSeed(d)}` : '')}">${esc(formatDifference(d))}</td>`;
          })
          .join('') +
        '</tr>',
    )
    .join('');
  return (
    '<h2>Paired differences per seed</h2><p>a − b between runs with the same seed: mean ± sample std of the ' +
    "per-seed differences, and on how many seeds a is better by the metric's direction (hover for each seed).</p>" +
    `<div class="wide"><table>${head}${body}</table></div>`
  );
}

/** Renders report.html. */
export function renderHtml(title: string, rows: Row[], samples: SuiteSamples[]): string {
  const specs: ChartSpec[] = [];
  const suites = suiteNames(rows);
  const sections = suites.map((suite, i) =>
    suiteSection(
      rows,
      suite,
      i,
      samples.find((s) => s.suite === suite),
      specs,
    ),
  );
  const legend = rows
    .map((row, r) => `<span><span class="swatch" style="background:${rowColour(r)}"></span>${esc(row.label)}</span>`)
    .join(' &nbsp; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${legend}</p>
<p>↑ higher is better, ↓ lower is better; bold: the best row of a column; mean ± std (sample std over seeds) where a row has several seeds.
Suites: ${suites.map((s) => `<a href="#suite-${esc(s)}">${esc(s)}</a>`).join(', ')}; <a href="#runs">models and runs</a>.</p>
<h2>Table 1</h2>
${metricTable(rows, columns(rows, 'headline'), columnTitle)}
${pairedSection(rows)}
${sections.join('\n')}
${runsSection(rows)}
<script>${chartLibrarySource()}</script>
<script type="application/json" id="luab-chart-specs">${scriptJson(specs)}</script>
<script>${CHART_BOOT_SCRIPT}</script>
</body>
</html>
`;
}
