/**
 * What every suite shares: sorted, validated folder listings; scoring one answer in the suite's label space
 * with the point metrics; and the metrics every suite reports (counts, accuracy, point metrics, resize notes).
 * Each suite module adds only its own layout and its own published metric.
 */
import { readdir, stat } from 'node:fs/promises';
import { SPACES, checkSpaces, labelScorer, spaceForItem, type SuiteLabelSpace } from '../label-space.js';
import { loadMask, maskAt, maskBox, maskCentroid, type Mask } from '../locations.js';
import { accuracy, groupAccuracy } from '../metrics/accuracy.js';
import {
  boxCentre,
  distanceFraction,
  pointInAnyBox,
  summarisePoints,
  type Box,
  type PointOutcome,
} from '../metrics/points.js';
import type {
  EvalItem,
  ItemScore,
  MetricValue,
  ModelLabels,
  ModelOutput,
  PredictionLine,
  ResizePolicy,
  SuiteDefinition,
  SuiteMetrics,
} from '../types.js';

const IMAGE_FILE = /\.(jpe?g|png|bmp|webp|tiff?)$/i;

/** Throws unless `root` is a folder, naming the suite and the folder. */
export async function requireFolder(suite: string, root: string, what = 'suite folder'): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch {
    throw new Error(`${suite}: ${what} ${root} does not exist`);
  }
  if (!isDir) throw new Error(`${suite}: ${what} ${root} is not a folder`);
}

/** Sub-folder names, sorted (code-point order, as Python's sorted(os.listdir) in the official loaders). */
export async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Image file names in a folder, sorted (none: an empty list). */
export async function imageFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory() && IMAGE_FILE.test(e.name) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Image file names in a class folder, sorted; an empty class folder is an error naming it. */
export async function imagesIn(suite: string, dir: string): Promise<string[]> {
  const files = await imageFiles(dir);
  if (files.length === 0) throw new Error(`${suite}: class folder ${dir} holds no images`);
  return files;
}

/** Class folders of `dir`; none is an error naming the folder. */
export async function classFolders(suite: string, dir: string): Promise<string[]> {
  await requireFolder(suite, dir, 'folder');
  const folders = await subfolders(dir);
  if (folders.length === 0) throw new Error(`${suite}: ${dir} holds no class folders`);
  return folders;
}

/** The stem of a file name (no extension). */
export const stem = (file: string): string => file.replace(/\.[^.]+$/, '');

/**
 * Validates that every class folder is a wnid of `allowed` (1k-style suites), or of IN-9 (the embedded
 * benchmark's copy); returns the space the folders are in.
 */
export function wnidFolderSpace(
  suite: string,
  dir: string,
  folders: string[],
  allowed: SuiteLabelSpace,
  allowIn9: boolean,
): SuiteLabelSpace {
  const inAllowed = new Set(allowed.wnids);
  const in9 = new Set(SPACES.in9().wnids);
  if (allowIn9 && folders.every((f) => in9.has(f))) return SPACES.in9();
  const bad = folders.find((f) => !inAllowed.has(f));
  if (bad !== undefined) {
    throw new Error(
      `${suite}: class folder "${bad}" in ${dir} is not a wnid of ${allowed.name} ` +
        `(${allowed.wnids.length} wnids in eval/data)` +
        (allowIn9 ? ' nor, with the other folders, of IN-9' : ''),
    );
  }
  return allowed;
}

/** Image size for the diagonal: the size the server reports for the image it got. */
function pointOutcome(
  item: EvalItem,
  output: ModelOutput,
  model: ModelLabels,
  targets: string[],
): PointOutcome | undefined {
  const location = item.location;
  if (!location) return undefined;
  const width = output.imageWidth;
  const height = output.imageHeight;
  let point: { xPx: number; yPx: number } | undefined = output.point;
  if (!point && output.classPoints) {
    // A multi-label model's point for the item's class (the first target the model has).
    const index = model.labels.findIndex((l) => l.wnid !== undefined && targets.includes(l.wnid));
    point = output.classPoints.find((p) => p.index === index);
  }
  let mask: Mask | undefined;
  if (location.mask) mask = loadMask(location.mask);
  const boxes: Box[] = [];
  const box = location.box ?? (mask ? maskBox(mask) : null) ?? undefined;
  if (box) boxes.push(box);
  if (location.extraBoxes) boxes.push(...location.extraBoxes);
  const centre = location.centroid ?? (mask ? maskCentroid(mask) : null) ?? (box ? boxCentre(box) : undefined);
  const cx = width / 2;
  const cy = height / 2;
  const outcome: PointOutcome = {};
  if (boxes.length > 0) outcome.centreInBox = pointInAnyBox(cx, cy, boxes);
  if (mask) outcome.centreInMask = maskAt(mask, cx, cy);
  if (centre) outcome.centreDistance = distanceFraction(cx, cy, centre, width, height);
  if (point) {
    if (boxes.length > 0) outcome.inBox = pointInAnyBox(point.xPx, point.yPx, boxes);
    if (mask) outcome.inMask = maskAt(mask, point.xPx, point.yPx);
    if (centre) outcome.distance = distanceFraction(point.xPx, point.yPx, centre, width, height);
  }
  return outcome;
}

