/**
 * Benchmarks register here by name (like timm's `@register_model`): `luab eval --suites a,b` looks them up, and
 * discovery finds which of them a data folder holds. Each reader module calls `registerSuite` when imported;
 * eval/suites/index.ts imports them all.
 */
import type { SuiteDefinition } from '../types.js';

const suites = new Map<string, SuiteDefinition>();

export function registerSuite(definition: SuiteDefinition): void {
  if (suites.has(definition.name)) throw new Error(`suite "${definition.name}" is registered twice`);
  suites.set(definition.name, definition);
}

/** The suite of that name; throws naming the known ones. */
export function getSuite(name: string): SuiteDefinition {
  const suite = suites.get(name);
  if (!suite) throw new Error(`unknown suite "${name}" (known: ${listSuites().join(', ')})`);
  return suite;
}

/** Registered suite names, sorted. */
export function listSuites(): string[] {
  return [...suites.keys()].sort();
}
