/**
 * The model repository (Triton's layout): models/<name>/config.json + models/<name>/<version>/model.onnx.
 * Every model and version is loaded at start; one that fails is recorded with its error and the others serve.
 * A request names a model (empty: the default) and a version (0: the highest ready one).
 */
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { CloseOptions } from '../runtime/model-runtime.js';
import { ConfigError, effectivePreprocessConcurrency, formatDevice, type ServerConfig } from '../config.js';
import { intraOpThreadsFor } from '../runtime/thread-budget.js';
import { notFound, unavailable } from '../errors.js';
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

/** A ready version whose runtime has not failed since it loaded. */
const serves = (v: VersionState): v is VersionState & { state: 'ready' } =>
  v.state === 'ready' && v.loaded.runtime.failure === undefined;

export class ModelRepository {
  private constructor(
    readonly dir: string,
    private readonly models: Map<string, ModelEntry>,
    readonly defaultModel: string | undefined,
    private readonly log: Logger,
    private readonly events: EventEmitter,
  ) {}

  /** Calls `listener` whenever a model's readiness may have changed (a runtime failed for good). */
  onReadinessChange(listener: () => void): void {
    this.events.on('readiness', listener);
  }

  /** Whether the model (by name) has a version that can serve now. */
  isReady(name: string): boolean {
    return this.models.get(name)?.versions.some(serves) ?? false;
  }

  static async load(server: ServerConfig, log: Logger): Promise<ModelRepository> {
    const dir = resolve(server.modelsDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigError(`--models / LUAB_MODELS: model repository "${dir}" is not a folder`);
    }
    const models = new Map<string, ModelEntry>();
    const names = readdirSync(dir)
      .filter((n) => MODEL_NAME.test(n) && statSync(join(dir, n)).isDirectory())
      .sort();
    server = withThreadBudget(server, dir, names, log);
    const devices = new DeviceResolver(server.device, log);
    const events = new EventEmitter();
    const notify = () => events.emit('readiness');
    for (const name of names) {
      const entry = await loadModel(name, join(dir, name), server, devices, log.child({ model: name }), notify);
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
    return new ModelRepository(dir, models, defaultModel, log, events);
  }

  list(): ModelEntry[] {
    return [...this.models.values()];
  }

  get readyCount(): number {
    return this.list().filter((m) => m.versions.some(serves)).length;
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
      state = [...entry.versions].reverse().find(serves);
      if (!state) {
        const why = entry.versions.map((v) => `${v.version}: ${versionError(v)}`).join('; ');
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
    const failure = state.loaded.runtime.failure;
    if (failure !== undefined) {
      throw unavailable(`version: model "${modelName}" version ${version} is not ready: ${failure}`);
    }
    return { entry: entry as ModelEntry & { config: ModelConfig }, loaded: state.loaded };
  }

  /**
   * Rejects what is queued with `reason`, then closes the runtimes: each waits for its running batches (answering
   * their callers with `options.cancelRunning` at once if given) before it releases its sessions.
   */
  async close(reason: Error, options: CloseOptions = {}): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const entry of this.models.values()) {
      for (const v of entry.versions) {
        if (v.state !== 'ready') continue;
        v.loaded.batcher.close(reason);
        closing.push(v.loaded.runtime.close(options));
      }
    }
    await Promise.all(closing);
    this.log.debug('model repository closed');
  }

  /** Answers every request still queued or running with `reason` now (the runs themselves finish on their own). */
  cancelAll(reason: Error): void {
    for (const entry of this.models.values()) {
      for (const v of entry.versions) {
        if (v.state !== 'ready') continue;
        v.loaded.batcher.close(reason);
        void v.loaded.runtime.close({ cancelRunning: reason });
      }
    }
  }
}

/**
 * Divides the inference threads over every session the repository will load (versions x workers), when the user
 * left --intra-op-threads at 0: counted before loading, so the first version does not take all the cores.
 */
function withThreadBudget(server: ServerConfig, dir: string, names: string[], log: Logger): ServerConfig {
  if (server.intraOpThreads > 0) return server;
  let sessions = 0;
  for (const name of names) {
    let workers = server.workers ?? 1;
    try {
      workers = server.workers ?? readModelConfig(join(dir, name, 'config.json')).serving?.workers ?? 1;
    } catch {
      continue; // the model will fail to load and be reported then
    }
    const versions = readdirSync(join(dir, name)).filter(
      (v) => VERSION_NAME.test(v) && existsSync(join(dir, name, v, 'model.onnx')),
    );
    sessions += versions.length * workers;
  }
  const decode = effectivePreprocessConcurrency(server);
  const intraOpThreads = intraOpThreadsFor(sessions, decode);
  log.info(
    { sessions, intraOpThreads, decodeConcurrency: decode, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4' },
    'thread budget',
  );
  return { ...server, intraOpThreads };
}

/** Why a version cannot serve ('' when it can). */
export function versionError(v: VersionState): string {
  if (v.state === 'failed') return v.error;
  return v.loaded.runtime.failure ?? '';
}

async function loadModel(
  name: string,
  dir: string,
  server: ServerConfig,
  devices: DeviceResolver,
  log: Logger,
  notify: () => void,
): Promise<ModelEntry> {
  const entry: ModelEntry = { name, dir, versions: [] };
  try {
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
    if (!existsSync(modelFile)) {
      entry.versions.push({ version, state: 'failed', error: `${modelFile} does not exist` });
      log.error({ version }, `model "${name}" version ${version} not loaded: ${modelFile} does not exist`);
      continue;
    }
    const started = performance.now();
    try {
      const onFailure = (reason: string) => {
        log.error({ version }, `model "${name}" version ${version} is not ready any more: ${reason}`);
        notify();
      };
      const loaded = await loadVersion(name, dir, version, entry.config, server, devices.current, log, onFailure);
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
