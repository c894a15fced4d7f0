/**
 * The paper's Table 3 for the demo: weakly-supervised localisation of every model's CAM (MaxBoxAcc, MaxBoxAccV2,
 * PxAP; Choe et al. 2020's protocol, computed by `luab_trainer wsol`) beside the point head's own point-in-box
 * accuracy and top-1, per split, as mean ± std over seeds per objective and as paired differences per seed
 * (LUAB − baseline, LUAB − Rand). Written as OUT/report/wsol.json and wsol.md, and added as a section to
 * report.md and report.html.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../eval/report/format.js';
import type { Objective } from './settings.js';

/** What `luab_trainer wsol --out FILE` writes (trainer/luab_trainer/wsol.py). */
export interface WsolFile {
  objective: string;
  seed: number;
  cam_method: string;
  splits: { split: string; images: number; metrics: Record<string, number | null> }[];
}

export const WSOL_METRICS = [
  ['top1', 'top-1'],
  ['point_acc', 'point in box (point head)'],
  ['max_box_acc', 'MaxBoxAcc (IoU 0.5)'],
  ['max_box_acc_v2', 'MaxBoxAccV2 (IoU 0.3/0.5/0.7)'],
  ['pxap', 'PxAP'],
] as const;

interface Stat {
  mean: number;
  std?: number;
  n: number;
}

const stat = (values: number[]): Stat | undefined => {
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { mean, n: 1 };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, std, n: values.length };
};

const show = (s: Stat | undefined, signed = false): string => {
  if (!s) return '—';
  const sign = signed && s.mean > 0 ? '+' : '';
  return `${sign}${formatNumber(s.mean)}${s.std === undefined ? '' : ` ± ${formatNumber(s.std)}`}`;
};

export interface WsolSummary {
  camMethods: Record<string, string>;
  splits: string[];
  /** objective → split → metric → mean ± std over seeds. */
  rows: Record<string, Record<string, Record<string, Stat | undefined>>>;
  /** "LUAB − baseline" → split → metric → the per-seed differences and their mean ± std. */
  paired: Record<string, Record<string, Record<string, (Stat & { perSeed: Record<string, number> }) | undefined>>>;
}

export function summariseWsol(inputs: { objective: Objective; seed: number; file: string }[]): WsolSummary {
  const files = inputs.map((i) => ({ ...i, data: JSON.parse(readFileSync(i.file, 'utf8')) as WsolFile }));
  const splits = [...new Set(files.flatMap((f) => f.data.splits.map((s) => s.split)))];
  const value = (objective: string, seed: number, split: string, metric: string): number | undefined => {
    const f = files.find((x) => x.objective === objective && x.seed === seed);
    const v = f?.data.splits.find((s) => s.split === split)?.metrics[metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const objectives = [...new Set(files.map((f) => f.objective))];
  const seeds = [...new Set(files.map((f) => f.seed))].sort((a, b) => a - b);
  const rows: WsolSummary['rows'] = {};
  for (const objective of objectives) {
    rows[objective] = {};
    for (const split of splits) {
      rows[objective][split] = {};
      for (const [metric] of WSOL_METRICS) {
        const values = seeds.flatMap((seed) => {
          const v = value(objective, seed, split, metric);
          return v === undefined ? [] : [v];
        });
        rows[objective][split][metric] = stat(values);
      }
    }
  }
  const paired: WsolSummary['paired'] = {};
  for (const [name, other] of [
    ['LUAB − baseline', 'baseline'],
    ['LUAB − Rand', 'rand'],
  ] as const) {
    if (!objectives.includes('luab') || !objectives.includes(other)) continue;
    paired[name] = {};
    for (const split of splits) {
      paired[name][split] = {};
      for (const [metric] of WSOL_METRICS) {
        const perSeed: Record<string, number> = {};
        for (const seed of seeds) {
          const a = value('luab', seed, split, metric);
          const b = value(other, seed, split, metric);
          if (a !== undefined && b !== undefined) perSeed[String(seed)] = a - b;
        }
        const s = stat(Object.values(perSeed));
        paired[name][split][metric] = s ? { ...s, perSeed } : undefined;
      }
    }
  }
  const camMethods = Object.fromEntries(files.map((f) => [f.objective, f.data.cam_method]));
  return { camMethods, splits, rows, paired };
}

export function renderWsolMarkdown(summary: WsolSummary): string {
  const out = [
    '## WSOL: where the features look (Table 3)',
    '',
    'CAMs from each checkpoint (' +
      [...new Set(Object.values(summary.camMethods))].join(', ') +
      "), scored with Choe et al. 2020's protocol: MaxBoxAcc = the best over CAM thresholds (0 to 1 in steps of " +
      "0.01) of the fraction of images whose largest connected region's box has IoU ≥ 0.5 with the true box; " +
      'MaxBoxAccV2 = the mean over IoU 0.3, 0.5, 0.7 of that best, boxes from every region; PxAP = the average ' +
      "precision of the CAM's pixels against the object mask. The point head's point-in-box accuracy and the " +
      'top-1 on the same images beside them (baseline has no point head). Mean ± std over seeds.',
    '',
  ];
  const header = ['objective', ...WSOL_METRICS.map(([, title]) => title)];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  for (const split of summary.splits) {
    out.push(`**${split}**`, '', line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))));
    for (const [objective, bySplit] of Object.entries(summary.rows)) {
      out.push(line([objective, ...WSOL_METRICS.map(([m]) => show(bySplit[split]?.[m]))]));
    }
    for (const [name, bySplit] of Object.entries(summary.paired)) {
      out.push(line([name, ...WSOL_METRICS.map(([m]) => show(bySplit[split]?.[m], true))]));
    }
    out.push('');
  }
  out.push('Paired differences per seed (MaxBoxAccV2, PxAP):', '');
  for (const [name, bySplit] of Object.entries(summary.paired)) {
    for (const split of summary.splits) {
      const cells = (['max_box_acc_v2', 'pxap'] as const).map((m) => {
        const d = bySplit[split]?.[m];
        const seeds = d
          ? Object.entries(d.perSeed).map(([s, v]) => `${s}: ${v >= 0 ? '+' : ''}${formatNumber(v)}`)
          : [];
        return `${m} ${seeds.join(', ') || '—'}`;
      });
      out.push(`- ${name}, ${split}: ${cells.join('; ')}`);
    }
  }
  out.push('');
  return out.join('\n');
}

