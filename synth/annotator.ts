/**
 * The simulated annotator behind the training set's byproducts, after ImageNet-AB (paper: "Neglected Free
 * Lunch", ICCV 2023): an annotator sees the image on a HIT page, moves the mouse over it, and clicks to (re)select
 * it. The first click of a selected block is the point target. Its error profile follows the paper's statistics:
 * whether the click lands inside the GT box depends on where the object is and how large it is (appendix E.1:
 * 82.9% inside overall, but only 56.5% where a click at the image centre would miss the box), and on the worker
 * (appendix D.1: workers differ); the misses are near misses toward the top-right (a comet-shaped tail) and a
 * few misclicks anywhere.
 */
import type { AnnotatorConfig, ClickConfig } from './config.js';
import { Rng } from './rng.js';

/** A box in fractions of the image: [x0, y0, x1, y1], the click frame of the byproducts. */
export type UnitBox = [number, number, number, number];

export function insideBox(x: number, y: number, box: UnitBox): boolean {
  return x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];
}

export type ClickKind = 'on_object' | 'near_miss' | 'far_off';

export interface Click {
  x: number;
  y: number;
  kind: ClickKind;
}

/** Appendix E.1 of the paper, what the default click model is calibrated to: first clicks inside the GT box. */
export const E1_INSIDE_BOX_RATE = 0.829;
/** Appendix E.1: the same where a click at the image centre would miss the box. */
export const E1_INSIDE_BOX_RATE_CENTRE_OUTSIDE_BOX = 0.565;

const MAX_TRIES = 200;

function onObject(rng: Rng, c: ClickConfig, box: UnitBox, centroid: [number, number]): Click {
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  for (let i = 0; i < MAX_TRIES; i++) {
    const x = centroid[0] + c.bias[0] * bw + c.spread * bw * rng.normal();
    const y = centroid[1] + c.bias[1] * bh + c.spread * bh * rng.normal();
    if (insideBox(x, y, box)) return { x, y, kind: 'on_object' };
  }
  return { x: centroid[0], y: centroid[1], kind: 'on_object' }; // the centroid of a mask lies in its box
}

function inUnitSquareOutsideBox(x: number, y: number, box: UnitBox): boolean {
  return x >= 0 && x <= 1 && y >= 0 && y <= 1 && !insideBox(x, y, box);
}

function nearMiss(rng: Rng, c: ClickConfig, box: UnitBox, centroid: [number, number]): Click | undefined {
  for (let i = 0; i < MAX_TRIES; i++) {
    const angle = ((c.tail_angle_deg + c.tail_angle_sd_deg * rng.normal()) * Math.PI) / 180;
    const dx = Math.cos(angle);
    const dy = -Math.sin(angle); // up is -y in image coordinates
    // Leave the box along the ray from the centroid, then go a heavy-tailed distance further.
    const tx = dx > 0 ? (box[2] - centroid[0]) / dx : dx < 0 ? (box[0] - centroid[0]) / dx : Infinity;
    const ty = dy > 0 ? (box[3] - centroid[1]) / dy : dy < 0 ? (box[1] - centroid[1]) / dy : Infinity;
    const t = Math.min(tx, ty) + 1e-6 + rng.exponential(c.tail_scale);
    const x = centroid[0] + dx * t;
    const y = centroid[1] + dy * t;
    if (inUnitSquareOutsideBox(x, y, box)) return { x, y, kind: 'near_miss' };
  }
  return undefined;
}

function farOff(rng: Rng, box: UnitBox): Click | undefined {
  for (let i = 0; i < MAX_TRIES; i++) {
    const x = rng.float();
    const y = rng.float();
    if (!insideBox(x, y, box)) return { x, y, kind: 'far_off' };
  }
  return undefined;
}

/**
 * One worker's idiosyncrasies (appendix D.1): a click offset of their own, a steadier or shakier hand, and a skill
 * that shifts their hit rate. Drawn from the run's seed and the worker id (`crowdStyles`), so a worker is the
 * same on every image and in every run with that seed.
 */
