/**
 * The model repository (Triton's layout): models/<name>/config.json + models/<name>/<version>/model.onnx.
 * Every model and version is loaded at start; one that fails is recorded with its error and the others serve.
 * A request names a model (empty: the default) and a version (0: the highest ready one).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, formatDevice, type ServerConfig } from '../config.js';
import { notFound, unavailable } from '../errors.js';
import { outsideRepository } from './contained-path.js';
import { readModelConfig, type ModelConfig } from './model-config.js';
import { loadVersion, type LoadedVersion } from './model-version.js';
import { DeviceResolver } from '../runtime/device-resolver.js';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION_NAME = /^[1-9][0-9]*$/;

export type VersionState =
  { version: number; state: 'ready'; loaded: LoadedVersion } | { version: number; state: 'failed'; error: string };

export interface ModelEntry {
  name: string;
  dir: string;
  config?: ModelConfig;
  /** Model-level failure (config.json missing or invalid, no versions). */
  error?: string;
  /** Ascending by version. */
  versions: VersionState[];
}

export interface ResolvedModel {
  entry: ModelEntry & { config: ModelConfig };
  loaded: LoadedVersion;
}

export class ModelRepository {
  private constructor(
    readonly dir: string,
    private readonly models: Map<string, ModelEntry>,
    readonly defaultModel: string | undefined,
    private readonly log: Logger,
    // Kept for loadModel/unloadModel (the KServe v2 repository extension).
    private readonly server?: ServerConfig,
    private readonly devices?: DeviceResolver,
  ) {}

  static async load(server: ServerConfig, log: Logger): Promise<ModelRepository> {
    const dir = resolve(server.modelsDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigError(`--models / LUAB_MODELS: model repository "${dir}" is not a folder`);
    }
    const models = new Map<string, ModelEntry>();
    const names = readdirSync(dir)
      .filter((n) => MODEL_NAME.test(n) && statSync(join(dir, n)).isDirectory())
      .sort();
    const devices = new DeviceResolver(server.device, log);
    for (const name of names) {
      const entry = await loadModel(name, join(dir, name), server, devices, log.child({ model: name }), dir);
      models.set(name, entry);
    }
    const ready = [...models.values()].filter((m) => m.versions.some((v) => v.state === 'ready'));
    let defaultModel = server.defaultModel;
    if (defaultModel !== undefined && !models.has(defaultModel)) {
      throw new ConfigError(
        `--default-model / LUAB_DEFAULT_MODEL: no model "${defaultModel}" in ${dir} (models: ${names.join(', ') || 'none'})`,
      );
    }
    defaultModel ??= ready[0]?.name;
    if (ready.length === 0) log.warn({ dir }, 'no model loaded: every request will fail until a model is added');
    log.info(
      { dir, models: names.length, ready: ready.map((m) => m.name), defaultModel, device: formatDevice(server.device) },
      'model repository loaded',
    );
    return new ModelRepository(dir, models, defaultModel, log, server, devices);
  }

  list(): ModelEntry[] {
    return [...this.models.values()];
  }

  get readyCount(): number {
    return this.list().filter((m) => m.versions.some((v) => v.state === 'ready')).length;
  }

  /** Finds the model version a request names, or throws NOT_FOUND / UNAVAILABLE naming the field. */
  resolve(name: string, version: number): ResolvedModel {
    const modelName = name === '' ? this.defaultModel : name;
    if (modelName === undefined) {
      throw notFound('model', 'the request names no model and the server has no default model (none loaded)');
    }
    const entry = this.models.get(modelName);
    if (!entry) {
      const known = [...this.models.keys()].join(', ') || 'none';
      throw notFound('model', `no model named "${modelName}" (models: ${known})`);
    }
    if (entry.error || !entry.config) throw unavailable(`model: "${modelName}" failed to load: ${entry.error}`);
    let state: VersionState | undefined;
    if (version === 0) {
      state = [...entry.versions].reverse().find((v) => v.state === 'ready');
      if (!state) {
        const why = entry.versions.map((v) => (v.state === 'failed' ? `${v.version}: ${v.error}` : '')).join('; ');
        throw unavailable(`model: "${modelName}" has no version ready (${why})`);
      }
    } else {
      state = entry.versions.find((v) => v.version === version);
      if (!state) {
        const known = entry.versions.map((v) => v.version).join(', ');
        throw notFound('version', `model "${modelName}" has no version ${version} (versions: ${known})`);
      }
    }
    if (state.state === 'failed') {
      throw unavailable(`version: model "${modelName}" version ${version} failed to load: ${state.error}`);
    }
    return { entry: entry as ModelEntry & { config: ModelConfig }, loaded: state.loaded };
  }

