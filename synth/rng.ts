/**
 * Seeded random streams. Every image draws from its own stream, derived from (seed, purpose, index), so the output
 * does not depend on how many workers share the work or in which order they finish.
 */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Identifies a stream: the run's seed plus any labels (`'train', 17`). */
export type StreamKey = ReadonlyArray<string | number>;

export class Rng {
  private readonly gen: RandomGenerator;
  private spareNormal: number | undefined;

  constructor(seed: number, ...key: StreamKey) {
    // SHA-256 of the key spreads neighbouring indices over the whole 128-bit state; xoroshiro128+ seeded from the
    // low bits of consecutive integers would start correlated streams.
    const digest = createHash('sha256')
      .update(JSON.stringify([seed, ...key]))
      .digest();
    const state: number[] = [
      digest.readInt32LE(0),
      digest.readInt32LE(4),
      digest.readInt32LE(8),
      digest.readInt32LE(12),
    ];
    if (!state.some((w) => w !== 0)) state[0] = 1; // the all-zero state is a fixed point of the generator
    this.gen = xoroshiro128plusFromState(state);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.gen);
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.gen, min, max);
  }

  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Marsaglia's polar method; the second value is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** Poisson sample: Knuth's product method below 30, a rounded normal above (error < 1% of the sd there). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[this.int(0, items.length - 1)];
  }

  /** Index drawn with the given (unnormalised, non-negative) weights. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** Hex string of `length` characters (ids in the byproducts). */
  hex(length: number, upper = false): string {
    let s = '';
    while (s.length < length) s += (this.gen.next() >>> 0).toString(16).padStart(8, '0');
    s = s.slice(0, length);
    return upper ? s.toUpperCase() : s;
  }

  /** Upper-case alphanumeric id (Mechanical Turk style HIT and assignment ids). */
  alnum(length: number): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    let s = '';
    for (let i = 0; i < length; i++) s += chars[this.int(0, chars.length - 1)];
    return s;
  }
}
