/**
 * The object icons: nine classes drawn from the @iconify-json emoji sets (synth/assets/icon_classes.json lists
 * set -> class -> icon names). Some sets are held out of training and validation: their art styles are the
 * renditions suite's distribution shift.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import { CLASS_NAMES } from './classes.js';
import { ConfigError } from './config.js';
import { assetsDir } from './paths.js';
import { packageRoot } from '../server/util/package-root.js';
import { premultiply, type PremultipliedImage } from './raster.js';

const require = createRequire(import.meta.url);

/** One icon, named `set:name` in records and manifests. */
export interface IconRef {
  set: string;
  name: string;
}

export interface IconSetInfo {
  set: string;
  package: string;
  version: string;
  name: string;
  licence: string;
  licence_url: string;
  author: string;
  author_url: string;
}

interface IconifyIcon {
  body: string;
  width?: number;
  height?: number;
  left?: number;
  top?: number;
}

interface IconifySet {
  icons: Record<string, IconifyIcon>;
  width?: number;
  height?: number;
  left?: number;
  top?: number;
}

type IconClasses = Record<string, Record<string, string[]>>;

/**
 * The icon sets are ~69 MB that only `luab synth` uses, so they are not production dependencies (a server
 * install, `npm ci --omit=dev`, leaves them out; package.json lists them as optional peers and dev
 * dependencies). This names what is missing and how to get it, before a run writes anything.
 */
export class MissingIconSetsError extends Error {
  constructor(readonly packages: string[]) {
    const peers =
      (
        JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
          peerDependencies?: Record<string, string>;
        }
      ).peerDependencies ?? {};
    const install = packages.map((p) => (peers[p] ? `${p}@${peers[p]}` : p)).join(' ');
    super(
      `luab synth needs the emoji icon sets, and ${packages.join(', ')} ${packages.length === 1 ? 'is' : 'are'} not ` +
        `installed (a production install leaves them out); install them with: npm install --no-save ${install}`,
    );
    this.name = 'MissingIconSetsError';
  }
}

/** Throws {@link MissingIconSetsError} listing every icon-set package of `sets` that cannot be loaded. */
export function assertIconSetsInstalled(sets: readonly string[]): void {
  const missing = sets
    .map((set) => `@iconify-json/${set}`)
    .filter((pkg) => {
      try {
        require.resolve(`${pkg}/package.json`);
        return false;
      } catch {
        return true;
      }
    });
  if (missing.length > 0) throw new MissingIconSetsError(missing);
}

export function loadIconClasses(): IconClasses {
  return JSON.parse(readFileSync(join(assetsDir(), 'icon_classes.json'), 'utf8')) as IconClasses;
}

export function iconSetInfo(set: string): IconSetInfo {
  const info = require(`@iconify-json/${set}/info.json`) as {
    name: string;
    author: { name: string; url?: string };
    license: { spdx?: string; title: string; url?: string };
  };
  const pkg = require(`@iconify-json/${set}/package.json`) as { version: string };
  return {
    set,
    package: `@iconify-json/${set}`,
    version: pkg.version,
    name: info.name,
    licence: info.license.spdx ?? info.license.title,
    licence_url: info.license.url ?? '',
    author: info.author.name,
    author_url: info.author.url ?? '',
  };
}

/** The icons of each class, split into the sets used for training/validation and the held-out ones. */
export interface IconCatalogue {
  trainingSets: string[];
  heldoutSets: string[];
  training: Record<string, IconRef[]>;
  heldout: Record<string, IconRef[]>;
}

export function buildIconCatalogue(heldoutSets: readonly string[]): IconCatalogue {
  const classes = loadIconClasses();
  const sets = Object.keys(classes).sort();
  assertIconSetsInstalled(sets);
  const unknown = heldoutSets.filter((s) => !sets.includes(s));
  if (unknown.length > 0) {
    throw new ConfigError(
      `/icons/heldout_sets: unknown icon set(s) ${unknown.join(', ')}; the sets are ${sets.join(', ')}`,
    );
  }
  const trainingSets = sets.filter((s) => !heldoutSets.includes(s));
  if (trainingSets.length === 0)
    throw new ConfigError('/icons/heldout_sets: every icon set is held out; keep at least one for training');
  const collect = (which: string[]): Record<string, IconRef[]> =>
    Object.fromEntries(
      CLASS_NAMES.map((c) => [c, which.flatMap((set) => (classes[set][c] ?? []).map((name) => ({ set, name })))]),
    );
  const catalogue = {
    trainingSets,
    heldoutSets: [...heldoutSets],
    training: collect(trainingSets),
    heldout: collect([...heldoutSets]),
  };
  for (const c of CLASS_NAMES) {
    if (catalogue.training[c].length === 0)
      throw new ConfigError(`/icons/heldout_sets: no training icon left for class ${c}`);
    if (heldoutSets.length > 0 && catalogue.heldout[c].length === 0) {
      throw new ConfigError(
        `/icons/heldout_sets: the held-out sets have no icon of class ${c}, so renditions cannot cover it`,
      );
    }
  }
  return catalogue;
}

const loadedSets = new Map<string, IconifySet>();

function iconSet(set: string): IconifySet {
  let data = loadedSets.get(set);
  if (!data) {
    data = require(`@iconify-json/${set}/icons.json`) as IconifySet;
    loadedSets.set(set, data);
  }
  return data;
}

/** The icon as a standalone SVG document, `px` pixels on its longer side. */
export function iconSvg(ref: IconRef, px: number): string {
  const set = iconSet(ref.set);
  const icon = set.icons[ref.name];
  if (!icon)
    throw new Error(
      `icon ${ref.set}:${ref.name} is listed in icon_classes.json but missing from @iconify-json/${ref.set}`,
    );
  const w = icon.width ?? set.width ?? 16;
  const h = icon.height ?? set.height ?? 16;
  const left = icon.left ?? set.left ?? 0;
  const top = icon.top ?? set.top ?? 0;
  const scale = px / Math.max(w, h);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${Math.round(w * scale)}" height="${Math.round(h * scale)}" viewBox="${left} ${top} ${w} ${h}">${icon.body}</svg>`
  );
}

/** Straight (not premultiplied) RGBA pixels. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The icon at `px` pixels on its longer side, premultiplied (2-7 ms per icon with librsvg through sharp). */
export async function rasterizeIcon(ref: IconRef, px: number): Promise<PremultipliedImage> {
  const { data, info } = await sharp(Buffer.from(iconSvg(ref, px)))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return premultiply({ width: info.width, height: info.height, data }, info.premultiplied);
}
