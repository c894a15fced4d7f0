/**
 * The packages an install would bring, found the way Node finds them: from a package's `dependencies` (and, if
 * asked, `optionalDependencies`), each looked up in the nearest node_modules folder upwards, recursively.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  name: string;
  version: string;
  dir: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export function readPackage(dir: string): PackageInfo {
  return { ...JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), dir };
}

/** The folder of `name` as seen from `fromDir` (Node's node_modules lookup), or undefined if not installed. */
export function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface ClosureOptions {
  /** Follow optionalDependencies too (an install does, where the platform allows). */
  optional?: boolean;
  /** Names treated as not installed: the closure stops there. */
  exclude?: Set<string>;
  /** Called for a required (non-optional) dependency that is not installed. */
  onMissing?: (name: string, requiredBy: string) => void;
}

/** Every package reachable from `roots` (name → info), roots' own dependencies first. */
export function dependencyClosure(
  rootDir: string,
  roots: Record<string, string>,
  options: ClosureOptions = {},
): Map<string, PackageInfo> {
  const found = new Map<string, PackageInfo>();
  const queue: { name: string; from: string; by: string; optional: boolean }[] = Object.keys(roots).map((name) => ({
    name,
    from: rootDir,
    by: '(root)',
    optional: false,
  }));
  while (queue.length > 0) {
    const { name, from, by, optional } = queue.shift()!;
    if (options.exclude?.has(name)) continue;
    const dir = findPackageDir(name, from);
    if (!dir) {
      if (!optional) options.onMissing?.(name, by);
      continue;
    }
    if (found.has(dir)) continue;
    const info = readPackage(dir);
    found.set(dir, info);
    for (const dep of Object.keys(info.dependencies ?? {}))
      queue.push({ name: dep, from: dir, by: info.name, optional: false });
    if (options.optional) {
      for (const dep of Object.keys(info.optionalDependencies ?? {}))
        queue.push({ name: dep, from: dir, by: info.name, optional: true });
    }
  }
  return new Map([...found.values()].map((p) => [`${p.name}@${p.version}`, p]));
}
