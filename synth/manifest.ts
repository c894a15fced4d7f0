/**
 * manifest.json: everything needed to understand and reproduce a run: seed, every parameter, counts, the
 * pools, and the origin and licence of every asset. Written last: its presence marks a complete run. It holds
 * no timestamps or timings, so the same seed and parameters give a byte-identical manifest.
 */
import type { BackgroundIndex } from './backgrounds.js';
import { CLASSES, CLASS_NAMES } from './classes.js';
import type { SynthConfig } from './config.js';
import { iconSetInfo, type IconCatalogue } from './icons.js';
import { GENERATOR, GENERATOR_VERSION } from './output-folder.js';
import type { Pools } from './pools.js';
import type { PartSummary } from './suites/types.js';

export interface ManifestInput {
  seed: number;
  fingerprint: string;
  config: SynthConfig;
  pools: Pools;
  icons: IconCatalogue;
  backgrounds: BackgroundIndex;
  parts: Record<string, PartSummary>;
  contactSheets: string[];
}

export function buildManifest(m: ManifestInput): Record<string, unknown> {
  const pooled = new Set(CLASS_NAMES.flatMap((c) => [...m.pools[c].seen, ...m.pools[c].unseen]));
  return {
    generator: GENERATOR,
    generator_version: GENERATOR_VERSION,
    fingerprint: m.fingerprint,
    seed: m.seed,
    config: m.config,
    classes: CLASSES.map((c) => ({ index: c.index, name: c.name, wnid: c.wnid, in9_folder: c.in9Folder })),
    parts: m.parts,
    pools: Object.fromEntries(
      CLASS_NAMES.map((c) => [
        c,
        { scenes: m.config.backgrounds.pools[c], seen: m.pools[c].seen, unseen: m.pools[c].unseen },
      ]),
    ),
    unused_photos: m.backgrounds.photos.filter((p) => !pooled.has(p.id)).map((p) => p.id),
    icons: {
      training_sets: m.icons.trainingSets,
      heldout_sets: m.icons.heldoutSets,
      per_class: Object.fromEntries(
        CLASS_NAMES.map((c) => [c, { training: m.icons.training[c].length, heldout: m.icons.heldout[c].length }]),
      ),
      sets: [...m.icons.trainingSets, ...m.icons.heldoutSets].sort().map(iconSetInfo),
    },
    backgrounds: {
      source: 'synth/assets/backgrounds (LICENSES.md there has the full attributions and licence texts)',
      stored_short_side: m.backgrounds.short_side,
      photos: m.backgrounds.photos
        .filter((p) => pooled.has(p.id))
        .map((p) => ({
          id: p.id,
          scene: p.scene,
          package: p.package,
          package_version: p.package_version,
          path: p.path,
          licence: p.licence,
          copyright: p.copyright,
        })),
    },
    contact_sheets: m.contactSheets,
  };
}