export interface WorkerStyle {
  /** Added to `bias`, box widths/heights. */
  bias: [number, number];
  /** Multiplies `spread`. */
  spreadFactor: number;
  /** Added to the logit of the inside-box probability. */
  skill: number;
}

/** The neutral worker: exactly the configured click model (tests of the model itself use it). */
export const AVERAGE_WORKER: WorkerStyle = { bias: [0, 0], spreadFactor: 1, skill: 0 };

/** The simulated crowd's worker ids (HITs are assigned to them in `planHits`). */
export function workerIds(seed: number, config: AnnotatorConfig): string[] {
  return Array.from({ length: config.worker_pool }, (_, i) => new Rng(seed, 'worker', i).hex(10, true));
}

function rawStyle(seed: number, c: ClickConfig, workerId: string): WorkerStyle {
  const rng = new Rng(seed, 'worker-style', workerId);
  return {
    bias: [c.worker_bias_sd * rng.normal(), c.worker_bias_sd * rng.normal()],
    spreadFactor: Math.exp(c.worker_spread_log_sd * rng.normal()),
    skill: c.worker_skill_sd * rng.normal(),
  };
}

/**
 * Every worker's style, centred over the clicks the crowd makes: the mean bias and skill, weighted by `weights`
 * (blocks per worker; 1 each when absent), are exactly 0 and the weighted geometric mean spread factor is 1. A
 * small crowd (the default run's ~25 HITs go to ~25 of the 60 workers) would otherwise shift the whole dataset's
 * rates by its own luck, and they would no longer be the calibrated ones; the workers still differ from each other.
 */
export function crowdStyles(
  seed: number,
  config: AnnotatorConfig,
  weights?: ReadonlyMap<string, number>,
): Map<string, WorkerStyle> {
  const ids = workerIds(seed, config);
  const raw = ids.map((id) => rawStyle(seed, config.click, id));
  const w = ids.map((id) => (weights ? (weights.get(id) ?? 0) : 1));
  const total = w.reduce((a, b) => a + b, 0) || 1;
  const mean = (f: (s: WorkerStyle) => number): number => raw.reduce((a, s, i) => a + w[i] * f(s), 0) / total;
  const [bx, by, skill] = [mean((s) => s.bias[0]), mean((s) => s.bias[1]), mean((s) => s.skill)];
  const logSpread = mean((s) => Math.log(s.spreadFactor));
  return new Map(
    ids.map((id, i) => [
      id,
      {
        bias: [raw[i].bias[0] - bx, raw[i].bias[1] - by],
        spreadFactor: Math.exp(Math.log(raw[i].spreadFactor) - logSpread),
        skill: raw[i].skill - skill,
      },
    ]),
  );
}

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const clampRate = (p: number): number => Math.min(1 - 1e-9, Math.max(1e-9, p));

/**
 * P(the click lands inside the box), before misses are drawn: the rate for the object's position (does the box
 * hold the image centre, where the eye starts?), moved on the logit scale by `size_slope` per doubling of the box
 * area relative to `reference_area`, and by the worker's skill.
 */
export function insideProbability(c: ClickConfig, box: UnitBox, worker: WorkerStyle = AVERAGE_WORKER): number {
  const base = insideBox(0.5, 0.5, box) ? c.inside_rate_centre_in_box : c.inside_rate_centre_outside_box;
  const area = Math.max((box[2] - box[0]) * (box[3] - box[1]), 1e-6);
  return sigmoid(logit(clampRate(base)) + c.size_slope * Math.log2(area / c.reference_area) + worker.skill);
}

/**
 * One click with the configured error profile: inside the box with probability `insideProbability` exactly, as
 * long as the box leaves room outside it (a box covering the whole image can only be clicked inside).
 */
export function sampleClick(
  rng: Rng,
  c: ClickConfig,
  box: UnitBox,
  centroid: [number, number],
  worker: WorkerStyle = AVERAGE_WORKER,
): Click {
  const own = {
    ...c,
    bias: [c.bias[0] + worker.bias[0], c.bias[1] + worker.bias[1]] as [number, number],
    spread: c.spread * worker.spreadFactor,
  };
  if (rng.bernoulli(insideProbability(c, box, worker))) return onObject(rng, own, box, centroid);
  const miss = rng.bernoulli(c.far_off_fraction)
    ? (farOff(rng, box) ?? nearMiss(rng, own, box, centroid))
    : (nearMiss(rng, own, box, centroid) ?? farOff(rng, box));
  return miss ?? onObject(rng, own, box, centroid);
}