/** Multi-label models against per-class boxes: each class's own point against that class's boxes. */
function perClassPoints(
  item: EvalItem,
  output: ModelOutput,
  model: ModelLabels,
): { wnid: string; inBox: boolean; distance: number }[] | undefined {
  const classBoxes = item.location?.classBoxes;
  if (!classBoxes || !output.classPoints) return undefined;
  const out: { wnid: string; inBox: boolean; distance: number }[] = [];
  for (const wnid of Object.keys(classBoxes).sort()) {
    const index = model.labels.findIndex((l) => l.wnid === wnid);
    const p = output.classPoints.find((c) => c.index === index);
    const boxes = classBoxes[wnid];
    if (!p || boxes.length === 0) continue;
    const nearest = Math.min(
      ...boxes.map((b) => distanceFraction(p.xPx, p.yPx, boxCentre(b), output.imageWidth, output.imageHeight)),
    );
    out.push({ wnid, inBox: pointInAnyBox(p.xPx, p.yPx, boxes), distance: nearest });
  }
  return out.length > 0 ? out : undefined;
}

/** How a suite scores its answers; the parts a suite module supplies. */
export interface SuiteSpec {
  name: string;
  rootNames: string[];
  resize: ResizePolicy;
  /** The suite's label space in its real release. */
  space: () => SuiteLabelSpace;
  /** The embedded benchmark has an IN-9 copy of this suite (its items then carry IN-9 wnids). */
  in9Copy: boolean;
  /**
   * Lists every item, validating the layout first so a bad folder fails before any image is sent. An iterable
   * rather than an array lets a suite whose items are made (the adversarial challenge's foregrounds x
   * backgrounds) produce them one at a time.
   */
  list(root: string): Promise<Iterable<EvalItem>>;
  /** Adds the suite's own fields to the shared score (ObjectNet's conventions, ImageNet-O's confidence). */
  refine?(item: EvalItem, output: ModelOutput, model: ModelLabels, score: ItemScore): ItemScore;
  /** Adds the suite's own metrics to the shared ones, from the scored (not skipped, not failed) lines. */
  metrics?(scored: PredictionLine[], result: SuiteMetrics): void;
  /** The metrics the paper's Table 1 shows for this suite (report.md's first table); default: accuracy. */
  headline?: string[];
}

/** Scores one answer in the item's label space, with the point metrics. */
export function scoreInSpace(
  suite: string,
  suiteSpace: SuiteLabelSpace,
  item: EvalItem,
  output: ModelOutput,
  model: ModelLabels,
): ItemScore {
  const scorer = labelScorer(model, spaceForItem(suiteSpace, item.targetWnids), suite);
  const prediction = scorer.predict(output.scores);
  if (item.ood) {
    return { predictedWnid: prediction.wnid, correct: false, inDistributionScore: prediction.confidence };
  }
  const targets = item.targetWnids.length === 0 ? null : scorer.mapTargets(item.targetWnids);
  if (targets === null) {
    const skipped =
      item.targetWnids.length === 0
        ? 'the image has no label'
        : `no IN-9 class for ${item.targetWnids.join(', ')} (in_to_in9.json)`;
    return { predictedWnid: prediction.wnid, correct: false, skipped };
  }
  const score: ItemScore = {
    predictedWnid: prediction.wnid,
    correct: prediction.wnid !== null && targets.includes(prediction.wnid),
  };
  // ImageNet-O's in-distribution items (ood false) need their confidence too.
  if (item.ood !== undefined) score.inDistributionScore = prediction.confidence;
  const point = pointOutcome(item, output, model, item.targetWnids);
  const perClass = perClassPoints(item, output, model);
  if (point || perClass) score.point = { ...point, ...(perClass ? { perClass } : {}) };
  return score;
}

