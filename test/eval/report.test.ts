/**
 * The evaluation report (eval/report/, `luab report`): Table 1 in Markdown (arrows, best in bold, mean ± std over
 * seeds), the merge of shards (recomputed from the union of their lines; overlaps and gaps refused with the
 * folders named), the CLI's exit codes, and report.html in headless Chromium with the network cut off.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { itemKey, readPredictions, renderRunReports } from '../../eval/report/index.js';
import type { PredictionLine, RunReport } from '../../eval/types.js';
import { openOffline } from '../helpers/browser.js';
import { runLuab } from '../helpers/luab-cli.js';
import {
  provenance,
  registerToySuite,
  simulateLines,
  writeImages,
  writeRealisticRuns,
  writeRun,
  type FixtureItem,
} from './report-fixture.js';

const SUITE = 'report-test-toy';

describe('evaluation report', function () {
  let work: string;
  let items: FixtureItem[];
  let root: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'luab-report-'));
    registerToySuite(SUITE);
    root = join(work, 'data', SUITE);
    items = await writeImages(root, ['a', 'b'], 8, 64);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** Lines with exactly `correct` right answers, the point in the box or not, at a fixed distance. */
  function controlledLines(
    name: string,
    seed: number,
    correct: number,
    inBox: boolean,
    distance: number,
  ): PredictionLine[] {
    return simulateLines(SUITE, items, { name, version: 1 }, seed, { accuracy: 0.5, pointSpread: 0.1 }).map(
      (line, i) => ({
        ...line,
        score: {
          ...line.score,
          correct: i < correct,
          point: { inBox, distance, centreInBox: false, centreDistance: 0.2 },
        },
      }),
    );
  }

  /** Writes a run folder under the work folder; returns its path. */
  function run(
    dir: string,
    name: string,
    objective: 'baseline' | 'luab',
    seed: number,
    lines: PredictionLine[],
  ): string {
    const path = join(work, dir);
    writeRun({
      dir: path,
      model: { name, version: 1, provenance: provenance(objective, seed) },
      suites: { [SUITE]: { root, lines } },
    });
    return path;
  }

  describe('report.md', () => {
    let markdown: string;
    before(async () => {
      // LUAB: 4/8, 6/8 and 8/8 right (mean 0.75, sample std 0.25), point always in the box, distance 0.1;
      // baseline: 7/8 right (best accuracy), point never in the box, distance 0.3.
      const dirs = [
        run('md/luab-0', 'luab-s0', 'luab', 0, controlledLines('luab-s0', 0, 4, true, 0.1)),
        run('md/luab-1', 'luab-s1', 'luab', 1, controlledLines('luab-s1', 1, 6, true, 0.1)),
        run('md/luab-2', 'luab-s2', 'luab', 2, controlledLines('luab-s2', 2, 8, true, 0.1)),
        run('md/base-0', 'base-s0', 'baseline', 0, controlledLines('base-s0', 0, 7, false, 0.3)),
      ];
      await renderRunReports(dirs, join(work, 'md-out'), { title: 'Toy comparison', samplesPerSuite: 0 });
      markdown = readFileSync(join(work, 'md-out', 'report.md'), 'utf8');
    });

    it('puts the models side by side in Table 1, with arrows, the best in bold and mean ± std over seeds', () => {
      const table = markdown.split('## Table 1\n\n')[1].split('\n\n')[0].split('\n');
      assert.deepEqual(table, [
        `| model | seeds | ${SUITE} accuracy ↑ | ${SUITE} point_in_box ↑ |`,
        '| --- | --- | ---: | ---: |',
        '| small_cnn luab λ=10 | 0, 1, 2 | 0.750 ± 0.250 | **1.000 ± 0.000** |',
        '| small_cnn baseline | 0 | **0.875** | 0.000 |',
      ]);
    });

    it('bolds the lowest value where lower is better, in the per-suite table of every metric', () => {
      const section = markdown.split(`## ${SUITE}\n\n`)[1].split('\n\n')[0].split('\n');
      assert.equal(section[0], '| model | seeds | accuracy ↑ | point_in_box ↑ | centre_in_box ↑ | point_distance ↓ |');
      assert.match(section[2], /^\| small_cnn luab λ=10 \| 0, 1, 2 \| .* \| \*\*0\.100 ± 0\.000\*\* \|$/);
      assert.match(section[3], /^\| small_cnn baseline \| 0 \| .* \| 0\.300 \|$/);
    });

    it('writes a comparison report.json with the rows and every run', () => {
      const report = JSON.parse(readFileSync(join(work, 'md-out', 'report.json'), 'utf8'));
      assert.equal(report.kind, 'comparison');
      assert.equal(report.runs.length, 4);
      assert.deepEqual(report.rows[0].seeds, [0, 1, 2]);
      assert.equal(report.rows[0].metrics[SUITE].accuracy.mean, 0.75);
      assert.equal(report.rows[0].metrics[SUITE].accuracy.std, 0.25);
      assert.equal(report.rows[0].metrics[SUITE].accuracy.n, 3);
    });
  });

  describe('shards', () => {
    let unsharded: RunReport;
    let lines: PredictionLine[];
    const shardDir = (i: number) => join(work, 'shards', `shard-${i}`);
    before(() => {
      lines = simulateLines(SUITE, items, { name: 'sharded', version: 1 }, 0, { accuracy: 0.6, pointSpread: 0.2 }, [
        items[5].path,
      ]);
      const model = { name: 'sharded', version: 1, provenance: provenance('luab', 0) };
      unsharded = writeRun({ dir: join(work, 'shards', 'whole'), model, suites: { [SUITE]: { root, lines } } });
      for (let i = 0; i < 3; i += 1) {
        // Each shard's lines in completion order, not reader order: the merge must not depend on it.
        const slice = lines.filter((_, n) => n % 3 === i).reverse();
        writeRun({
          dir: shardDir(i),
          model,
          suites: { [SUITE]: { root, lines: slice, items: lines.length } },
          shard: { index: i, count: 3 },
          jobId: `job-shard-${i}`,
        });
      }
    });

    it('merges them into the numbers of the unsharded run, recomputed from the union of their lines', async () => {
      const out = join(work, 'merged');
      const result = await renderRunReports([shardDir(2), shardDir(0), shardDir(1)], out, { samplesPerSuite: 0 });
      assert.deepEqual(result, { files: result.files, runs: 1, rows: 1 });
      const merged = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
      assert.deepEqual(merged.suites, unsharded.suites);
      assert.equal(merged.suites[0].counts.failed, 1);
      assert.equal(merged.datasets[SUITE].items, 8);
      assert.deepEqual(
        merged.job.mergedFrom?.map((m) => m.shard.index),
        [0, 1, 2],
      );
      const union = readFileSync(join(out, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(union.map(itemKey).sort(), lines.map(itemKey).sort());
    });

    it('refuses overlapping shards, naming both folders', async () => {
      const again = join(work, 'shards', 'shard-1-again');
      cpSync(shardDir(1), again, { recursive: true });
      const result = await runLuab(['report', shardDir(0), shardDir(1), again, shardDir(2), '--out', join(work, 'x')]);
      assert.equal(result.code, 1, result.stderr);
      assert.ok(
        result.stderr.includes(
          `luab report: ${again}: overlapping shards: shard 1/3 of sharded v1 is also in ${shardDir(1)}`,
        ),
        result.stderr,
      );
    });

    it('refuses missing shards, naming the missing ones and those given', async () => {
      const result = await runLuab(['report', shardDir(0), shardDir(2), '--out', join(work, 'x')]);
      assert.equal(result.code, 1, result.stderr);
      assert.ok(
        result.stderr.includes(
          `missing shards of sharded v1: 1/3 not given (given: shard 0/3 = ${shardDir(0)}, shard 2/3 = ${shardDir(2)})`,
        ),
        result.stderr,
      );
    });

    it('refuses an item that two shards both evaluated', async () => {
      const model = { name: 'overlap', version: 1 };
      const all = simulateLines(SUITE, items, model, 0, { accuracy: 0.6, pointSpread: 0.2 });
      const a = join(work, 'dup', 'a');
      const b = join(work, 'dup', 'b');
      writeRun({ dir: a, model, suites: { [SUITE]: { root, lines: all.slice(0, 5) } }, shard: { index: 0, count: 2 } });
      writeRun({ dir: b, model, suites: { [SUITE]: { root, lines: all.slice(4) } }, shard: { index: 1, count: 2 } });
      await assert.rejects(renderRunReports([a, b], join(work, 'dup-out')), (error: Error) => {
        assert.equal(
          error.message,
          `${b}: overlapping shards: item ${SUITE}/${all[4].variant}/${all[4].path} is in both ${a} and ${b}`,
        );
        return true;
      });
    });

    it('refuses to write a comparison into one of the runs compared', async () => {
      await assert.rejects(
        renderRunReports(
          [join(work, 'shards', 'whole'), shardDir(0), shardDir(1), shardDir(2)],
          join(work, 'shards', 'whole'),
        ),
        /whole: is one of the runs compared/,
      );
    });

    it('refuses to write the merge into one of the shards', async () => {
      await assert.rejects(
        renderRunReports([shardDir(0), shardDir(1), shardDir(2)], shardDir(1)),
        /is one of the shards/,
      );
    });
  });

  describe('luab report', () => {
    it('renders a single run into its own folder without rewriting its report.json', async () => {
      const dir = run('single', 'single-s0', 'luab', 0, controlledLines('single-s0', 0, 5, true, 0.1));
      const before = readFileSync(join(dir, 'report.json'), 'utf8');
      const result = await runLuab(['report', dir, '--out', dir, '--title', 'One run']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /1 run\(s\) in 1 row\(s\); wrote .*report\.md, .*report\.html/);
      assert.equal(readFileSync(join(dir, 'report.json'), 'utf8'), before);
      assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /^# One run\n/);
      assert.ok(statSync(join(dir, 'report.html')).size > 100_000, 'the page carries Chart.js');
    });

    it('exits 2 on usage errors', async () => {
      assert.equal((await runLuab(['report', join(work, 'single')])).code, 2);
      assert.equal((await runLuab(['report', '--out', join(work, 'x')])).code, 2);
      assert.equal((await runLuab(['report', join(work, 'single'), '--out', 'x', '--samples', 'many'])).code, 2);
    });

    it('exits 1 naming the folder that is not a finished run, and the bad line of predictions.jsonl', async () => {
      const empty = join(work, 'empty-run');
      cpSync(join(work, 'single'), empty, { recursive: true });
      rmSync(join(empty, 'report.json'));
      const missing = await runLuab(['report', empty, '--out', join(work, 'x')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`luab report: ${empty}: has no report\\.json`));

      const broken = join(work, 'broken-run');
      cpSync(join(work, 'single'), broken, { recursive: true });
      const file = join(broken, 'predictions.jsonl');
      const text = readFileSync(file, 'utf8').split('\n');
      text[2] = '{"suite": "report-test-toy", "variant": "a"';
      writeFileSync(file, text.join('\n'));
      const bad = await runLuab(['report', broken, '--out', join(work, 'x')]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, new RegExp(`luab report: ${file}:3: is not valid JSON`));
    });
  });

  describe('predictions.jsonl', () => {
    const lines = () => controlledLines('lines', 0, 3, true, 0.1);
    async function read(text: string): Promise<string[]> {
      const file = join(work, 'lines.jsonl');
      writeFileSync(file, text);
      const keys: string[] = [];
      for await (const line of readPredictions(file)) keys.push(line.path);
      return keys;
    }

    it('keeps every line, the last one also without its newline, and skips blank lines', async () => {
      const all = lines();
      const text = all.map((l) => JSON.stringify(l)).join('\n\n');
      assert.deepEqual(
        await read(text),
        all.map((l) => l.path),
      );
    });

    it('drops a last line cut off mid-line (a killed writer), but not a bad line before it', async () => {
      const all = lines();
      const whole = all.map((l) => `${JSON.stringify(l)}\n`).join('');
      assert.deepEqual(
        await read(`${whole}{"suite": "cut`),
        all.map((l) => l.path),
      );
      await assert.rejects(read(`{"suite": "cut\n${whole}`), /lines\.jsonl:1: is not valid JSON/);
      await assert.rejects(read(`${whole}{"variant": "a"}\n`), /lines\.jsonl:9: is not a prediction line: .*suite/);
    });
  });

  describe('report.html in headless Chromium', function () {
    let page: string;
    before(async () => {
      const runs = await writeRealisticRuns(join(work, 'realistic'));
      await renderRunReports(runs, join(work, 'html'), { title: 'Realistic fixture' });
      page = join(work, 'html', 'report.html');
    });

    it('loads offline without console errors, with every chart drawn and every sample image decoded', async () => {
      const { browser, page: tab, errors, blocked } = await openOffline(page);
      try {
        assert.deepEqual(errors, []);
        assert.deepEqual(blocked, []);
        // Run in the page (strings: the tests compile without the DOM's types). Chart.js keeps the chart it drew
        // on each canvas: getChart() finds it.
        const charts = await tab.evaluate<{ width: number; height: number; drawn: boolean }[]>(`
          [...document.querySelectorAll('canvas')].map((canvas) => ({
            width: canvas.getBoundingClientRect().width,
            height: canvas.getBoundingClientRect().height,
            drawn: Chart.getChart(canvas) !== undefined,
          }))`);
        assert.equal(charts.length, 4 * 4, 'a chart per metric of each of the four suites');
        for (const chart of charts) {
          assert.ok(chart.drawn && chart.width > 0 && chart.height > 0, JSON.stringify(chart));
        }
        const images = await tab.evaluate<{ loaded: boolean; jpeg: boolean }[]>(`
          [...document.querySelectorAll('figure img')].map((img) => ({
            loaded: img.complete && img.naturalWidth > 0,
            jpeg: img.src.startsWith('data:image/jpeg;base64,'),
          }))`);
        assert.equal(images.length, 4 * 8, 'eight samples per suite');
        assert.ok(
          images.every((i) => i.loaded && i.jpeg),
          JSON.stringify(images),
        );
        const text = await tab.evaluate<string>('document.body.textContent');
        assert.match(text, /UNDECODABLE/, 'failures are listed');
        assert.match(text, /resized to the model's input size/, 'notes are shown');
        assert.match(text, /"objective": "luab"/, 'provenance is shown');
        const shot = join(work, 'report.png');
        await tab.screenshot({ path: shot, fullPage: true });
        assert.ok(statSync(shot).size > 10_000);
      } finally {
        await browser.close();
      }
    });

    it('would notice a page that reaches for the network', async () => {
      const leaky = join(work, 'html', 'leaky.html');
      writeFileSync(leaky, readFileSync(page, 'utf8').replace('</body>', '<img src="http://192.0.2.1/x.png"></body>'));
      const { browser, errors, blocked } = await openOffline(leaky);
      try {
        assert.ok(
          errors.length + blocked.length > 0,
          'a network request is either refused by the page policy or blocked',
        );
      } finally {
        await browser.close();
      }
    });
  });
});
