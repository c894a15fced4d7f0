/**
 * Generation speed, one worker against several, in one run (ratios, not absolute targets: the machine may be
 * shared). docs/synth.md quotes its output.
 *
 *   node dist/synth/benchmark.js [--workers 1,2] [--train-per-class 150] [--suite-per-class 30] [--repeats 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeConfig, resolveConfig, validateConfig } from './config.js';
import { generate } from './generate.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    'train-per-class': { type: 'string', default: '150' },
    'suite-per-class': { type: 'string', default: '30' },
    repeats: { type: 'string', default: '2' },
  },
  strict: true,
});

const counts = {
  train_per_class: Number(values['train-per-class']),
  val_per_class: 12,
  suite_per_class: Number(values['suite-per-class']),
};
const config = validateConfig(mergeConfig(resolveConfig({}), { counts, contact_sheet_images: 0 }), 'benchmark');
const work = mkdtempSync(join(tmpdir(), 'luab-synth-bench-'));
const results: Array<{ workers: number; seconds: number; images: number; cpu_seconds: number; load_before: number }> =
  [];
try {
  for (let r = 0; r < Number(values.repeats); r++) {
    for (const workers of values.workers.split(',').map(Number)) {
      const out = join(work, `w${workers}-${r}`);
      const load = loadavg()[0];
      const cpu = process.cpuUsage();
      const result = await generate({ out, seed: 0, config, workers, force: false, showProgress: false });
      const used = process.cpuUsage(cpu);
      results.push({
        workers,
        seconds: result.seconds,
        images: result.images,
        cpu_seconds: (used.user + used.system) / 1e6,
        load_before: load,
      });
      rmSync(out, { recursive: true, force: true });
      process.stdout.write(`${JSON.stringify(results[results.length - 1])}\n`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const best = (w: number): number => Math.min(...results.filter((r) => r.workers === w).map((r) => r.seconds));
const [first, ...others] = values.workers.split(',').map(Number);
for (const w of others) {
  process.stdout.write(
    `${JSON.stringify({ speedup: `${w} workers vs ${first}`, ratio: Number((best(first) / best(w)).toFixed(2)), images_per_s: Number((results[0].images / best(w)).toFixed(1)) })}\n`,
  );
}