/** Where and when a HIT showed the image; shared by all images of the HIT (planned in the main thread). */
export interface HitSlot {
  hitId: string;
  assignmentId: string;
  workerId: string;
  imagenetHitId: string;
  pageIdx: number;
  imageIdx: number;
  /** Epoch ms when the page was opened. */
  pageStartMs: number;
  hitSubmitTime: number;
  position: { x: number; y: number };
  /** The worker's click style (`crowdStyles`, centred over this plan's blocks). */
  worker: WorkerStyle;
}

export interface TimedPoint {
  time: number;
  x: number;
  y: number;
}

/** One <metadata> block: what one annotator did with one image. */
export interface MetadataBlock {
  assignment_id: string;
  estimateTime: number;
  hit_id: string;
  hit_submit_time: number;
  hoveredCount: number;
  hoveredRecord: Array<{ action: 'enter' | 'leave'; time: number }>;
  imageHeight: number;
  imageID: string;
  imagePosition: { x: number; y: number };
  imageWidth: number;
  image_idx: number;
  imagenet_hit_id: string;
  mouseTracking: TimedPoint[];
  originalImageHeight: number;
  originalImageWidth: number;
  page_idx: number;
  selected: boolean;
  selectedCount: number;
  selectedRecord: TimedPoint[];
  worker_id: string;
  /** Not written to XML: how the first click was drawn (tests and the manifest's statistics use it). */
  firstClickKind?: ClickKind;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** A mouse path entering from an image edge and ending exactly at `end` (the click, or an exit point). */
function mousePath(
  rng: Rng,
  start: [number, number],
  end: [number, number],
  startMs: number,
  endMs: number,
): TimedPoint[] {
  const count = rng.int(2, 7);
  const control: [number, number] = [
    clamp01((start[0] + end[0]) / 2 + 0.25 * rng.normal()),
    clamp01((start[1] + end[1]) / 2 + 0.25 * rng.normal()),
  ];
  const points: TimedPoint[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1);
    const x = (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * control[0] + t * t * end[0];
    const y = (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * control[1] + t * t * end[1];
    points.push({ time: Math.round(startMs + t * (endMs - startMs)), x: clamp01(x), y: clamp01(y) });
  }
  points[count - 1] = { time: endMs, x: end[0], y: end[1] };
  return points;
}

function edgePoint(rng: Rng): [number, number] {
  const along = rng.float();
  switch (rng.int(0, 3)) {
    case 0:
      return [0, along];
    case 1:
      return [1, along];
    case 2:
      return [along, 0];
    default:
      return [along, 1];
  }
}

export interface BlockInput {
  imageId: string;
  width: number;
  height: number;
  box: UnitBox;
  centroid: [number, number];
  slot: HitSlot;
}

/** Simulates one annotator on one image. */
export function simulateBlock(rng: Rng, config: AnnotatorConfig, input: BlockInput): MetadataBlock {
  const selected = rng.bernoulli(config.selected_rate);
  const toggles = (selected ? 1 : 0) + (rng.bernoulli(config.extra_toggle_rate) ? 2 : 0);
  const enterMs = input.slot.pageStartMs + input.slot.imageIdx * 900 + rng.int(0, 600);
  const records: TimedPoint[] = [];
  let mouseTracking: TimedPoint[];
  let leaveMs: number;
  let firstClickKind: ClickKind | undefined;
  let estimateTime: number;
  if (toggles > 0) {
    const click = sampleClick(rng, config.click, input.box, input.centroid, input.slot.worker);
    firstClickKind = click.kind;
    const clickMs = enterMs + rng.int(150, 1500);
    mouseTracking = mousePath(rng, edgePoint(rng), [click.x, click.y], enterMs, clickMs - rng.int(0, 40));
    records.push({ time: clickMs, x: click.x, y: click.y });
    let t = clickMs;
    for (let i = 1; i < toggles; i++) {
      t += rng.int(250, 1500);
      records.push({ time: t, x: clamp01(click.x + 0.03 * rng.normal()), y: clamp01(click.y + 0.03 * rng.normal()) });
    }
    leaveMs = t + rng.int(100, 800);
    estimateTime = clickMs - enterMs;
  } else {
    leaveMs = enterMs + rng.int(100, 900);
    mouseTracking = mousePath(rng, edgePoint(rng), edgePoint(rng), enterMs, leaveMs);
    estimateTime = leaveMs - enterMs;
  }
  return {
    assignment_id: input.slot.assignmentId,
    estimateTime,
    hit_id: input.slot.hitId,
    hit_submit_time: input.slot.hitSubmitTime,
    hoveredCount: 1,
    hoveredRecord: [
      { action: 'enter', time: enterMs },
      { action: 'leave', time: leaveMs },
    ],
    imageHeight: config.display_size,
    imageID: input.imageId,
    imagePosition: input.slot.position,
    imageWidth: config.display_size,
    image_idx: input.slot.imageIdx,
    imagenet_hit_id: input.slot.imagenetHitId,
    mouseTracking,
    originalImageHeight: input.height,
    originalImageWidth: input.width,
    page_idx: input.slot.pageIdx,
    selected: toggles % 2 === 1,
    selectedCount: toggles,
    selectedRecord: records,
    worker_id: input.slot.workerId,
    firstClickKind,
  };
}

/**
 * Assigns annotator rounds to HITs: round k holds the images that k+1 or more annotators saw, shuffled, cut into
 * HITs of pages_per_hit x images_per_page. Returns, per image, one slot per annotator, with its worker's style.
 */
export function planHits(seed: number, config: AnnotatorConfig, annotatorsPerImage: readonly number[]): HitSlot[][] {
  const perHit = config.pages_per_hit * config.images_per_page;
  const workers = workerIds(seed, config);
  const columns = Math.max(1, Math.floor(Math.sqrt(config.images_per_page * 1.5)));
  const slots: HitSlot[][] = annotatorsPerImage.map(() => []);
  const rounds = Math.max(0, ...annotatorsPerImage);
  let hitIndex = 0;
  for (let round = 0; round < rounds; round++) {
    const images = new Rng(seed, 'hit-order', round).shuffle(
      annotatorsPerImage.flatMap((n, i) => (n > round ? [i] : [])),
    );
    for (let start = 0; start < images.length; start += perHit, hitIndex++) {
      const rng = new Rng(seed, 'hit', hitIndex);
      const hitStartMs = config.campaign_start * 1000 + hitIndex * 240_000 + rng.int(0, 120_000);
      const pageMs = 30_000;
      const hit = {
        hitId: rng.alnum(30),
        assignmentId: rng.alnum(30),
        workerId: rng.pick(workers),
        imagenetHitId: rng.hex(32),
        hitSubmitTime: Math.floor((hitStartMs + config.pages_per_hit * pageMs + rng.int(5_000, 90_000)) / 1000),
      };
      images.slice(start, start + perHit).forEach((image, k) => {
        const pageIdx = Math.floor(k / config.images_per_page);
        const imageIdx = k % config.images_per_page;
        const gap = config.display_size + 24;
        slots[image].push({
          ...hit,
          pageIdx,
          imageIdx,
          pageStartMs: hitStartMs + pageIdx * pageMs,
          position: { x: 40 + (imageIdx % columns) * gap, y: 220 + Math.floor(imageIdx / columns) * gap },
          worker: AVERAGE_WORKER,
        });
      });
    }
  }
  const blocksPerWorker = new Map<string, number>();
  for (const slot of slots.flat()) blocksPerWorker.set(slot.workerId, (blocksPerWorker.get(slot.workerId) ?? 0) + 1);
  const styles = crowdStyles(seed, config, blocksPerWorker);
  for (const slot of slots.flat()) slot.worker = styles.get(slot.workerId) ?? AVERAGE_WORKER;
  return slots;
}
