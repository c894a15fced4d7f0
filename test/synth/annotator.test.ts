// The simulated annotator's statistics over many draws: the click model must deliver what the config says.
import assert from 'node:assert/strict';
import { insideBox, planHits, sampleClick, simulateBlock, type UnitBox } from '../../synth/annotator.js';
import { DEFAULT_CONFIG } from '../../synth/config.js';
import { Rng } from '../../synth/rng.js';

const N = 20_000;
/** Four binomial standard deviations: a deterministic draw that falls outside is a broken model, not bad luck. */
const tolerance = (p: number, n: number): number => 4 * Math.sqrt((p * (1 - p)) / n);

function randomObject(rng: Rng): { box: UnitBox; centroid: [number, number] } {
  const w = rng.uniform(0.3, 0.75);
  const h = rng.uniform(0.3, 0.75);
  const x0 = rng.uniform(0, 1 - w);
  const y0 = rng.uniform(0, 1 - h);
  return {
    box: [x0, y0, x0 + w, y0 + h],
    centroid: [x0 + w * rng.uniform(0.35, 0.65), y0 + h * rng.uniform(0.35, 0.65)],
  };
}

describe('synth annotator', () => {
  for (const rate of [DEFAULT_CONFIG.annotator.click.inside_box_rate, 0.5, 0.95]) {
    it(`puts ${rate * 100}% of clicks inside the box when configured so`, () => {
      const click = { ...DEFAULT_CONFIG.annotator.click, inside_box_rate: rate };
      const rng = new Rng(11, 'clicks', rate);
      let inside = 0;
      for (let i = 0; i < N; i++) {
        const { box, centroid } = randomObject(rng);
        const c = sampleClick(rng, click, box, centroid);
        assert.ok(c.x >= 0 && c.x <= 1 && c.y >= 0 && c.y <= 1, 'clicks stay on the image');
        assert.equal(insideBox(c.x, c.y, box), c.kind === 'on_object');
        if (c.kind === 'on_object') inside++;
      }
      assert.ok(Math.abs(inside / N - rate) <= tolerance(rate, N), `inside rate ${inside / N}`);
    });
  }

  it('biases clicks toward the top-right, misses included, with a few far-off misclicks', () => {
    const click = DEFAULT_CONFIG.annotator.click;
    const rng = new Rng(12, 'bias');
    let dx = 0;
    let dy = 0;
    let missesUpRight = 0;
    let misses = 0;
    let far = 0;
    for (let i = 0; i < N; i++) {
      const { box, centroid } = randomObject(rng);
      const c = sampleClick(rng, click, box, centroid);
      dx += c.x - centroid[0];
      dy += c.y - centroid[1];
      if (c.kind !== 'on_object') {
        misses++;
        if (c.x > centroid[0] && c.y < centroid[1]) missesUpRight++;
      }
      if (c.kind === 'far_off') far++;
    }
    assert.ok(dx / N > 0.01, `mean x offset ${dx / N} points right`);
    assert.ok(dy / N < -0.01, `mean y offset ${dy / N} points up`);
    assert.ok(missesUpRight / misses > 0.5, `most misses (${missesUpRight}/${misses}) lie up and right`);
    const farShare = far / misses;
    assert.ok(Math.abs(farShare - click.far_off_fraction) < 0.06, `far-off share of misses ${farShare}`);
  });

  it('selects at the configured rate, toggles by parity, and ends the mouse track at the click', () => {
    const a = DEFAULT_CONFIG.annotator;
    const counts = Array.from({ length: 2000 }, (_, i) => 1 + (i % 3));
    const slots = planHits(3, a, counts);
    let blocks = 0;
    let selected = 0;
    slots.forEach((imageSlots, i) => {
      imageSlots.forEach((slot, k) => {
        const b = simulateBlock(new Rng(3, 'block', i, k), a, {
          imageId: `x/x_${i}`,
          width: 64,
          height: 64,
          box: [0.2, 0.2, 0.8, 0.8],
          centroid: [0.5, 0.5],
          slot,
        });
        blocks++;
        if (b.selected) selected++;
        assert.equal(b.selectedRecord.length, b.selectedCount);
        assert.equal(b.selected, b.selectedCount % 2 === 1);
        if (b.selectedCount > 0) {
          const last = b.mouseTracking[b.mouseTracking.length - 1];
          assert.deepEqual([last.x, last.y], [b.selectedRecord[0].x, b.selectedRecord[0].y]);
        }
      });
    });
    assert.equal(
      blocks,
      counts.reduce((x, y) => x + y, 0),
    );
    assert.ok(
      Math.abs(selected / blocks - a.selected_rate) <= tolerance(a.selected_rate, blocks),
      `selected rate ${selected / blocks}`,
    );
  });

  it('puts every annotator of an image on a different HIT page slot, one slot per annotator', () => {
    const a = DEFAULT_CONFIG.annotator;
    const counts = Array.from({ length: 600 }, (_, i) => i % 4);
    const slots = planHits(5, a, counts);
    slots.forEach((s, i) => {
      assert.equal(s.length, counts[i]);
      assert.equal(new Set(s.map((x) => x.hitId)).size, s.length, 'annotators of one image come from different HITs');
    });
    const perHit = new Map<string, number>();
    for (const s of slots.flat()) perHit.set(s.hitId, (perHit.get(s.hitId) ?? 0) + 1);
    for (const n of perHit.values()) assert.ok(n <= a.pages_per_hit * a.images_per_page);
  });
});
