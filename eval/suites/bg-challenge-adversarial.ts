/**
 * The Backgrounds Challenge's adversarial test, BGC in the LUAB paper (MadryLab challenge_eval.py and
 * adv_bgs_eval_model): every foreground of `fg_mask/val/<NN_label>/<stem>.npy` (its image being
 * `original/val/<NN_label>/<stem>.JPEG`) is pasted, through its mask, onto every image of `only_bg_t/val/*` (all
 * classes): composite = background * (1 - mask) + mask * foreground. A foreground is vulnerable when ANY of its
 * composites is misclassified; the metric `bgc` is the share of foregrounds that no background fooled. No resize.
 *
 * Items are made, not read (EvalItem.composite; eval/item-bytes.ts composes them). One foreground's composites
 * share `group` = `<NN_label>/<stem>`. The full test is foregrounds x backgrounds images (the embedded benchmark's
 * default: 1,008 x 1,008); a cap of K backgrounds per foreground (`LUAB_BGC_MAX_BACKGROUNDS`, or
 * `setBgcBackgroundCap`) takes a deterministic subset: for foreground i of N backgrounds, the backgrounds
 * (i * K + floor(j * N / K)) mod N, j = 0..K-1, so each foreground sees K spread backgrounds and all backgrounds are
 * used across foregrounds. A capped run says so in the report notes (it can only overstate BGC accuracy).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SPACES } from '../label-space.js';
import { challengeAccuracy } from '../metrics/bg-challenge.js';
import type { EvalItem } from '../types.js';
import { classFolders, defineSuite, imagesIn, metric, rel, requireFolder, stem } from './common.js';
import { BG_ROOT_NAMES } from './bg-challenge.js';
import { in9Folder } from './in9-folders.js';
import { registerSuite } from './registry.js';

const NAME = 'bg-challenge-adversarial';
const CAP_ENV = 'LUAB_BGC_MAX_BACKGROUNDS';

let capOverride: number | undefined;

/** Caps the backgrounds per foreground (undefined: all, the official protocol). Overrides the environment. */
export function setBgcBackgroundCap(cap: number | undefined): void {
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 1)) {
    throw new Error(`${NAME}: the background cap must be a positive integer, got ${cap}`);
  }
  capOverride = cap;
}

function backgroundCap(): number | undefined {
  if (capOverride !== undefined) return capOverride;
  const text = process.env[CAP_ENV];
  if (text === undefined || text === '') return undefined;
  const cap = Number(text);
  if (!Number.isInteger(cap) || cap < 1) throw new Error(`${CAP_ENV}=${text}: not a positive integer`);
  return cap;
}

/** The background indices foreground i uses out of n, with a cap of k (all n when k is undefined or >= n). */
export function backgroundSubset(i: number, n: number, k: number | undefined): number[] {
  if (k === undefined || k >= n) return Array.from({ length: n }, (_, j) => j);
  return Array.from({ length: k }, (_, j) => (i * k + Math.floor((j * n) / k)) % n);
}

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: BG_ROOT_NAMES,
    resize: 'keep-at-input-size',
    space: SPACES.in9,
    in9Copy: false,
    headline: ['bgc'],
    async list(root) {
      const maskRoot = join(root, 'fg_mask', 'val');
      const bgRoot = join(root, 'only_bg_t', 'val');
      await requireFolder(NAME, maskRoot, 'foreground mask folder');
      await requireFolder(NAME, bgRoot, 'background folder');
      const backgrounds: { rel: string; abs: string }[] = [];
      for (const folder of await classFolders(NAME, bgRoot)) {
        in9Folder(NAME, bgRoot, folder);
        for (const file of await imagesIn(NAME, join(bgRoot, folder))) {
          backgrounds.push({ rel: rel(folder, file), abs: join(bgRoot, folder, file) });
        }
      }
      const cap = backgroundCap();
      // Validate every foreground before the first item, then make the composites' items one at a time:
      // foregrounds x backgrounds is a million items on the embedded benchmark's default run.
      const foregrounds: { folder: string; wnid: string; npy: string }[] = [];
      for (const folder of await classFolders(NAME, maskRoot)) {
        const cls = in9Folder(NAME, maskRoot, folder);
        const npys = (await readdir(join(maskRoot, folder))).filter((f) => f.endsWith('.npy')).sort();
        if (npys.length === 0) throw new Error(`${NAME}: class folder ${join(maskRoot, folder)} holds no .npy masks`);
        for (const npy of npys) {
          const foreground = join(root, 'original', 'val', folder, `${stem(npy)}.JPEG`);
          if (!existsSync(foreground)) {
            throw new Error(`${NAME}: mask ${join(maskRoot, folder, npy)} has no image ${foreground}`);
          }
          foregrounds.push({ folder, wnid: cls.wnid, npy });
        }
      }
      const used = cap === undefined ? backgrounds.length : Math.min(cap, backgrounds.length);
      function* items(): Generator<EvalItem> {
        for (const [fgIndex, { folder, wnid, npy }] of foregrounds.entries()) {
          const foreground = join(root, 'original', 'val', folder, `${stem(npy)}.JPEG`);
          const mask = join(maskRoot, folder, npy);
          for (const b of backgroundSubset(fgIndex, backgrounds.length, cap)) {
            const bg = backgrounds[b];
            yield {
              suite: NAME,
              variant: 'adversarial',
              path: rel('adversarial', folder, `${stem(npy)}+${bg.rel}`),
              absPath: foreground,
              targetWnids: [wnid],
              group: rel(folder, stem(npy)),
              composite: { foreground, mask, background: bg.abs },
              location: { mask: { npyPath: mask } },
              attributes: { backgrounds_used: used, backgrounds_total: backgrounds.length },
            };
          }
        }
      }
      return items();
    },
    metrics(scored, result) {
      if (scored.length === 0) return;
      const c = challengeAccuracy(
        scored.map((l) => l.group ?? l.path),
        scored.map((l) => l.score.correct),
      );
      result.metrics.bgc = metric.higher(c.accuracy, c.foregrounds);
      result.metrics.composite_accuracy = result.metrics.accuracy;
      delete result.metrics.accuracy;
      result.breakdowns!.challenge = {
        foregrounds: c.foregrounds,
        vulnerable: c.vulnerable,
        composites: scored.length,
      };
      const used = scored[0].attributes?.backgrounds_used;
      const total = scored[0].attributes?.backgrounds_total;
      if (typeof used === 'number' && typeof total === 'number' && used < total) {
        result.notes.push(
          `bgc over a deterministic subset of ${used} of the ${total} only_bg_t backgrounds per foreground ` +
            `(${CAP_ENV}); the official test uses all, so this can only overstate bgc`,
        );
      }
      result.notes.push(
        'bgc = share of foregrounds that no composite background made misclassified (challenge_eval.py counts the complement as vulnerable)',
      );
    },
  }),
);
