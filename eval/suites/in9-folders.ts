/**
 * The IN-9 layout of the Backgrounds Challenge release (and of the embedded benchmark's unseen-backgrounds
 * suite): `<variant>/val/<NN_label>/<image>`, the class folders `00_dog` .. `08_fish`, spaces kept
 * (`02_wheeled vehicle`). MadryLab's loaders use ImageFolder, so the class is the sorted folder position, which
 * for these names is the NN prefix.
 */
import { join } from 'node:path';
import { in9Classes, type In9Class } from '../data/load.js';
import { Sidecar } from '../locations.js';
import type { EvalItem } from '../types.js';
import { classFolders, imagesIn, rel } from './common.js';

/** An `NN_label` folder → its IN-9 class; anything else is an error naming the folder. */
export function in9Folder(suite: string, dir: string, folder: string): In9Class {
  const match = /^(\d\d)_(.+)$/.exec(folder);
  const classes = in9Classes();
  const cls = match ? classes[Number(match[1])] : undefined;
  if (!cls || cls.folder.replace(/_/g, ' ') !== folder.replace(/_/g, ' ')) {
    throw new Error(
      `${suite}: class folder "${folder}" in ${dir} is not an IN-9 folder (expected ${classes.map((c) => `"${c.folder}"`).join(', ')})`,
    );
  }
  return cls;
}

/** The images of `<root>/<variant>/val/<NN_label>/`, with their location where a mask or sidecar gives one. */
export async function in9VariantItems(
  suite: string,
  root: string,
  variant: string,
  sidecar: Sidecar | undefined,
  maskFor?: (folder: string, file: string) => string | undefined,
): Promise<EvalItem[]> {
  const dir = join(root, variant, 'val');
  const items: EvalItem[] = [];
  for (const folder of await classFolders(suite, dir)) {
    const cls = in9Folder(suite, dir, folder);
    for (const file of await imagesIn(suite, join(dir, folder))) {
      const path = rel(variant, 'val', folder, file);
      let location = sidecar?.location(path, root);
      if (!sidecar) {
        const npyPath = maskFor?.(folder, file);
        if (npyPath) location = { mask: { npyPath } };
      }
      items.push({
        suite,
        variant,
        path,
        absPath: join(dir, folder, file),
        targetWnids: [cls.wnid],
        ...(location ? { location } : {}),
      });
    }
  }
  return items;
}
