/**
 * The layout several benchmarks share: `<root>/<wnid>/<image>`, one folder per class, named by its wnid
 * (torchvision ImageFolder, as hendrycks' eval scripts and ImageNet-Sketch read them). Each suite module gives its
 * own label space (ImageNet-A's and ImageNet-R's 200-class masks differ; Sketch has all 1k).
 */
import { join } from 'node:path';
import type { SuiteLabelSpace } from '../label-space.js';
import { Sidecar } from '../locations.js';
import type { EvalItem, ResizePolicy, SuiteDefinition } from '../types.js';
import { classFolders, defineSuite, imagesIn, rel, wnidFolderSpace } from './common.js';

export function wnidFolderSuite(options: {
  name: string;
  rootNames: string[];
  space: () => SuiteLabelSpace;
  in9Copy: boolean;
  resize?: ResizePolicy;
  variant?: string;
}): SuiteDefinition {
  const { name } = options;
  return defineSuite({
    name,
    rootNames: options.rootNames,
    resize: options.resize ?? 'model',
    space: options.space,
    in9Copy: options.in9Copy,
    async list(root) {
      const folders = await classFolders(name, root);
      wnidFolderSpace(name, root, folders, options.space(), options.in9Copy);
      const sidecar = await Sidecar.find(root);
      const items: EvalItem[] = [];
      for (const wnid of folders) {
        for (const file of await imagesIn(name, join(root, wnid))) {
          const path = rel(wnid, file);
          const location = sidecar?.location(path, root);
          items.push({
            suite: name,
            variant: options.variant ?? '',
            path,
            absPath: join(root, wnid, file),
            targetWnids: [wnid],
            ...(location ? { location } : {}),
          });
        }
      }
      return items;
    },
  });
}