  /**
   * (Re)loads a model from its folder, as RepositoryModelLoad asks. The new versions are loaded before the old
   * ones are dropped, so requests keep being served; if nothing of the new load is ready the old model stays and
   * the error is thrown.
   */
  async loadModel(name: string): Promise<ModelEntry> {
    if (!this.server || !this.devices) throw new Error('this repository cannot load models');
    const dir = join(this.dir, name);
    if (!MODEL_NAME.test(name) || !existsSync(dir) || !statSync(dir).isDirectory()) {
      throw notFound('model_name', `no model folder "${name}" in ${this.dir}`);
    }
    const entry = await loadModel(name, dir, this.server, this.devices, this.log.child({ model: name }), this.dir);
    const previous = this.models.get(name);
    if (previous && !previous.error && !entry.versions.some((v) => v.state === 'ready')) {
      await closeEntry(entry, unavailable('load abandoned'));
      const why = entry.error ?? entry.versions.map((v) => (v.state === 'failed' ? v.error : '')).join('; ');
      throw unavailable(`model_name: "${name}" failed to load, the previous version keeps serving: ${why}`);
    }
    this.models.set(name, entry);
    if (previous) {
      await closeEntry(previous, unavailable(`model "${name}" was reloaded; retry`), this.server.shutdownGraceMs);
    }
    return entry;
  }

  /** Unloads every version of a model (RepositoryModelUnload): queued requests fail with UNAVAILABLE. */
  async unloadModel(name: string): Promise<void> {
    const entry = this.models.get(name);
    if (!entry) throw notFound('model_name', `no model named "${name}"`);
    this.models.set(name, { name, dir: entry.dir, config: entry.config, error: 'unloaded', versions: [] });
    await closeEntry(entry, unavailable(`model "${name}" was unloaded`), this.server?.shutdownGraceMs ?? 0);
  }

  async close(reason: Error): Promise<void> {
    for (const entry of this.models.values()) {
      for (const v of entry.versions) {
        if (v.state !== 'ready') continue;
        v.loaded.batcher.close(reason);
        await v.loaded.runtime.close();
      }
    }
    this.log.debug('model repository closed');
  }
}

async function loadModel(
  name: string,
  dir: string,
  server: ServerConfig,
  devices: DeviceResolver,
  log: Logger,
  repositoryDir: string,
): Promise<ModelEntry> {
  const entry: ModelEntry = { name, dir, versions: [] };
  try {
    const escape = outsideRepository(repositoryDir, dir) ?? outsideRepository(repositoryDir, join(dir, 'config.json'));
    if (escape) throw new Error(escape);
    entry.config = readModelConfig(join(dir, 'config.json'));
  } catch (error) {
    entry.error = (error as Error).message;
    log.error(`model "${name}" not loaded: ${entry.error}`);
    return entry;
  }
  const versions = readdirSync(dir)
    .filter((v) => VERSION_NAME.test(v) && statSync(join(dir, v)).isDirectory())
    .map(Number)
    .sort((a, b) => a - b);
  if (versions.length === 0) {
    entry.error = `${dir}: no version folders (expected ${dir}/1/model.onnx)`;
    log.error(`model "${name}" not loaded: ${entry.error}`);
    return entry;
  }
  for (const version of versions) {
    const modelFile = join(dir, String(version), 'model.onnx');
    const escape =
      outsideRepository(repositoryDir, join(dir, String(version))) ?? outsideRepository(repositoryDir, modelFile);
    if (escape) {
      entry.versions.push({ version, state: 'failed', error: escape });
      log.error({ version }, `model "${name}" version ${version} not loaded: ${escape}`);
      continue;
    }
    if (!existsSync(modelFile)) {
      entry.versions.push({ version, state: 'failed', error: `${modelFile} does not exist` });
      log.error({ version }, `model "${name}" version ${version} not loaded: ${modelFile} does not exist`);
      continue;
    }
    const started = performance.now();
    try {
      const loaded = await loadVersion(name, dir, version, entry.config, server, devices.current, log);
      devices.observe(loaded.cudaFallbackReason);
      entry.versions.push({ version, state: 'ready', loaded });
      log.info(
        {
          version,
          device: loaded.runtime.device,
          workers: loaded.runtime.concurrency,
          batching: loaded.batching,
          loadMs: Math.round(performance.now() - started),
        },
        `model "${name}" version ${version} ready`,
      );
    } catch (error) {
      const message = (error as Error).message;
      entry.versions.push({
        version,
        state: 'failed',
        error: message.includes(modelFile) ? message : `${modelFile}: ${message}`,
      });
      log.error({ version }, `model "${name}" version ${version} not loaded: ${message}`);
    }
  }
  return entry;
}

/** How often a replaced model's batchers are checked for remaining work. */
const DRAIN_POLL_MS = 10;

/**
 * Closes a model that requests no longer reach (replaced or unloaded): what is queued or running finishes first,
 * for up to `graceMs`, so a reload loses no request; what is left after that fails with `reason`.
 */
async function closeEntry(entry: ModelEntry, reason: Error, graceMs = 0): Promise<void> {
  const ready = entry.versions.flatMap((v) => (v.state === 'ready' ? [v.loaded] : []));
  const until = performance.now() + graceMs;
  const waitWhile = async (busy: () => boolean) => {
    while (busy() && performance.now() < until) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
  };
  await waitWhile(() => ready.some((l) => l.batcher.stats().queued > 0 || l.batcher.stats().inFlight > 0));
  // Every batcher is closed before any session: a batch still running when its worker is terminated would never
  // answer, so the sessions go only once no batch is in flight.
  for (const loaded of ready) loaded.batcher.close(reason);
  await waitWhile(() => ready.some((l) => l.batcher.stats().inFlight > 0));
  for (const loaded of ready) await loaded.runtime.close();
}
