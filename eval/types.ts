/**
 * The evaluation service's shared vocabulary: what a suite reader yields, what the job runner writes per image
 * (one line of `OUT/predictions.jsonl`), and what a finished run's `report.json` holds.
 *
 * Three layers meet here and nowhere else:
 * - readers (eval/suites/, one per benchmark, registered by name) turn a dataset folder into `EvalItem`s;
 * - the job runner (eval/job/) sends each item through an inference endpoint, scores it with the suite's
 *   `scoreItem` and appends a `PredictionLine`, flushed as it arrives, so a killed job resumes where it was;
 * - metrics (eval/metrics/, pure functions) and the suite's `aggregate` turn the lines into `SuiteMetrics`,
 *   which the report (eval/report/) renders. Metrics are computed from predictions.jsonl alone, so a resumed,
 *   sharded or re-rendered run gives exactly the numbers of an uninterrupted one.
 */

/** Where the object is in one image, in pixels of the image as stored (after EXIF orientation). */
export interface ObjectLocation {
  /** [xmin, ymin, xmax, ymax], continuous pixel coordinates (docs/synth.md: xmax = last column + 1). */
  box?: [number, number, number, number];
  /** Further boxes of the same image (ILSVRC LOC XML may list several objects); point-in-box is "in any". */
  extraBoxes?: [number, number, number, number][];
  /** The mask's or object's centroid in pixels; where absent, the box centre is used. */
  centroid?: [number, number];
  /** A mask to test the point against: a .npy file (uint8 0/1, [H, W]) or COCO uncompressed RLE. */
  mask?: { npyPath: string } | { rle: { size: [number, number]; counts: number[] } };
  /** Multi-label suites: a box per class wnid. */
  classBoxes?: Record<string, [number, number, number, number][]>;
}

/** One image of one suite, as a reader yields it. */
export interface EvalItem {
  /** Registry name of the suite (e.g. `imagenet-a`, `bg-challenge`). */
  suite: string;
  /** The suite's sub-division the metrics are grouped by (`mixed_rand`, `fog/3`, `area`, ...); '' when none. */
  variant: string;
  /** Path relative to the suite root: with suite and variant, the item's stable identity (resume, shards). */
  path: string;
  /** Absolute path of the file to send. */
  absPath: string;
  /**
   * The correct answers as wnids in the SUITE's label space: a prediction is right when its wnid is one of them
   * (ReaL and ObjectNet list several). Empty for out-of-distribution items (ImageNet-O's OOD images).
   */
  targetWnids: string[];
  /** ImageNet-O: true for the OOD images (the positives of AUPR), false for the in-distribution IN-val images. */
  ood?: boolean;
  /** A grouping key inside the variant (SI-Score: the area value, angle or "x,y" pair). */
  group?: string;
  location?: ObjectLocation;
  /** Reader-specific facts worth keeping with the prediction (corruption, severity, category, ...). */
  attributes?: Record<string, string | number | boolean>;
  /**
   * The Backgrounds Challenge's adversarial test: the image is made, not read: the foreground image's masked
   * pixels pasted onto the background image (absPath is the foreground). `group` is then the foreground's id.
   */
  composite?: { foreground: string; mask: string; background: string };
  /**
   * Pixels to cut from every side before sending (ObjectNet: its 2-pixel red border, removed by the official
   * loader objectnet-template-pytorch). Locations, if any, are in the uncropped image.
   */
  cropBorderPx?: number;
}

/** How the image must reach the model (the benchmark's own protocol). */
export type ResizePolicy =
  /** The model's own preprocessing (config.json: resize + centre crop). */
  | 'model'
  /**
   * Backgrounds Challenge, ImageNet-C 224 px: an image already at the model's input size goes in untouched;
   * any other size gets the model's preprocessing and the report says so (never silently).
   */
  | 'keep-at-input-size';

/** What the model answered for one image, as the job runner hands it to `scoreItem`. */
export interface ModelOutput {
  /** Score of every model class, in the model's label order (softmax or sigmoid, as served). */
  scores: Float32Array | number[];
  /** Single-label point models: the point, normalised and in pixels of the image as sent. */
  point?: { x: number; y: number; xPx: number; yPx: number };
  /** Multi-label point models: a point per class index. */
  classPoints?: { index: number; x: number; y: number; xPx: number; yPx: number }[];
  imageWidth: number;
  imageHeight: number;
  /** True when the server resized the image (always under 'model'; under 'keep-at-input-size' a size mismatch). */
  resized: boolean;
}

/** The model's label space, from GetModel / config.json. */
export interface ModelLabels {
  name: string;
  version: number;
  task: 'single-label' | 'multi-label';
  labels: { name: string; wnid?: string }[];
  inputWidth: number;
  inputHeight: number;
  hasPoint: boolean;
}