const higher = (value: number, count: number): MetricValue => ({ value, better: 'higher', count });
const lower = (value: number, count: number): MetricValue => ({ value, better: 'lower', count });
export const metric = { higher, lower };

/** The lines that were scored: neither failed nor skipped. */
export const scoredLines = (lines: PredictionLine[]): PredictionLine[] =>
  lines.filter((l) => !l.error && l.score && l.score.skipped === undefined);

/** Counts, failures, accuracy, per-variant accuracy, point metrics and notes: what every suite reports. */
export function baseMetrics(
  spec: SuiteSpec,
  lines: PredictionLine[],
): { result: SuiteMetrics; scored: PredictionLine[] } {
  const failed = lines.filter((l) => l.error);
  const skipped = lines.filter((l) => !l.error && l.score?.skipped !== undefined);
  const scored = scoredLines(lines);
  const result: SuiteMetrics = {
    suite: spec.name,
    metrics: {},
    breakdowns: {},
    notes: [],
    counts: { evaluated: scored.length, skipped: skipped.length, failed: failed.length },
    failures: failed.map((l) => ({ path: l.path, code: l.error?.code ?? '', message: l.error?.message ?? '' })),
  };
  const labelled = scored.filter((l) => !l.ood);
  if (labelled.length > 0) {
    result.metrics.accuracy = higher(accuracy(labelled.map((l) => l.score.correct)), labelled.length);
    const variants = new Set(labelled.map((l) => l.variant));
    if (variants.size > 1 || (variants.size === 1 && !variants.has(''))) {
      result.breakdowns!.accuracy_by_variant = groupAccuracy(
        labelled.map((l) => l.variant),
        labelled.map((l) => l.score.correct),
      );
    }
  }
  const points = summarisePoints(scored.map((l) => l.score.point));
  for (const [name, rate] of Object.entries(points)) {
    result.metrics[name] = name.endsWith('distance') ? lower(rate.value, rate.count) : higher(rate.value, rate.count);
  }
  const perClass = scored.flatMap((l) => l.score.point?.perClass ?? []);
  if (perClass.length > 0) {
    result.metrics.class_point_in_box = higher(
      perClass.filter((p) => p.inBox).length / perClass.length,
      perClass.length,
    );
    result.metrics.class_point_distance = lower(
      perClass.reduce((s, p) => s + p.distance, 0) / perClass.length,
      perClass.length,
    );
  }
  const reasons = new Map<string, number>();
  for (const l of skipped) {
    const key = l.score.skipped!.startsWith('no IN-9 class')
      ? 'their wnid has no IN-9 class (in_to_in9.json)'
      : l.score.skipped!;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  for (const [reason, n] of reasons) result.notes.push(`${n} images skipped: ${reason}`);
  if (spec.resize === 'keep-at-input-size') {
    const resized = lines.filter((l) => !l.error && l.resized).length;
    if (resized > 0) {
      result.notes.push(
        `${resized} images were resized to the model's input size: the official protocol feeds them unresized, ` +
          'so these numbers are not comparable with published ones',
      );
    }
  }
  if (Object.keys(result.breakdowns!).length === 0) delete result.breakdowns;
  return { result, scored };
}

/** Builds a SuiteDefinition from its spec; the definition is what `registerSuite` takes. */
export function defineSuite(spec: SuiteSpec): SuiteDefinition {
  return {
    name: spec.name,
    rootNames: spec.rootNames,
    resize: spec.resize,
    async *read(root: string) {
      await requireFolder(spec.name, root);
      yield* await spec.list(root);
    },
    checkLabels(model: ModelLabels) {
      checkSpaces(model, spec.in9Copy ? [spec.space(), SPACES.in9()] : [spec.space()], spec.name);
    },
    scoreItem(item: EvalItem, output: ModelOutput, model: ModelLabels) {
      const score = scoreInSpace(spec.name, spec.space(), item, output, model);
      return spec.refine ? spec.refine(item, output, model, score) : score;
    },
    aggregate(lines: PredictionLine[]) {
      const own = lines.filter((l) => l.suite === spec.name);
      const { result, scored } = baseMetrics(spec, own);
      spec.metrics?.(scored, result);
      result.headline = (spec.headline ?? ['accuracy']).filter((name) => name in result.metrics);
      if (result.breakdowns && Object.keys(result.breakdowns).length === 0) delete result.breakdowns;
      return result;
    },
  };
}

/** Path relative to a root with forward slashes (the item's stable identity). */
export const rel = (...parts: string[]): string => parts.join('/');
