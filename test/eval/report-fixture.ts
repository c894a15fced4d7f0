/**
 * Run folders for the report's tests, written as the job runner writes them (predictions.jsonl, report.json,
 * job.json), scored by small suites registered here: accuracy, point-in-box, the constant-centre guess and the
 * point's distance, with a per-variant breakdown, notes and failures. Images are real JPEGs: the synthetic
 * benchmark's committed background photos with one of its icons pasted in a known box.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { compareItems } from '../../eval/report/index.js';
import { getSuite, listSuites, registerSuite } from '../../eval/suites/registry.js';
import type { MetricValue, PredictionLine, RunReport, SuiteMetrics } from '../../eval/types.js';
import { CLASSES } from '../../synth/classes.js';
import { iconSvg, loadIconClasses } from '../../synth/icons.js';
import { assetsDir } from '../../synth/paths.js';

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** The toy suites' aggregate: what the report must show, from the lines alone. */
function aggregate(suite: string, lines: PredictionLine[]): SuiteMetrics {
  const ok = lines.filter((l) => !l.error);
  const metric = (value: number, better: MetricValue['better'], count = ok.length): MetricValue => ({
    value,
    better,
    count,
  });
  const withPoint = ok.filter((l) => l.score.point?.inBox !== undefined);
  const byVariant: Record<string, number> = {};
  for (const variant of [...new Set(ok.map((l) => l.variant))].sort()) {
    byVariant[variant] = mean(ok.filter((l) => l.variant === variant).map((l) => (l.score.correct ? 1 : 0)));
  }
  const resized = ok.filter((l) => l.resized).length;
  return {
    suite,
    metrics: {
      accuracy: metric(mean(ok.map((l) => (l.score.correct ? 1 : 0))), 'higher'),
      point_in_box: metric(mean(withPoint.map((l) => (l.score.point!.inBox ? 1 : 0))), 'higher', withPoint.length),
      centre_in_box: metric(
        mean(withPoint.map((l) => (l.score.point!.centreInBox ? 1 : 0))),
        'higher',
        withPoint.length,
      ),
      point_distance: metric(mean(withPoint.map((l) => l.score.point!.distance!)), 'lower', withPoint.length),
    },
    headline: ['accuracy', 'point_in_box'],
    breakdowns: { 'accuracy by variant': byVariant },
    notes: resized > 0 ? [`${resized} images were resized to the model's input size (no-resize protocol)`] : [],
    counts: { evaluated: ok.length, skipped: 0, failed: lines.length - ok.length },
    failures: lines
      .filter((l) => l.error)
      .map((l) => ({ path: l.path, code: l.error!.code, message: l.error!.message })),
  };
}

/** Registers a toy suite of that name once (the registry refuses a second registration). */
export function registerToySuite(name: string): void {
  if (listSuites().includes(name)) return;
  registerSuite({
    name,
    rootNames: [name],
    resize: 'model',
    read: () => {
      throw new Error('the report tests never read a dataset');
    },
    checkLabels: () => {},
    scoreItem: () => {
      throw new Error('the report tests never score');
    },
    aggregate: (lines) => aggregate(name, lines),
  });
}

