// Configuration layering and the pools it yields.
import assert from 'node:assert/strict';
import { loadBackgroundIndex } from '../../synth/backgrounds.js';
import { CLASS_NAMES } from '../../synth/classes.js';
import { ConfigError, DEFAULT_CONFIG, mergeConfig, resolveConfig, validateConfig } from '../../synth/config.js';
import { buildIconCatalogue } from '../../synth/icons.js';
import { allocatePools } from '../../synth/pools.js';

describe('synth config and pools', () => {
  it('layers --small and flags over the defaults; arrays replace, objects merge', () => {
    const c = resolveConfig({ small: true, imageSize: 96 });
    assert.equal(c.image_size, 96);
    assert.equal(c.counts.train_per_class, 12);
    assert.equal(c.rho, DEFAULT_CONFIG.rho);
    const merged = mergeConfig(DEFAULT_CONFIG, {
      icons: { heldout_sets: ['noto'] },
      annotator: { click: { spread: 0.3 } },
    });
    assert.deepEqual(merged.icons.heldout_sets, ['noto']);
    assert.equal(merged.annotator.click.spread, 0.3);
    assert.equal(merged.annotator.click.size_slope, DEFAULT_CONFIG.annotator.click.size_slope);
  });

  it('names every invalid field', () => {
    const bad = mergeConfig(DEFAULT_CONFIG, {
      object: { scale_min: 0.8, scale_max: 0.5 },
      annotator: { annotators_per_image: [0.5, 0.2] },
    });
    assert.throws(
      () => validateConfig(bad, 'x.json'),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^x\.json: invalid configuration:/);
        assert.match(err.message, /\/object: scale_min must be <= scale_max/);
        assert.match(err.message, /\/annotator\/annotators_per_image: must sum to 1, sums to 0\.7/);
        return true;
      },
    );
  });

  it('deals every class a disjoint habitat pool of at least 10 photos, deterministically for a seed', () => {
    const photos = loadBackgroundIndex().photos;
    const a = allocatePools(photos, DEFAULT_CONFIG.backgrounds, 4);
    const b = allocatePools(photos, DEFAULT_CONFIG.backgrounds, 4);
    assert.deepEqual(a, b);
    const scene = new Map(photos.map((p) => [p.id, p.scene]));
    const seen = new Set<string>();
    for (const c of CLASS_NAMES) {
      const all = [...a[c].seen, ...a[c].unseen];
      assert.ok(all.length >= 10, `${c}: ${all.length} photos`);
      for (const id of all) {
        assert.ok(!seen.has(id), `${id} in two pools`);
        seen.add(id);
        assert.ok(
          DEFAULT_CONFIG.backgrounds.pools[c].includes(scene.get(id) ?? ''),
          `${c} got ${id} (${scene.get(id)})`,
        );
      }
    }
    // Habitats first: the primary scene of a class goes to it whenever no other class lists it first.
    assert.ok(a.bird.seen.concat(a.bird.unseen).every((id) => scene.get(id) === 'sky'));
    assert.ok(a.fish.seen.concat(a.fish.unseen).filter((id) => scene.get(id) === 'water').length === 6);
  });

  it('keeps held-out icon sets out of training and covers every class in both', () => {
    const cat = buildIconCatalogue(DEFAULT_CONFIG.icons.heldout_sets);
    for (const c of CLASS_NAMES) {
      assert.ok(cat.training[c].length > 0 && cat.heldout[c].length > 0, c);
      assert.ok(cat.training[c].every((i) => !DEFAULT_CONFIG.icons.heldout_sets.includes(i.set)));
    }
    assert.throws(
      () =>
        buildIconCatalogue([
          'noto',
          'noto-v1',
          'twemoji',
          'openmoji',
          'emojione',
          'fluent-emoji-flat',
          'fxemoji',
          'streamline-emojis',
        ]),
      /keep at least one for training/,
    );
  });
});
