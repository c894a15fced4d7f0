/** What every corruption implements. @internal */
import type { RgbImage } from '../backgrounds.js';
import type { Rng } from '../rng.js';
import type { CorruptionName } from './names.js';

export interface Corruption {
  name: CorruptionName;
  /** ImageNet-C's grouping: noise, blur, weather, digital. */
  category: 'noise' | 'blur' | 'weather' | 'digital';
  /** The parameter(s) of severity 1..5, each harder than the last; the manifest and docs/synth.md list them. */
  severities: ReadonlyArray<number | readonly number[]>;
  /** What the parameter means. */
  parameter: string;
  /** Corrupts at `severity` (1-based); returns a new packed-RGB buffer of the same size, `image` is untouched. */
  apply(image: RgbImage, severity: number, rng: Rng): Promise<Buffer>;
}

/**
 * ImageNet-C's lengths (blur radii, streaks) are tuned for 224 px images: scaled proportionally from 112 px up.
 * Below that the factor stays 1/2: at 64 px a proportional severity-1 Gaussian (sigma 0.29 px) changed nothing
 * measurable (mean absolute difference 0.00 over five photos), so severity 1 would not be a corruption at all.
 */
export const spatialScale = (size: number): number => Math.max(size / 224, 0.5);

/** Applies `f` to every channel value (scaled to [0, 1]; `i` indexes the packed RGB) and clips back to bytes. */
export function mapUnit(image: RgbImage, f: (value: number, i: number) => number): Buffer {
  const out = Buffer.alloc(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(f(image.data[i] / 255, i) * 255)));
  return out;
}

/** Builds a corruption from its severity table and a function of one table entry. */
export function defineCorruption<P extends number | readonly number[]>(spec: {
  name: CorruptionName;
  category: Corruption['category'];
  parameter: string;
  severities: readonly P[];
  corrupt(image: RgbImage, parameter: P, rng: Rng): Promise<Buffer>;
}): Corruption {
  return {
    name: spec.name,
    category: spec.category,
    parameter: spec.parameter,
    severities: spec.severities,
    apply: (image, severity, rng) => {
      const parameter = spec.severities[severity - 1];
      if (parameter === undefined)
        throw new Error(`${spec.name}: severity ${severity} is outside 1..${spec.severities.length}`);
      return spec.corrupt(image, parameter, rng);
    },
  };
}
