import { join } from 'node:path';
import { packageRoot } from '../../server/util/package-root.js';

export const REPO_ROOT = packageRoot();
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const GOOD_MODELS = join(FIXTURES, 'models', 'good');
export const BAD_MODELS = join(FIXTURES, 'models', 'bad');
