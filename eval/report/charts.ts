/**
 * The charts of report.html: one Chart.js bar chart per metric (bars = rows' means, dots = the individual seeds'
 * values), and the Chart.js UMD build itself, read from node_modules at render time so that the page carries
 * its charting library and works offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { arrow } from './format.js';
import { cellOf, type Column, type Row } from './rows.js';
import { rowColour } from './format.js';

/** What the page's script needs to draw one chart (plain JSON; the page adds the tooltip callbacks). */
export interface ChartSpec {
  /** Id of the canvas element. */
  canvas: string;
  title: string;
  /** Per row: its std or null (shown in the tooltip). */
  std: (number | null)[];
  /** A Chart.js configuration (type, data, options), JSON only. */
  config: Record<string, unknown>;
}

let library: string | undefined;

/**
 * The Chart.js UMD bundle's source (its licence banner kept), without the source-map comment so the browser never
 * asks for a file that is not there.
 */
export function chartLibrarySource(): string {
  if (library === undefined) {
    // The package's exports map does not list dist/chart.umd.min.js; its main entry sits in the same folder.
    const entry = createRequire(import.meta.url).resolve('chart.js');
    const file = join(dirname(entry), 'chart.umd.min.js');
    library = readFileSync(file, 'utf8').replace(/\n?\/\/# sourceMappingURL=.*$/m, '');
  }
  return library;
}

/** The chart of one column over the rows. */
export function chartSpec(id: string, rows: Row[], column: Column): ChartSpec {
  const cells = rows.map((row) => cellOf(row, column));
  const maxSeeds = Math.max(...cells.map((c) => c?.values.length ?? 0));
  const labels = rows.map((r) => r.label);
  const datasets: Record<string, unknown>[] = [
    {
      type: 'bar',
      label: 'mean',
      data: cells.map((c) => c?.mean ?? null),
      backgroundColor: rows.map((_, i) => `${rowColour(i)}b3`),
      borderColor: rows.map((_, i) => rowColour(i)),
      borderWidth: 1,
    },
  ];
  if (maxSeeds > 1) {
    for (let k = 0; k < maxSeeds; k += 1) {
      datasets.push({
        type: 'line',
        label: `run ${k + 1}`,
        data: cells.map((c) => (c && c.values.length > 1 ? (c.values[k] ?? null) : null)),
        showLine: false,
        pointRadius: 3,
        pointBackgroundColor: '#222222',
        pointBorderColor: '#ffffff',
      });
    }
  }
  const title = `${column.metric} ${arrow(column.better)}`;
  return {
    canvas: id,
    title,
    std: cells.map((c) => c?.std ?? null),
    config: {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          title: { display: true, text: title },
          legend: { display: false },
        },
        scales: { y: { beginAtZero: true } },
      },
    },
  };
}

/** The page script that draws the charts from the embedded specs (runs after the library, offline). */
export const CHART_BOOT_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('luab-chart-specs').textContent);
  specs.forEach(function (spec) {
    var config = spec.config;
    config.options.plugins.tooltip = {
      callbacks: {
        label: function (item) {
          var std = spec.std[item.dataIndex];
          var value = item.parsed.y;
          if (item.datasetIndex === 0 && std !== null) return 'mean ' + value.toPrecision(4) + ' ± ' + std.toPrecision(3);
          return item.dataset.label + ' ' + value.toPrecision(4);
        },
      },
    };
    new Chart(document.getElementById(spec.canvas), config);
  });
})();
`;
