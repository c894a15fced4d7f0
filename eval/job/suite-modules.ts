/**
 * Which suites a process knows: the built-in readers (eval/suites/index.ts registers them all) plus modules named
 * by `--suite-module` / LUAB_EVAL_SUITE_MODULES, each of which calls registerSuite() when imported (out-of-tree
 * benchmarks, like timm's registry takes out-of-tree models).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import '../suites/index.js';
import { JobError } from './job-spec.js';

export const SUITE_MODULES_ENV = 'LUAB_EVAL_SUITE_MODULES';

const loaded = new Set<string>();

/** Imports each module once (a second registration of the same suite would throw). */
export async function loadSuiteModules(modules: string[]): Promise<void> {
  for (const module of modules) {
    const url = pathToFileURL(resolve(module)).href;
    if (loaded.has(url)) continue;
    try {
      await import(url);
    } catch (error) {
      throw new JobError(`suite module ${module}: ${(error as Error).message}`);
    }
    loaded.add(url);
  }
}
