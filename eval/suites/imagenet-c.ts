/**
 * ImageNet-C (Hendrycks & Dietterich 2019; hendrycks/robustness): `<root>/<corruption>/<severity>/<wnid>/`, or
 * with the category level of the release's tarballs, `<root>/<category>/<corruption>/<severity>/<wnid>/`
 * (noise, blur, weather, digital, extra). A folder whose children are severities 1..5 is a corruption; one whose
 * children are corruptions is a category. The embedded benchmark's `suites/imagenet_c/` (13 corruptions, IN-9
 * classes) is read the same.
 *
 * Metrics: top-1 error per corruption and severity, CE and mCE normalised by AlexNet's errors over the 15
 * standard corruptions that are present (a note names the missing ones), extra corruptions apart, and the mean
 * accuracy. Protocol: the 224 px release is fed as it is (centre crop only, no resize).
 */
import { join } from 'node:path';
import { imagenetCAlexNet, in9Classes } from '../data/load.js';
import { SPACES } from '../label-space.js';
import { Sidecar } from '../locations.js';
import { corruptionSummary, type ErrorTable } from '../metrics/imagenet-c.js';
import type { EvalItem } from '../types.js';
import { classFolders, defineSuite, imagesIn, metric, rel, subfolders, wnidFolderSpace } from './common.js';
import { registerSuite } from './registry.js';

const NAME = 'imagenet-c';
const SEVERITY = /^[1-5]$/;

/** The release's categories (hendrycks/robustness ImageNet-C: noise/blur/weather/digital, extras apart). */
export const CORRUPTION_CATEGORY: Record<string, string> = {
  gaussian_noise: 'noise',
  shot_noise: 'noise',
  impulse_noise: 'noise',
  speckle_noise: 'extra',
  defocus_blur: 'blur',
  glass_blur: 'blur',
  motion_blur: 'blur',
  zoom_blur: 'blur',
  gaussian_blur: 'extra',
  snow: 'weather',
  frost: 'weather',
  fog: 'weather',
  brightness: 'weather',
  spatter: 'extra',
  contrast: 'digital',
  elastic_transform: 'digital',
  pixelate: 'digital',
  jpeg_compression: 'digital',
  saturate: 'extra',
};

interface CorruptionDir {
  corruption: string;
  category?: string;
  /** Path of the corruption folder relative to the root. */
  relDir: string;
}

