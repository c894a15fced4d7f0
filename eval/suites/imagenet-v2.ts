/**
 * ImageNet-V2 MatchedFrequency (Recht et al. 2019; modestyachts/ImageNetV2): `<root>/<k>/*.jpeg`, where the folder
 * name k is the IN-1k class index as a decimal integer. The release's own loader parses it with int(); sorting the
 * names as text would put "10" before "2", so they are parsed, never sorted as strings.
 */
import { join } from 'node:path';
import { in1kWnids } from '../data/load.js';
import { SPACES } from '../label-space.js';
import type { EvalItem } from '../types.js';
import { classFolders, defineSuite, imagesIn, rel } from './common.js';
import { registerSuite } from './registry.js';

const NAME = 'imagenet-v2';

/** A V2 folder name → IN-1k index; anything but a canonical integer 0..999 is an error naming the folder. */
export function parseV2Folder(name: string, root: string): number {
  if (!/^(0|[1-9]\d*)$/.test(name) || Number(name) > 999) {
    throw new Error(`${NAME}: class folder "${name}" in ${root} is not an IN-1k class index 0..999`);
  }
  return Number(name);
}

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['imagenetv2-matched-frequency-format-val'],
    resize: 'model',
    space: SPACES.in1k,
    in9Copy: false,
    async list(root) {
      const wnids = in1kWnids();
      const folders = (await classFolders(NAME, root))
        .map((name) => ({ name, index: parseV2Folder(name, root) }))
        .sort((a, b) => a.index - b.index);
      const items: EvalItem[] = [];
      for (const { name, index } of folders) {
        for (const file of await imagesIn(NAME, join(root, name))) {
          items.push({
            suite: NAME,
            variant: '',
            path: rel(name, file),
            absPath: join(root, name, file),
            targetWnids: [wnids[index]],
          });
        }
      }
      return items;
    },
  }),
);
