/**
 * Every dataset part by name: the training set (always generated) and the stress suites (config
 * `suites.enabled`). Workers look parts up here to render the jobs they receive.
 */
import { backgroundsChallengePart } from './backgrounds-challenge.js';
import { imagenetCPart } from './imagenet-c.js';
import { imagenetRPart } from './imagenet-r.js';
import { SUITE_NAMES } from './names.js';
import { siScorePart } from './si-score.js';
import { trainingPart } from './training.js';
import type { DatasetPart, Job } from './types.js';
import { unseenBackgroundsPart } from './unseen-backgrounds.js';

export { SUITE_NAMES, type SuiteName } from './names.js';

// Each part is typed by its own job; the registry holds them by the common Job shape.
const PARTS = new Map<string, DatasetPart<Job>>(
  [trainingPart, backgroundsChallengePart, unseenBackgroundsPart, siScorePart, imagenetCPart, imagenetRPart].map(
    (p) => [p.name, p as unknown as DatasetPart<Job>],
  ),
);

const missing = SUITE_NAMES.filter((n) => !PARTS.has(n));
if (missing.length > 0)
  throw new Error(`suite registry out of step with names.ts: ${missing.join(', ')} not registered`);

export function datasetPart(name: string): DatasetPart<Job> {
  const part = PARTS.get(name);
  if (!part) throw new Error(`unknown dataset part "${name}"`);
  return part;
}

/** The parts a run generates, in generation order. */
export function enabledParts(enabledSuites: readonly string[]): Array<DatasetPart<Job>> {
  return ['training', ...SUITE_NAMES.filter((s) => enabledSuites.includes(s))].map(datasetPart);
}
