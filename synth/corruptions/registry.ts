/**
 * All corruptions by name. A new corruption is a `defineCorruption(...)` in one of the category modules plus
 * its name in names.ts; the check below keeps the two lists in step.
 */
import { BLUR } from './blur.js';
import { DIGITAL } from './digital.js';
import { FOG } from './fog.js';
import { CORRUPTION_NAMES, type CorruptionName } from './names.js';
import { NOISE } from './noise.js';
import { PHOTOMETRIC } from './photometric.js';
import type { Corruption } from './types.js';

export { CORRUPTION_NAMES, type CorruptionName } from './names.js';

const CORRUPTIONS = new Map<string, Corruption>(
  [...NOISE, ...BLUR, ...FOG, ...PHOTOMETRIC, ...DIGITAL].map((c) => [c.name, c]),
);

const unlisted = CORRUPTION_NAMES.filter((n) => !CORRUPTIONS.has(n));
if (unlisted.length > 0 || CORRUPTIONS.size !== CORRUPTION_NAMES.length) {
  throw new Error(`corruption registry out of step with names.ts: missing ${unlisted.join(', ') || '(none)'}`);
}

export function corruption(name: CorruptionName | string): Corruption {
  const found = CORRUPTIONS.get(name);
  if (!found) throw new Error(`unknown corruption "${name}"; known: ${CORRUPTION_NAMES.join(', ')}`);
  return found;
}