const esc = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export function renderWsolHtml(summary: WsolSummary): string {
  const parts = [
    '<section id="wsol"><h2>WSOL: where the features look (Table 3)</h2>',
    `<p>CAM method: ${esc([...new Set(Object.values(summary.camMethods))].join(', '))}. MaxBoxAcc at IoU 0.5; ` +
      'MaxBoxAccV2 the mean over IoU 0.3/0.5/0.7; PxAP against the masks (Choe et al. 2020). Mean ± std over seeds; ' +
      'the paired rows are per-seed differences (hover for each seed).</p>',
  ];
  for (const split of summary.splits) {
    const head = `<tr><th>objective</th>${WSOL_METRICS.map(([, t]) => `<th>${esc(t)}</th>`).join('')}</tr>`;
    const body = [
      ...Object.entries(summary.rows).map(
        ([objective, bySplit]) =>
          `<tr><td>${esc(objective)}</td>${WSOL_METRICS.map(([m]) => `<td class="n">${esc(show(bySplit[split]?.[m]))}</td>`).join('')}</tr>`,
      ),
      ...Object.entries(summary.paired).map(
        ([name, bySplit]) =>
          `<tr><td>${esc(name)}</td>${WSOL_METRICS.map(([m]) => {
            const d = bySplit[split]?.[m];
            const title = d
              ? Object.entries(d.perSeed)
                  .map(([s, v]) => `${s}: ${formatNumber(v)}`)
                  .join(', ')
              : '';
            return `<td class="n" title="${esc(title)}">${esc(show(d, true))}</td>`;
          }).join('')}</tr>`,
      ),
    ].join('');
    parts.push(`<h3>${esc(split)}</h3><div class="wide"><table>${head}${body}</table></div>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Writes wsol.json and wsol.md into the report folder and adds the section to report.md and report.html. */
export function writeWsolReport(
  inputs: { objective: Objective; seed: number; file: string }[],
  reportDir: string,
): string[] {
  const summary = summariseWsol(inputs);
  const jsonPath = join(reportDir, 'wsol.json');
  writeFileSync(jsonPath, `${JSON.stringify(summary, null, 2)}\n`);
  const markdown = renderWsolMarkdown(summary);
  const mdPath = join(reportDir, 'wsol.md');
  writeFileSync(mdPath, `# WSOL\n\n${markdown}`);
  const reportMd = join(reportDir, 'report.md');
  writeFileSync(reportMd, `${readFileSync(reportMd, 'utf8').trimEnd()}\n\n${markdown}`);
  const reportHtml = join(reportDir, 'report.html');
  const html = readFileSync(reportHtml, 'utf8');
  const at = html.indexOf('<section id="runs">');
  if (at < 0) throw new Error(`${reportHtml}: no <section id="runs"> to put the WSOL section before`);
  writeFileSync(reportHtml, `${html.slice(0, at)}${renderWsolHtml(summary)}\n${html.slice(at)}`);
  return [jsonPath, mdPath];
}
