/**
 * Which suites a data folder holds. ROOT is either the embedded benchmark's output (`luab synth`: `val/` and
 * `suites/<name>/`) or a folder of real datasets under their usual names; each suite lists the folder names it
 * is known by (`SuiteDefinition.rootNames`), and `--suite-root name=DIR` points one suite elsewhere.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getSuite, listSuites } from './registry.js';

export interface DiscoveredSuites {
  /** Suites found, in the order asked, with the folder each was found in. */
  found: { name: string; root: string }[];
  /** Suites asked for (or, with 'all', registered) whose folder is not there, with the names tried. */
  missing: { name: string; tried: string[] }[];
}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * @param names suite names, or ['all'] for every registered suite
 * @param overrides suite name → its own root (`--suite-root`); such a folder must exist
 */
export function discoverSuites(
  dataRoot: string | undefined,
  names: string[],
  overrides: Record<string, string> = {},
): DiscoveredSuites {
  const wanted = names.length === 1 && names[0] === 'all' ? listSuites() : names;
  const result: DiscoveredSuites = { found: [], missing: [] };
  for (const [name, dir] of Object.entries(overrides)) {
    getSuite(name);
    if (!isDirectory(dir)) throw new Error(`--suite-root ${name}=${dir}: no such folder`);
  }
  for (const name of wanted) {
    const suite = getSuite(name);
    const override = overrides[name];
    if (override !== undefined) {
      result.found.push({ name, root: resolve(override) });
      continue;
    }
    const tried = dataRoot === undefined ? [] : suite.rootNames.map((folder) => join(dataRoot, folder));
    const root = tried.find(isDirectory);
    if (root) result.found.push({ name, root: resolve(root) });
    else result.missing.push({ name, tried });
  }
  return result;
}
