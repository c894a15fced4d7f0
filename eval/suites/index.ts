/** Imports every suite module, so each registers itself (registry.ts). Import this before looking suites up. */
import './imagenet-val.js';
import './imagenet-v2.js';
import './imagenet-real.js';
import './imagenet-a.js';
import './imagenet-r.js';
import './imagenet-o.js';
import './imagenet-c.js';
import './imagenet-sketch.js';
import './objectnet.js';
import './si-score.js';
import './bg-challenge.js';
import './bg-challenge-adversarial.js';
import './unseen-backgrounds.js';

export { getSuite, listSuites, registerSuite } from './registry.js';
