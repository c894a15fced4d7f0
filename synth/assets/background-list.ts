/**
 * Parses backgrounds.tsv (package, path, scene, licence, width, height) and gives each photo a short stable id.
 * @internal
 */

export interface BackgroundListRow {
  id: string;
  package: string;
  path: string;
  scene: string;
  licence: string;
  width: number;
  height: number;
}

const HEADER = ['package', 'path', 'scene', 'licence', 'width', 'height'];
// Path segments that say nothing about the photo (plasma wallpapers are <Name>/contents/images/2560x1600.jpg).
const GENERIC_SEGMENT = /^(\d+x\d+|contents|images)$/i;

/** A readable id from the path: the file name, or the nearest folder name when the file name is generic. */
export function backgroundId(path: string): string {
  const segments = path.replace(/\.[A-Za-z0-9]+$/, '').split('/');
  const named = [...segments].reverse().find((s) => !GENERIC_SEGMENT.test(s)) ?? segments[segments.length - 1];
  return named
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function parseBackgroundList(text: string, source: string): BackgroundListRow[] {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const header = lines[0]?.split('\t') ?? [];
  if (header.join('\t') !== HEADER.join('\t')) {
    throw new Error(`${source}: header must be "${HEADER.join('<TAB>')}", got "${header.join('<TAB>')}"`);
  }
  const seen = new Map<string, number>();
  return lines.slice(1).map((line, i) => {
    const lineNo = i + 2;
    const cols = line.split('\t');
    if (cols.length !== HEADER.length)
      throw new Error(`${source}:${lineNo}: expected ${HEADER.length} columns, got ${cols.length}`);
    const [pkg, path, scene, licence, w, h] = cols;
    const width = Number(w);
    const height = Number(h);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`${source}:${lineNo}: width/height must be positive integers, got "${w}" x "${h}"`);
    }
    const id = backgroundId(path);
    const previous = seen.get(id);
    if (previous !== undefined)
      throw new Error(`${source}:${lineNo}: photo id "${id}" repeats line ${previous}; rename one file`);
    seen.set(id, lineNo);
    return { id, package: pkg, path, scene, licence, width, height };
  });
}
