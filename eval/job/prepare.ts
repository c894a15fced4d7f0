/**
 * Everything checked before the first image is sent, so that a bad job fails at once with the folder or field
 * named: the spec, the output folder (a non-empty OUT needs --resume, and a resumed OUT must hold the same work),
 * the suites' folders, every endpoint and the model, each suite's label match, and a census of each suite's items.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { LuabClientOptions } from '../../client/luab-client.js';
import { discoverSuites } from '../suites/discover.js';
import { getSuite } from '../suites/registry.js';
import type { SuiteDefinition } from '../types.js';
import { resolveModel, type ResolvedModel } from './endpoints.js';
import { JobError, validateSpec, type EvalJobSpec } from './job-spec.js';
import { assertSameWork, PREDICTIONS_FILE, readJobState, type JobStateFile } from './job-state.js';
import { censusSuite, type SuiteCensus } from './work-list.js';

export interface PreparedSuite {
  name: string;
  root: string;
  definition: SuiteDefinition;
  census: SuiteCensus;
}

export interface PreparedJob {
  id: string;
  spec: EvalJobSpec;
  model: ResolvedModel;
  suites: PreparedSuite[];
  /** With `--suites all`: the registered suites not found, with the folders tried. */
  missing: { name: string; tried: string[] }[];
  /** job.json of the run being resumed, if any. */
  previous?: JobStateFile;
  /**
   * How the endpoints are reached (TLS, token): kept apart from the spec, which job.json records, so that no
   * token is written to disk.
   */
  client: LuabClientOptions;
}

export async function prepareJob(
  spec: EvalJobSpec,
  options: { id?: string; client?: LuabClientOptions } = {},
): Promise<PreparedJob> {
  validateSpec(spec);
  const outDir = resolve(spec.outDir);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new JobError(`out: ${outDir} is not a folder`);
  const previous = readJobState(outDir);
  const predictions = join(outDir, PREDICTIONS_FILE);
  if (!spec.resume && existsSync(predictions) && statSync(predictions).size > 0) {
    throw new JobError(`out: ${predictions} already holds predictions; pass --resume to continue it, or another --out`);
  }
  if (spec.resume && previous) assertSameWork(previous.spec, spec, join(outDir, 'job.json'));

  if (spec.dataRoot !== undefined && !(existsSync(spec.dataRoot) && statSync(spec.dataRoot).isDirectory())) {
    throw new JobError(`data: no such folder: ${spec.dataRoot}`);
  }
  for (const name of [...spec.suites.filter((n) => n !== 'all'), ...Object.keys(spec.suiteRoots)]) {
    try {
      getSuite(name);
    } catch (error) {
      throw new JobError(`suites: ${(error as Error).message}`, true);
    }
  }
  let discovered;
  try {
    discovered = discoverSuites(spec.dataRoot, spec.suites, spec.suiteRoots);
  } catch (error) {
    throw new JobError((error as Error).message);
  }
  const all = spec.suites.length === 1 && spec.suites[0] === 'all';
  if (!all && discovered.missing.length > 0) {
    const lines = discovered.missing.map((m) => `suite ${m.name}: no folder ${m.tried.join(' or ') || '(no --data)'}`);
    throw new JobError(lines.join('; '));
  }
  if (discovered.found.length === 0) {
    throw new JobError(`data: no suite found under ${spec.dataRoot} (tried the folders of every registered suite)`);
  }

  // A resumed job keeps the version it started with, even if a newer one was deployed since.
  const version = spec.version || previous?.model?.version || 0;
  const client = options.client ?? {};
  const model = await resolveModel(spec.endpoints, spec.model, version, client);

  const suites: PreparedSuite[] = [];
  for (const { name, root } of discovered.found) {
    const definition = getSuite(name);
    try {
      definition.checkLabels(model.labels);
    } catch (error) {
      throw new JobError(`suite ${name} and model "${model.labels.name}": ${(error as Error).message}`);
    }
    let census: SuiteCensus;
    try {
      census = await censusSuite(definition, root, spec.limit, spec.shard);
    } catch (error) {
      throw new JobError(`suite ${name} at ${root}: ${(error as Error).message}`);
    }
    suites.push({ name, root, definition, census });
  }
  const id = options.id ?? previous?.id ?? basename(outDir);
  return { id, spec: { ...spec, outDir }, model, suites, missing: all ? discovered.missing : [], previous, client };
}
