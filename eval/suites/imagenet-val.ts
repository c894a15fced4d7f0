/**
 * ImageNet-1k validation (`imagenet/val/<wnid>/*.JPEG`): the class index is the sorted-wnid order of every 1k
 * model (eval/data/imagenet_wnids_1k.txt); the embedded benchmark's `val/<wnid>/` (IN-9 wnids) is read the same.
 *
 * Boxes: ILSVRC LOC XML in the sibling folder named like the image folder plus `_xml`: `imagenet/val_xml/` for
 * `imagenet/val/` (the embedded benchmark writes `val_xml/` beside `val/`), either per class
 * (`val_xml/<wnid>/<stem>.xml`, the embedded benchmark's and ImageNet-AB's) or flat (`val_xml/<stem>.xml`, as the
 * ILSVRC2012 bounding-box tarball unpacks). Masks: an objects.jsonl sidecar in the folder or its parent.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SPACES } from '../label-space.js';
import { Sidecar, locationFromXml } from '../locations.js';
import type { EvalItem, ObjectLocation } from '../types.js';
import { classFolders, defineSuite, imagesIn, rel, stem, wnidFolderSpace } from './common.js';
import { registerSuite } from './registry.js';

/** The LOC XML of one image, per class or flat, or undefined. */
export async function xmlLocation(
  xmlRoot: string | undefined,
  wnid: string,
  file: string,
): Promise<ObjectLocation | undefined> {
  if (!xmlRoot) return undefined;
  for (const candidate of [join(xmlRoot, wnid, `${stem(file)}.xml`), join(xmlRoot, `${stem(file)}.xml`)]) {
    if (existsSync(candidate)) return locationFromXml(await readFile(candidate, 'utf8'), candidate, wnid);
  }
  return undefined;
}

/** The `<root>_xml` sibling folder if there is one. */
export function xmlSibling(root: string): string | undefined {
  const sibling = join(dirname(root), `${basename(root)}_xml`);
  return existsSync(sibling) ? sibling : undefined;
}

const NAME = 'imagenet-val';

registerSuite(
  defineSuite({
    name: NAME,
    rootNames: ['imagenet/val', 'val'],
    resize: 'model',
    space: SPACES.in1k,
    in9Copy: true,
    async list(root) {
      const folders = await classFolders(NAME, root);
      wnidFolderSpace(NAME, root, folders, SPACES.in1k(), true);
      const sidecar = await Sidecar.find(root);
      const xmlRoot = xmlSibling(root);
      const items: EvalItem[] = [];
      for (const wnid of folders) {
        for (const file of await imagesIn(NAME, join(root, wnid))) {
          const path = rel(wnid, file);
          const location = sidecar?.location(path, root) ?? (await xmlLocation(xmlRoot, wnid, file));
          items.push({
            suite: NAME,
            variant: '',
            path,
            absPath: join(root, wnid, file),
            targetWnids: [wnid],
            ...(location ? { location } : {}),
          });
        }
      }
      return items;
    },
  }),
);