/** A small deterministic PRNG (mulberry32), seeded from a string. */
export function random(seed: string): () => number {
  let a = createHash('sha1').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One item of a toy suite: its image and where the object is. */
export interface FixtureItem {
  variant: string;
  path: string;
  wnid: string;
  box: [number, number, number, number];
  width: number;
  height: number;
}

/** Writes `count` JPEGs under root/variant/: a background photo crop with a class icon pasted in a known box. */
export async function writeImages(root: string, variants: string[], count: number, size = 128): Promise<FixtureItem[]> {
  const photos = readdirSync(join(assetsDir(), 'backgrounds'))
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const icons = loadIconClasses()['noto'];
  const items: FixtureItem[] = [];
  for (let i = 0; i < count; i += 1) {
    const variant = variants[i % variants.length];
    const rng = random(`${basename(root)}/${i}`); // not the temp folder's name: the same images every time
    const cls = CLASSES[i % CLASSES.length];
    const names = icons[cls.name];
    const iconSize = Math.round(size * (0.3 + 0.3 * rng()));
    const x0 = Math.floor(rng() * (size - iconSize));
    const y0 = Math.floor(rng() * (size - iconSize));
    const icon = await sharp(Buffer.from(iconSvg({ set: 'noto', name: names[i % names.length] }, iconSize)))
      .png()
      .toBuffer();
    const image = await sharp(join(assetsDir(), 'backgrounds', photos[(i * 7) % photos.length]))
      .resize(size, size, { fit: 'cover' })
      .composite([{ input: icon, left: x0, top: y0 }])
      .jpeg({ quality: 85 })
      .toBuffer();
    const path = `${cls.wnid}/${String(i).padStart(4, '0')}.jpg`;
    mkdirSync(join(root, variant, cls.wnid), { recursive: true });
    writeFileSync(join(root, variant, path), image);
    // The suite's paths are relative to its root and include the variant folder, as the readers' are.
    items.push({
      variant,
      path: `${variant}/${path}`,
      wnid: cls.wnid,
      box: [x0, y0, x0 + iconSize, y0 + iconSize],
      width: size,
      height: size,
    });
  }
  return items;
}

/** How well a simulated model does: its chance of a right class, and how far its point strays from the object. */
export interface Skill {
  accuracy: number;
  /** Spread of the point around the box centre, as a fraction of the image size. */
  pointSpread: number;
}

/** A simulated model's prediction lines on the items: deterministic in (model, seed, item). */
export function simulateLines(
  suite: string,
  items: FixtureItem[],
  model: { name: string; version: number },
  seed: number,
  skill: Skill,
  failPaths: string[] = [],
): PredictionLine[] {
  return items.map((item) => {
    const rng = random(`${model.name}/${seed}/${suite}/${item.path}`);
    const base = {
      suite,
      variant: item.variant,
      path: item.path,
      targetWnids: [item.wnid],
      model: model.name,
      version: model.version,
      latencyMs: 5 + 10 * rng(),
      box: item.box,
    };
    if (failPaths.includes(item.path)) {
      return {
        ...base,
        top5: [],
        imageWidth: 0,
        imageHeight: 0,
        resized: false,
        score: { predictedWnid: null, correct: false },
        error: { code: 'UNDECODABLE', message: `cannot decode ${item.path}: unsupported image format` },
      };
    }
    const correct = rng() < skill.accuracy;
    const other = CLASSES[(CLASSES.findIndex((c) => c.wnid === item.wnid) + 1) % CLASSES.length].wnid;
    const [x0, y0, x1, y1] = item.box;
    const cx = (x0 + x1) / 2 + (rng() - 0.5) * 2 * skill.pointSpread * item.width;
    const cy = (y0 + y1) / 2 + (rng() - 0.5) * 2 * skill.pointSpread * item.height;
    const xPx = Math.min(item.width, Math.max(0, cx));
    const yPx = Math.min(item.height, Math.max(0, cy));
    const inBox = (x: number, y: number) => x >= x0 && x < x1 && y >= y0 && y < y1;
    const diagonal = Math.hypot(item.width, item.height);
    const distance = Math.hypot(xPx - (x0 + x1) / 2, yPx - (y0 + y1) / 2) / diagonal;
    const centreDistance = Math.hypot(item.width / 2 - (x0 + x1) / 2, item.height / 2 - (y0 + y1) / 2) / diagonal;
    return {
      ...base,
      top5: [{ index: 0, score: 0.5 + 0.5 * rng() }],
      point: { x: xPx / item.width, y: yPx / item.height, xPx, yPx },
      imageWidth: item.width,
      imageHeight: item.height,
      resized: suite.includes('bg-challenge') && item.variant === 'only_fg',
      score: {
        predictedWnid: correct ? item.wnid : other,
        correct,
        point: {
          inBox: inBox(xPx, yPx),
          distance,
          centreInBox: inBox(item.width / 2, item.height / 2),
          centreDistance,
        },
      },
    };
  });
}

export interface RunSpec {
  dir: string;
  model: { name: string; version: number; provenance?: unknown };
  /** suite → its root and lines (in the order the runner would have appended them). */
  suites: Record<string, { root: string; lines: PredictionLine[]; items?: number }>;
  shard?: { index: number; count: number };
  jobId?: string;
}

/** Writes a finished run folder: predictions.jsonl, report.json (each suite's aggregate) and job.json. */
export function writeRun(spec: RunSpec): RunReport {
  mkdirSync(spec.dir, { recursive: true });
  const all = Object.values(spec.suites).flatMap((s) => s.lines);
  writeFileSync(join(spec.dir, 'predictions.jsonl'), all.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const report: RunReport = {
    schemaVersion: 1,
    model: spec.model,
    datasets: Object.fromEntries(
      Object.entries(spec.suites).map(([suite, s]) => [
        suite,
        {
          root: s.root,
          fingerprint: `sha1:${createHash('sha1').update(s.root).digest('hex').slice(0, 16)}`,
          items: s.items ?? s.lines.length,
        },
      ]),
    ),
    // As the job runner does: aggregate in the canonical order, whatever order the lines were appended in.
    suites: Object.entries(spec.suites).map(([suite, s]) => getSuite(suite).aggregate([...s.lines].sort(compareItems))),
    job: {
      id: spec.jobId ?? `job-${spec.model.name}`,
      endpoints: ['127.0.0.1:50051'],
      ...(spec.shard ? { shard: spec.shard } : {}),
      startedAt: '2026-12-01T10:00:00.000Z',
      finishedAt: '2026-12-01T10:01:40.000Z',
      imagesPerSecond: all.length / 100,
    },
  };
  writeFileSync(join(spec.dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    join(spec.dir, 'job.json'),
    `${JSON.stringify({ id: report.job.id, model: spec.model.name }, null, 2)}\n`,
  );
  return report;
}

/** The trainer's provenance for a model of that objective and seed (what config.json carries). */
export function provenance(objective: 'baseline' | 'rand' | 'luab', seed: number): Record<string, unknown> {
  return {
    trainer: 'luab_trainer 0.1.0',
    model: 'small_cnn',
    objective,
    lambda: objective === 'baseline' ? 0 : 10,
    epochs: 30,
    seed,
    data: { dataset: 'imagenet-ab', data_dir: 'data/synth', target_rule: 'first-selected-mean' },
  };
}

/** The suites of the realistic fixture: names and variants like the embedded benchmark's, with a difficulty. */
const REALISTIC_SUITES: { name: string; variants: string[]; difficulty: number }[] = [
  { name: 'synth-in9-val', variants: ['val'], difficulty: 1 },
  { name: 'synth-bg-challenge', variants: ['original', 'mixed_same', 'mixed_rand', 'only_fg'], difficulty: 0.85 },
  { name: 'synth-si-score', variants: ['area', 'rotation', 'location'], difficulty: 0.8 },
  { name: 'synth-corruptions', variants: ['fog/3', 'gaussian_noise/3', 'motion_blur/3'], difficulty: 0.7 },
];

const OBJECTIVES: { objective: 'baseline' | 'rand' | 'luab'; skill: Skill }[] = [
  { objective: 'baseline', skill: { accuracy: 0.66, pointSpread: 0.35 } },
  { objective: 'rand', skill: { accuracy: 0.63, pointSpread: 0.4 } },
  { objective: 'luab', skill: { accuracy: 0.74, pointSpread: 0.2 } },
];

/**
 * Nine runs like the paper's comparison (baseline, Rand and LUAB small CNNs, three seeds each) on four suites of
 * `perSuite` images each, under `work`. Returns the run folders.
 */
export async function writeRealisticRuns(work: string, perSuite = 16): Promise<string[]> {
  const items = new Map<string, FixtureItem[]>();
  for (const suite of REALISTIC_SUITES) {
    registerToySuite(suite.name);
    items.set(suite.name, await writeImages(join(work, 'data', suite.name), suite.variants, perSuite));
  }
  const dirs: string[] = [];
  for (const { objective, skill } of OBJECTIVES) {
    for (const seed of [0, 1, 2]) {
      const model = { name: `synth-${objective}-s${seed}`, version: 1, provenance: provenance(objective, seed) };
      const dir = join(work, 'runs', model.name);
      const jitter = (random(model.name)() - 0.5) * 0.06;
      const suites: RunSpec['suites'] = {};
      for (const suite of REALISTIC_SUITES) {
        const s = items.get(suite.name)!;
        const fail = suite.name === 'synth-bg-challenge' && seed === 1 ? [s[3].path] : [];
        const lines = simulateLines(
          suite.name,
          s,
          model,
          seed,
          { accuracy: skill.accuracy * suite.difficulty + jitter, pointSpread: skill.pointSpread },
          fail,
        );
        suites[suite.name] = { root: join(work, 'data', suite.name), lines };
      }
      writeRun({ dir, model, suites, jobId: `eval-${model.name}` });
      dirs.push(dir);
    }
  }
  return dirs;
}
