/**
 * What a demo run is: the embedded benchmark's size, the training recipe's epochs, seeds and lambda, how much of
 * every suite is evaluated. `--quick` and the default are two presets of the same pipeline; every value can be
 * set on its own (flag or environment variable, docs/demo.md).
 */

/** The synth configuration layered over `luab synth`'s defaults (docs/synth.md, "Configuration keys"). */
export interface SynthSettings {
  /** `luab synth --small` (12 training images per class, 1 validation, 2 per suite variant). */
  small: boolean;
  /** The JSON given to `luab synth --config` (ignored with small). */
  config: Record<string, unknown>;
}

export interface DemoSettings {
  quick: boolean;
  seeds: number[];
  epochs: number;
  /** Lambda of LUAB and Rand; undefined: the configs' own (trainer/configs/synth-luab.yaml). */
  lambda?: number;
  synth: SynthSettings;
  /** The first N items of each suite (undefined: all). */
  evalLimit?: number;
  /** bg-challenge-adversarial's backgrounds per foreground (a deterministic subset, stated in the report). */
  bgcMaxBackgrounds: number;
  /** WSOL images per split (undefined: all). */
  wsolLimit?: number;
}

/** The three objectives, in the order they are trained and reported. */
export const OBJECTIVES = ['baseline', 'rand', 'luab'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/**
 * The default preset, sized for about 45 minutes on a 2-core CPU (docs/demo.md has the estimate):
 * 250 training images per class (2,250) and 10 epochs, so one training run is about 2.5 minutes and the nine runs
 * (3 objectives × 3 seeds) about 23; suites of 30 images per class and variant, ImageNet-C at its first severity only
 * (13 × 450 images rather than 13 × 5 × 900), the adversarial Backgrounds Challenge capped at 8 backgrounds.
 * Not 30 epochs (the trainer's recipe): `--epochs 30` took 78 minutes on a quiet 2-core machine (docs/demo.md).
 */
export const DEFAULT_SYNTH_CONFIG = {
  counts: { train_per_class: 250, val_per_class: 50, suite_per_class: 30 },
  suites: { imagenet_c: { severities: 1 } },
};

/**
 * `--shipped`: the settings the shipped models of models/ were made with (models/README.md): `luab synth`'s own
 * default size (no --config layered over it), the recipe's 30 epochs, seed 0. Its OUT/models/synth-<objective>-s0
 * are then trained as models/luab-in9-cnn, -rand and -baseline were (test/demo-shipped.test.ts compares the
 * trainer's resolved configuration with each one's args.yaml), and evaluated on the full-size suites.
 */
export const SHIPPED_SYNTH_CONFIG = {};

export const PRESETS = {
  default: { seeds: 3, epochs: 10, bgcMaxBackgrounds: 8 },
  quick: { seeds: 1, epochs: 1, bgcMaxBackgrounds: 2, wsolLimit: 16 },
  shipped: { seeds: 1, epochs: 30, bgcMaxBackgrounds: 8 },
} as const;

/** `3` → seeds 0, 1, 2; `0,4,7` → those seeds. */
export function parseSeeds(text: string): number[] {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n < 1 || n > 100) throw new Error(`--seeds: a count from 1 to 100 or a comma-separated list, got "${text}"`);
    return Array.from({ length: n }, (_, i) => i);
  }
  const parts = trimmed.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new Error(`--seeds: a count (e.g. 3) or a comma-separated list of seeds (e.g. 0,1,2), got "${text}"`);
  }
  const seeds = parts.map(Number);
  if (new Set(seeds).size !== seeds.length) throw new Error(`--seeds: a seed is listed twice in "${text}"`);
  return seeds;
}

/**
 * The parts of the settings that make a demo folder what it is: a folder made with other values cannot be
 * continued (its models were trained differently). Seeds are not part of it: more seeds just add runs.
 */
export function fingerprintOf(settings: DemoSettings): Record<string, unknown> {
  return {
    epochs: settings.epochs,
    lambda: settings.lambda ?? null,
    synth: settings.synth,
    evalLimit: settings.evalLimit ?? null,
    bgcMaxBackgrounds: settings.bgcMaxBackgrounds,
    wsolLimit: settings.wsolLimit ?? null,
  };
}

/** The model repository name of one objective and seed. */
export const modelName = (objective: Objective, seed: number): string => `synth-${objective}-s${seed}`;
