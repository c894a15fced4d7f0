/**
 * ImageNet-A (Hendrycks et al. 2021; hendrycks/natural-adv-examples): `imagenet-a/<wnid>/`, 200 classes; the
 * model's scores are restricted to ImageNet-A's own 200 classes (eval.py's `imagenet_a_mask`) before the argmax.
 */
import { SPACES } from '../label-space.js';
import { registerSuite } from './registry.js';
import { wnidFolderSuite } from './wnid-folders.js';

registerSuite(
  wnidFolderSuite({ name: 'imagenet-a', rootNames: ['imagenet-a'], space: SPACES.imagenetA, in9Copy: false }),
);
