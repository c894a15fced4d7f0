/**
 * ImageNet-R (Hendrycks et al. 2021; hendrycks/imagenet-r): `imagenet-r/<wnid>/<rendition>_<n>.jpg`, 200 classes,
 * scored with ImageNet-R's own 200-class mask (eval.py's `imagenet_r_mask`, not ImageNet-A's: the lists differ).
 * The embedded benchmark's `suites/imagenet_r/` has IN-9 classes and an objects.jsonl with the object's place.
 */
import { SPACES } from '../label-space.js';
import { registerSuite } from './registry.js';
import { wnidFolderSuite } from './wnid-folders.js';

registerSuite(
  wnidFolderSuite({
    name: 'imagenet-r',
    rootNames: ['imagenet-r', 'suites/imagenet_r'],
    space: SPACES.imagenetR,
    in9Copy: true,
  }),
);
