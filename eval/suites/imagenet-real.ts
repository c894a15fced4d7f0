/**
 * ImageNet ReaL (Beyer et al. 2020; google-research/reassessed-imagenet): the IN-1k validation images scored
 * against real.json, whose i-th list holds the reassessed labels of ILSVRC2012_val_{i+1, 8 digits}, i.e. the
 * validation file names in sorted order. A prediction is right when it is in the list; the 3,163 images with an
 * empty list are skipped and counted (the paper's rule). Files may sit in class folders or flat.
 */
import { join } from 'node:path';
import { in1kWnids, realLabels } from '../data/load.js';
import { SPACES } from '../label-space.js';
import type { EvalItem } from '../types.js';
import { defineSuite, imageFiles, imagesIn, rel, requireFolder, subfolders } from './common.js';
import { xmlLocation, xmlSibling } from './imagenet-val.js';
import { registerSuite } from './registry.js';

const NAME = 'imagenet-real';
const VAL_FILE = /^ILSVRC2012_val_(\d{8})\.[A-Za-z]+$/;

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['imagenet/val'],
    resize: 'model',
    space: SPACES.in1k,
    in9Copy: false,
    async list(root) {
      const labels = realLabels();
      const wnids = in1kWnids();
      await requireFolder(NAME, root);
      const folders = await subfolders(root);
      const files: { dir: string; file: string }[] = [];
      for (const dir of ['', ...folders]) {
        // Flat layout: every image at the top; class-folder layout: none there, and no class folder empty.
        const names = dir === '' ? await imageFiles(root) : await imagesIn(NAME, join(root, dir));
        for (const file of names) files.push({ dir, file });
      }
      if (files.length === 0) throw new Error(`${NAME}: ${root} holds no ILSVRC2012_val_*.JPEG images`);
      files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      const xmlRoot = xmlSibling(root);
      const items: EvalItem[] = [];
      for (const { dir, file } of files) {
        const match = VAL_FILE.exec(file);
        if (!match) throw new Error(`${NAME}: ${join(root, dir, file)} is not named ILSVRC2012_val_<8 digits>`);
        const n = Number(match[1]);
        if (n < 1 || n > labels.length) {
          throw new Error(`${NAME}: ${file}: real.json has ${labels.length} entries, no entry ${n}`);
        }
        const targetWnids = labels[n - 1].map((i) => wnids[i]);
        const location = dir === '' ? undefined : await xmlLocation(xmlRoot, dir, file);
        items.push({
          suite: NAME,
          variant: '',
          path: dir === '' ? file : rel(dir, file),
          absPath: join(root, dir, file),
          targetWnids,
          // real.json's empty lists: sent like the others (so counts stay exact under --shard/--limit), never scored
          ...(targetWnids.length === 0 ? { attributes: { real_empty: true } } : {}),
          ...(location ? { location } : {}),
        });
      }
      return items;
    },
  }),
);