async function corruptionDirs(root: string): Promise<CorruptionDir[]> {
  const isCorruption = async (dir: string) => {
    const children = await subfolders(dir);
    return children.length > 0 && children.every((c) => SEVERITY.test(c));
  };
  const out: CorruptionDir[] = [];
  for (const top of await classFolders(NAME, root)) {
    if (await isCorruption(join(root, top))) {
      out.push({ corruption: top, relDir: top });
      continue;
    }
    const inner = await subfolders(join(root, top));
    const corruptions: CorruptionDir[] = [];
    for (const c of inner) {
      if (!(await isCorruption(join(root, top, c)))) {
        throw new Error(
          `${NAME}: ${join(root, top, c)} is neither a corruption folder (severities 1..5 inside) nor under one`,
        );
      }
      corruptions.push({ corruption: c, category: top, relDir: rel(top, c) });
    }
    if (corruptions.length === 0) {
      throw new Error(`${NAME}: ${join(root, top)} holds neither severity folders 1..5 nor corruption folders`);
    }
    out.push(...corruptions);
  }
  const seen = new Set<string>();
  for (const d of out) {
    if (seen.has(d.corruption)) throw new Error(`${NAME}: corruption "${d.corruption}" appears twice under ${root}`);
    seen.add(d.corruption);
  }
  return out.sort((a, b) => (a.corruption < b.corruption ? -1 : a.corruption > b.corruption ? 1 : 0));
}

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['imagenet-c', 'suites/imagenet_c'],
    resize: 'keep-at-input-size',
    space: SPACES.in1k,
    in9Copy: true,
    headline: ['mCE'],
    async list(root) {
      const sidecar = await Sidecar.find(root);
      const items: EvalItem[] = [];
      for (const { corruption, category, relDir } of await corruptionDirs(root)) {
        for (const severity of await subfolders(join(root, relDir))) {
          const sevDir = join(root, relDir, severity);
          const folders = await classFolders(NAME, sevDir);
          wnidFolderSpace(NAME, sevDir, folders, SPACES.in1k(), true);
          for (const wnid of folders) {
            for (const file of await imagesIn(NAME, join(sevDir, wnid))) {
              const path = rel(relDir, severity, wnid, file);
              // The sidecar names files without the category level (docs/synth.md: `fog/3/<wnid>/...`).
              const location =
                sidecar?.location(path, root) ?? sidecar?.location(rel(corruption, severity, wnid, file), root);
              items.push({
                suite: NAME,
                variant: `${corruption}/${severity}`,
                path,
                absPath: join(sevDir, wnid, file),
                targetWnids: [wnid],
                attributes: {
                  corruption,
                  severity: Number(severity),
                  category: category ?? CORRUPTION_CATEGORY[corruption] ?? 'unknown',
                },
                ...(location ? { location } : {}),
              });
            }
          }
        }
      }
      return items;
    },
    metrics(scored, result) {
      const table: ErrorTable = {};
      const totals = new Map<string, [number, number]>();
      for (const l of scored) {
        const t = totals.get(l.variant) ?? [0, 0];
        t[0] += l.score.correct ? 0 : 1;
        t[1] += 1;
        totals.set(l.variant, t);
      }
      for (const [variant, [wrong, all]] of totals) {
        const [corruption, severity] = variant.split('/');
        (table[corruption] ??= {})[severity] = wrong / all;
      }
      const alexnet = imagenetCAlexNet();
      const summary = corruptionSummary(table, {
        standard: alexnet.corruptions_order,
        perSeverity: alexnet.alexnet_error_per_severity_1_to_5,
      });
      const standardImages = scored.filter((l) => !summary.extras.includes(l.variant.split('/')[0]));
      if (Number.isFinite(summary.mCE)) result.metrics.mCE = metric.lower(summary.mCE, standardImages.length);
      if (Number.isFinite(summary.meanAccuracy)) {
        result.metrics.accuracy = metric.higher(summary.meanAccuracy, standardImages.length);
      }
      result.breakdowns!.error_by_corruption = summary.error;
      result.breakdowns!.ce_by_corruption = summary.ce;
      result.breakdowns!.error_by_corruption_severity = Object.fromEntries(
        [...totals].map(([variant, [wrong, all]]) => [variant, wrong / all]).sort(),
      );
      delete result.breakdowns!.accuracy_by_variant;
      if (summary.missing.length > 0 && Object.keys(summary.ce).length > 0) {
        result.notes.push(
          `mCE is over ${Object.keys(summary.ce).length} of the 15 standard corruptions; missing: ${summary.missing.join(', ')}`,
        );
      }
      if (summary.extras.length > 0) {
        result.notes.push(`extra corruptions, reported apart and not in mCE: ${summary.extras.join(', ')}`);
      }
      result.notes.push(
        "mCE is in percent of AlexNet's ImageNet-C errors (100 = AlexNet); accuracy = mean over the standard corruptions and severities present",
      );
      // The embedded benchmark's copy is a 9-class task: AlexNet's 1,000-class errors still normalise it (that is
      // what makes runs on it comparable with each other), but its mCE is not comparable with published numbers.
      const in9 = new Set(in9Classes().map((c) => c.wnid));
      if (scored.length > 0 && scored.every((l) => l.targetWnids.every((w) => in9.has(w)))) {
        result.notes.push(
          'scored as a 9-class (IN-9) task against 1,000-class AlexNet errors: compare mCE between runs on this data, not with published ImageNet-C mCE',
        );
      }
      const partial = Object.entries(table).filter(([, bySeverity]) => Object.keys(bySeverity).length < 5);
      if (partial.length > 0) {
        result.notes.push(
          `fewer than 5 severities for: ${partial.map(([c, bySeverity]) => `${c} (${Object.keys(bySeverity).sort().join(',')})`).join(', ')}`,
        );
      }
    },
  }),
);
