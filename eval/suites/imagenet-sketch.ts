/** ImageNet-Sketch (Wang et al. 2019): `sketch/<wnid>/*.JPEG`, all 1,000 classes, 50 sketches each. */
import { SPACES } from '../label-space.js';
import { registerSuite } from './registry.js';
import { wnidFolderSuite } from './wnid-folders.js';

registerSuite(wnidFolderSuite({ name: 'imagenet-sketch', rootNames: ['sketch'], space: SPACES.in1k, in9Copy: false }));
