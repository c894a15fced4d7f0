/**
 * Background pools: each class gets its own disjoint set of photos from the scenes its config lists (habitat
 * first), and some photos of every pool are kept out of training for the unseen-backgrounds suite.
 */
import { CLASS_NAMES } from './classes.js';
import { ConfigError, type BackgroundConfig } from './config.js';
import type { BackgroundIndexEntry } from './backgrounds.js';
import { Rng } from './rng.js';

export interface ClassPool {
  className: string;
  /** Photo ids used for training, validation and the in-distribution suites. */
  seen: string[];
  /** Photo ids only the unseen-backgrounds suite uses. */
  unseen: string[];
}

export type Pools = Record<string, ClassPool>;

/**
 * Deals photos out like cards: the class with the smallest pool so far takes its most preferred free photo (a
 * scene earlier in its list; random among equals), until no class can take any more. Scarce habitats thus go to
 * the classes that list them first, and shared scenes (textures) are split evenly.
 */
export function allocatePools(photos: readonly BackgroundIndexEntry[], config: BackgroundConfig, seed: number): Pools {
  const scenes = [...new Set(photos.map((p) => p.scene))].sort();
  for (const [className, wanted] of Object.entries(config.pools)) {
    const unknown = wanted.filter((s) => !scenes.includes(s));
    if (unknown.length > 0) {
      throw new ConfigError(
        `/backgrounds/pools/${className}: unknown scene(s) ${unknown.join(', ')}; the scenes are ${scenes.join(', ')}`,
      );
    }
  }
  const rng = new Rng(seed, 'pools');
  const free = new Set(rng.shuffle(photos.map((p) => p.id)));
  const sceneOf = new Map(photos.map((p) => [p.id, p.scene]));
  const taken: Record<string, string[]> = Object.fromEntries(CLASS_NAMES.map((c) => [c, []]));
  const exhausted = new Set<string>();
  while (exhausted.size < CLASS_NAMES.length) {
    const open = CLASS_NAMES.filter((c) => !exhausted.has(c));
    const next = open.reduce((best, c) => (taken[c].length < taken[best].length ? c : best), open[0]);
    const preference = config.pools[next];
    let choice: string | undefined;
    for (const scene of preference) {
      choice = [...free].find((id) => sceneOf.get(id) === scene);
      if (choice) break;
    }
    if (!choice) {
      exhausted.add(next);
      continue;
    }
    free.delete(choice);
    taken[next].push(choice);
  }
  const small = CLASS_NAMES.filter((c) => taken[c].length < config.min_pool_size);
  if (small.length > 0) {
    const detail = small.map((c) => `${c} has ${taken[c].length} (scenes: ${config.pools[c].join(', ')})`).join('; ');
    throw new ConfigError(
      `/backgrounds/pools: too few photos per pool (min_pool_size ${config.min_pool_size}): ${detail}. ` +
        'List more scenes for those classes (natural textures merge well) or lower min_pool_size.',
    );
  }
  if (config.unseen_per_pool >= config.min_pool_size) {
    throw new ConfigError(
      `/backgrounds/unseen_per_pool (${config.unseen_per_pool}) must be below min_pool_size (${config.min_pool_size})`,
    );
  }
  return Object.fromEntries(
    CLASS_NAMES.map((c) => {
      const ids = rng.shuffle(taken[c]);
      return [
        c,
        {
          className: c,
          unseen: ids.slice(0, config.unseen_per_pool).sort(),
          seen: ids.slice(config.unseen_per_pool).sort(),
        },
      ];
    }),
  );
}