/** The per-image result of a suite's scoring, stored in the prediction line so metrics need nothing else. */
export interface ItemScore {
  /** The suite-space prediction (wnid) after the suite's mask or superclass map; null: unmapped (counts wrong). */
  predictedWnid: string | null;
  /**
   * Set (to the reason) when the item cannot be scored in the model's label space: ReaL's images without a
   * label, an IN-9 model's images whose wnid has no IN-9 class. Counted in SuiteMetrics.counts.skipped.
   */
  skipped?: string;
  /** Top-1 correct under the suite's rule (ObjectNet: the default convention). */
  correct: boolean;
  /** Further named conventions of correctness (ObjectNet's two published ones, ReaL, ...). */
  correctBy?: Record<string, boolean>;
  /** ImageNet-O: the in-distribution score (max softmax over its 200 classes). */
  inDistributionScore?: number;
  /** Point metrics where the item has a location and the model a point; also the constant-centre guess's. */
  point?: {
    inBox?: boolean;
    inMask?: boolean;
    /** Distance to the box centre or mask centroid, as a fraction of the image diagonal. */
    distance?: number;
    centreInBox?: boolean;
    centreInMask?: boolean;
    centreDistance?: number;
    /** Multi-label models: per class (wnid) of the item's classBoxes, that class's point against its boxes. */
    perClass?: { wnid: string; inBox: boolean; distance: number }[];
  };
}

/** One line of OUT/predictions.jsonl. */
export interface PredictionLine {
  suite: string;
  variant: string;
  path: string;
  group?: string;
  targetWnids: string[];
  ood?: boolean;
  /** Model-space top-5, best first. */
  top5: { index: number; score: number }[];
  point?: { x: number; y: number; xPx: number; yPx: number };
  classPoints?: { index: number; x: number; y: number; xPx: number; yPx: number }[];
  imageWidth: number;
  imageHeight: number;
  resized: boolean;
  score: ItemScore;
  model: string;
  version: number;
  latencyMs: number;
  attributes?: Record<string, string | number | boolean>;
  /**
   * The true box (EvalItem.location.box, stored-image pixels), copied so that the report can draw it on the
   * sample images without re-reading the dataset's annotations. Optional: absent where the suite has no boxes.
   */
  box?: [number, number, number, number];
  /** Set instead of the prediction fields when the image failed permanently (undecodable file). */
  error?: { code: string; message: string };
}

/** A metric value with the direction that is better, for the report's arrows and bold. */
export interface MetricValue {
  value: number;
  /** 'higher' (accuracy), 'lower' (error, mCE, FPR@95). */
  better: 'higher' | 'lower';
  /** Images the value is over. */
  count: number;
}

/** A suite's metrics: named values (`accuracy`, `mCE`, `bg_gap`, `si_size`, `point_in_box`, ...). */
export interface SuiteMetrics {
  suite: string;
  metrics: Record<string, MetricValue>;
  /**
   * Optional: the names in `metrics` that the report's Table 1 shows for this suite (the paper's column), in
   * order. Absent: the first metric. Every metric still appears in the per-suite tables.
   */
  headline?: string[];
  /** Per-variant / per-group tables (per-corruption errors, per-area accuracy, ...), name → key → value. */
  breakdowns?: Record<string, Record<string, number>>;
  /** Said in the report: resized images under a no-resize protocol, items skipped by the label map, ... */
  notes: string[];
  /** Images evaluated, skipped (e.g. ReaL's empty lists, unmapped wnids) and failed. */
  counts: { evaluated: number; skipped: number; failed: number };
  failures: { path: string; code: string; message: string }[];
}

/** A benchmark: reads its folder and scores its lines. Registered by name (eval/suites/registry.ts). */
export interface SuiteDefinition {
  /** Registry name, used by `--suites`. */
  name: string;
  /** Folder names under ROOT that hold it, in the order tried (real release name, then the synth layout's). */
  rootNames: string[];
  resize: ResizePolicy;
  /** Lists the suite's items in a deterministic order; throws a precise error on a bad layout. */
  read(root: string): AsyncIterable<EvalItem>;
  /** Checks that the model's label space can be scored on this suite; throws naming both if not. */
  checkLabels(model: ModelLabels): void;
  /** Scores one answer. Pure: the same item and output always give the same score. */
  scoreItem(item: EvalItem, output: ModelOutput, model: ModelLabels): ItemScore;
  /** Metrics over all of the suite's lines (successful and failed). Pure. */
  aggregate(lines: PredictionLine[]): SuiteMetrics;
}

/** report.json of one run (or a merge of shards of one run). */
export interface RunReport {
  schemaVersion: 1;
  /** Model name, version and the provenance object of its config.json. */
  model: { name: string; version: number; provenance?: unknown };
  /** Per suite: its root folder and a fingerprint of its file list (paths and sizes). */
  datasets: Record<string, { root: string; fingerprint: string; items: number }>;
  suites: SuiteMetrics[];
  /** The job: id, endpoints, shard, start and end times, images/s. */
  job: {
    id: string;
    endpoints: string[];
    shard?: { index: number; count: number };
    startedAt: string;
    finishedAt: string;
    imagesPerSecond: number;
    /** Optional, set by `luab report` on a merge of shards: the shards it was made from (job id, shard). */
    mergedFrom?: { id: string; shard: { index: number; count: number } }[];
  };
}
