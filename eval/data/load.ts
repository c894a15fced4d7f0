/**
 * The benchmark facts the readers need (class lists, masks, label maps, AlexNet errors), loaded once from
 * eval/data/. Those files are copies of the benchmarks' released files (eval/data/SOURCES.md says where each
 * comes from); they live in the source tree, so they are found from the package root, not from dist/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../server/util/package-root.js';

const cache = new Map<string, unknown>();

/** Absolute path of a file in eval/data/. */
export function dataPath(name: string): string {
  return join(packageRoot(), 'eval', 'data', name);
}

function cached<T>(name: string, load: (text: string) => T): T {
  if (!cache.has(name)) cache.set(name, load(readFileSync(dataPath(name), 'utf8')));
  return cache.get(name) as T;
}

/** Whitespace-separated wnids, one per line (ImageNet-A/R/O lists). */
const wnidList = (text: string): string[] => text.split(/\s+/).filter((w) => w.length > 0);

/** The 1,000 ImageNet-1k wnids in class-index order (sorted wnids, the order of every 1k model). */
export function in1kWnids(): string[] {
  return cached('imagenet_wnids_1k.txt', (text) =>
    text
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.split('\t')[1]),
  );
}

export const imagenetAWnids = (): string[] => cached('imagenet_a_wnids.txt', wnidList);
export const imagenetRWnids = (): string[] => cached('imagenet_r_wnids.txt', wnidList);
export const imagenetOWnids = (): string[] => cached('imagenet_o_wnids.txt', wnidList);

/** One IN-9 class: its index, wnid, the embedded benchmark's name and the Backgrounds Challenge folder name. */
export interface In9Class {
  index: number;
  wnid: string;
  /** `dog`, `wheeled_vehicle`, ... (the embedded benchmark's classes.json). */
  name: string;
  /** `00_dog`, `02_wheeled vehicle`, ... (the Backgrounds Challenge release, spaces kept). */
  folder: string;
}

/**
 * The release folder names of the Backgrounds Challenge (docs/synth.md lists them; in9_classes.txt has only
 * short names such as "Vehicle"), in IN-9 index order.
 */
const IN9_FOLDER_NAMES = [
  'dog',
  'bird',
  'wheeled vehicle',
  'reptile',
  'carnivore',
  'insect',
  'musical instrument',
  'primate',
  'fish',
];

/** The 9 IN-9 classes (in9_classes.txt order = the index of in_to_in9.json's values). */
export function in9Classes(): In9Class[] {
  return cached('in9_classes.txt', (text) => {
    const wnids = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/).pop() as string);
    if (wnids.length !== IN9_FOLDER_NAMES.length) throw new Error(`eval/data/in9_classes.txt: expected 9 classes`);
    return wnids.map((wnid, index) => ({
      index,
      wnid,
      name: IN9_FOLDER_NAMES[index].replace(/ /g, '_'),
      folder: `${String(index).padStart(2, '0')}_${IN9_FOLDER_NAMES[index]}`,
    }));
  });
}

/** IN-1k index → IN-9 index, or -1 (MadryLab's in_to_in9.json). */
export function in1kToIn9(): Int8Array {
  return cached('in_to_in9.json', (text) => {
    const map = JSON.parse(text) as Record<string, number>;
    const out = new Int8Array(1000).fill(-1);
    for (const [k, v] of Object.entries(map)) out[Number(k)] = v;
    return out;
  });
}

/** ImageNet-C: AlexNet's top-1 errors (fractions) and the 15 standard corruptions of mCE. */
export interface AlexNetErrors {
  corruptions_order: string[];
  alexnet_error_mean_over_severities: Record<string, number>;
  alexnet_error_per_severity_1_to_5: Record<string, number[]>;
  extra_corruptions_not_in_mCE: string[];
}

export const imagenetCAlexNet = (): AlexNetErrors =>
  cached('imagenet_c_alexnet_errors.json', (text) => JSON.parse(text) as AlexNetErrors);

/** ReaL: for the i-th validation image (ILSVRC2012_val_{i+1}), its reassessed IN-1k indices (maybe none). */
export const realLabels = (): number[][] => cached('real.json', (text) => JSON.parse(text) as number[][]);

interface SiScoreClasses {
  folder_name_to_imagenet_wnid_and_name: Record<string, [string, string]>;
}

/** SI-Score's class folder name → IN-1k wnid (google-research/si-score label_str_to_imagenet_classes). */
export const siScoreFolderWnids = (): Record<string, string> =>
  cached('si_score_classes.json', (text) => {
    const parsed = JSON.parse(text) as SiScoreClasses;
    return Object.fromEntries(
      Object.entries(parsed.folder_name_to_imagenet_wnid_and_name).map(([folder, [wnid]]) => [folder, wnid]),
    );
  });

/** ObjectNet: the 113 folders that overlap IN-1k, each with the IN-1k indices it is correct for. */
export const objectnetFolders = (): Record<string, { objectnet_label: string; imagenet_1k_indices: number[] }> =>
  cached('objectnet_113_folder_to_in1k_indices.json', (text) => JSON.parse(text));
