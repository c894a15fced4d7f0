/**
 * The contract between the generator and its parts (the training set and each stress suite). A part plans jobs
 * in the main thread (plain data, deterministic from the seed), renders them in workers, and writes its
 * sidecar files once every record is back.
 */
import type { BackgroundIndexEntry } from '../backgrounds.js';
import type { Composer } from '../composer.js';
import type { SynthConfig } from '../config.js';
import type { IconCatalogue } from '../icons.js';
import type { OutputWriter } from '../output-writer.js';
import type { Pools } from '../pools.js';
import type { CocoRle } from '../raster.js';

/** What planning sees. */
export interface PlanContext {
  seed: number;
  config: SynthConfig;
  pools: Pools;
  icons: IconCatalogue;
  photos: ReadonlyMap<string, BackgroundIndexEntry>;
}

/** One unit of work for a worker; `outputs` is the number of images it writes (for the progress bar). */
export interface Job {
  part: string;
  index: number;
  outputs: number;
}

/** What rendering sees, inside a worker. */
export interface RenderContext {
  seed: number;
  config: SynthConfig;
  composer: Composer;
  /** Writes below the part's root folder. */
  out: OutputWriter;
}

export type Box = [number, number, number, number];

/** A simulated click of a training image, in fractions of the image (the byproducts' frame). */
export interface RecordedClick {
  x: number;
  y: number;
  inside: boolean;
  /** Whether the object's box holds the image centre (a centre click would hit it). */
  centreInBox: boolean;
  kind: string;
}

/**
 * Where the object of one written image is: the sidecar line (objects.jsonl) of the suites, and the in-memory
 * record of the training set. Pixel coordinates are continuous (pixel edges at integers).
 */
export interface ImageRecord {
  /** Relative to the part's root folder. */
  path: string;
  variant: string;
  class: string;
  label: number;
  wnid: string;
  width: number;
  height: number;
  /** False where the variant removed the object (no_fg, only_bg_*) or it left the image (SI-Score location). */
  object_visible: boolean;
  /** [xmin, ymin, xmax, ymax] in pixels; where the object is, or was before the variant removed it. */
  box: Box | null;
  /** Mean of the object's pixel centres, in pixels. */
  centroid: [number, number] | null;
  /** The centroid in [0, 1] of width and height: the frame of the served point. */
  point: [number, number] | null;
  /** Object pixels (coverage >= 0.5). */
  area: number;
  /** The .npy mask, relative to the part root, where the layout has one. */
  mask: string | null;
  /** The object's mask (where it is, or was), COCO uncompressed RLE; null when no pixel is in the image. */
  mask_rle: CocoRle | null;
  icon: string;
  background: string | null;
  background_class: string | null;
  /** Suite-specific values: corruption and severity, SI-Score factors, rendition set. */
  attributes: Record<string, string | number>;
  /** Training images only: the first click of every selected block, and the loader's target (their mean). */
  clicks?: RecordedClick[];
  target?: [number, number] | null;
}

/** What a part reports for the manifest. */
export type PartSummary = Record<string, unknown>;

/** The main thread's view after rendering: records in job order. */
export interface FinishContext {
  config: SynthConfig;
  out: OutputWriter;
  plan: PlanContext;
}

export interface DatasetPart<J extends Job = Job> {
  name: string;
  /** Folder of the part below the run's folder ('' for the training set). */
  root: string;
  plan(ctx: PlanContext): J[];
  render(job: J, ctx: RenderContext): Promise<ImageRecord[]>;
  /** Writes sidecars (objects.jsonl, metadata.csv, ...) and summarises the part for the manifest. */
  finish(records: ImageRecord[], ctx: FinishContext): Promise<PartSummary>;
  /** Rows of records to show on the part's contact sheet. */
  sheet(records: ImageRecord[], limit: number): ImageRecord[][];
}
