/**
 * The model repository (Triton's layout): models/<name>/config.json + models/<name>/<version>/model.onnx.
 * Every model and version is loaded at start; one that fails is recorded with its error and the others serve.
 * A request names a model (empty: the default) and a version (0: the highest ready one).
 */
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { CloseOptions } from '../runtime/model-runtime.js';
import { ConfigError, effectivePreprocessConcurrency, formatDevice, type ServerConfig } from '../config.js';
import { INFERENCE_BOUND_MODEL_BYTES, intraOpThreadsFor } from '../runtime/thread-budget.js';
import { notFound, unavailable } from '../errors.js';
import { outsideRepository } from './contained-path.js';
import { readModelConfig, type ModelConfig } from './model-config.js';
import { loadVersion, type LoadedVersion } from './model-version.js';
import { DeviceResolver } from '../runtime/device-resolver.js';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION_NAME = /^[1-9][0-9]*$/;

export type VersionState =
  | { version: number; state: 'ready'; loaded: LoadedVersion; signature?: string }
  | { version: number; state: 'failed'; error: string; signature?: string };

export interface ModelEntry {
  name: string;
  dir: string;
  config?: ModelConfig;
  /** Model-level failure (config.json missing or invalid, no versions). */
  error?: string;
  /** Ascending by version. */
  versions: VersionState[];
  /** Why the last reload failed while the versions loaded before it still serve. */
  reloadError?: string;
  /** config.json's signature when it was read, to tell a changed config on reload. */
  configSignature?: string;
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
    private readonly server: ServerConfig,
    private readonly devices: DeviceResolver,
  ) {}

  /**
   * Per model, the tail of its load/unload/reload chain: they run one at a time per model, in the order asked, so an
   * unload cannot be undone by a reload that was already loading, and two loads never build the same version twice.
   */
  private readonly chains = new Map<string, Promise<unknown>>();
  /**
   * Models unloaded by RepositoryModelUnload: the poller leaves them unloaded (listed, not ready) until an explicit
   * RepositoryModelLoad, whatever changes in their folders (docs/serving.md, "Model control").
   */
  private readonly unloadedByRequest = new Set<string>();
  /** Versions retired by a reload or unload whose requests are still finishing: shutdown cancels them too. */
  private readonly draining = new Set<LoadedVersion>();
  private pollTimer?: NodeJS.Timeout;

  /** Runs `work` after every load/unload/reload of `name` asked before it has finished. */
  private serialised<T>(name: string, work: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(name) ?? Promise.resolve()).then(work);
    const tail = next.then(
      () => undefined,
      (error: unknown) => this.log.error({ err: error, model: name }, 'model load, unload or reload failed'),
    );
    this.chains.set(name, tail);
    void tail.then(() => {
      if (this.chains.get(name) === tail) this.chains.delete(name);
    });
    return next;
  }

  /**
   * Re-reads one model from the repository folder and switches traffic without downtime: a new or replaced
   * version (model.onnx or config.json changed) is loaded beside the one serving; once ready it takes the new
   * requests, and the old one drains (its requests finish) and is released. A version that fails to load leaves
   * the previous one serving and says why (log, GetModel: the failed version, and `error`). A version the policy
   * no longer selects, or a model whose folder is gone, is unloaded: new requests get NOT_FOUND, in-flight ones
   * finish. Resolves when the switch is done (retired versions drain in the background).
   */
  reload(name: string): Promise<void> {
    return this.serialised(name, () => this.reloadNow(name));
  }

  /**
   * Reloads every model in the folder (new ones included) and unloads those whose folder is gone; models unloaded
   * by request are left alone (they wait for an explicit load).
   */
  async reloadAll(): Promise<void> {
    const names = new Set([...this.models.keys(), ...modelFolders(this.dir)]);
    for (const name of [...names].sort()) {
      if (!this.unloadedByRequest.has(name)) await this.reload(name);
    }
  }

  /** Watches the repository: every `ms`, reloads what changed (cheap when nothing did: a few stat calls). */
  startPolling(ms: number): void {
    if (ms <= 0 || this.pollTimer) return;
    let running = false;
    this.pollTimer = setInterval(() => {
      if (running) return;
      running = true;
      void this.reloadAll()
        .catch(() => undefined) // logged by serialised()
        .finally(() => (running = false));
    }, ms);
    this.pollTimer.unref();
  }

  private async reloadNow(name: string): Promise<void> {
    const dir = join(this.dir, name);
    const old = this.models.get(name);
    const log = this.log.child({ model: name });
    const notify = () => this.events.emit('readiness');
    if (!MODEL_NAME.test(name) || !existsSync(dir) || !statSync(dir).isDirectory()) {
      if (!old) throw notFound('model', `no model folder "${name}" in ${this.dir}`);
      this.models.delete(name);
      log.info(`model "${name}" unloaded: its folder is gone`);
      notify();
      await this.retire(old.versions);
      return;
    }
    const configSignature = fileSignature(join(dir, 'config.json'));
    if (!old) {
      this.models.set(name, await loadModel(name, dir, this.server, this.devices, log, notify));
      notify();
      return;
    }
    let config: ModelConfig;
    try {
      config = readModelConfig(join(dir, 'config.json'));
    } catch (error) {
      return this.keepServing(old, (error as Error).message, log);
    }
    const configChanged = configSignature !== old.configSignature;
    const wanted = selectVersions(config, versionFolders(dir));
    const next: VersionState[] = [];
    const retired: VersionState[] = [];
    let failure: string | undefined;
    for (const version of wanted) {
      const current = old.versions.find((v) => v.version === version);
      const signature = fileSignature(join(dir, String(version), 'model.onnx'));
      if (current && !configChanged && current.signature === signature) {
        next.push(current);
        continue;
      }
      const fresh = await loadVersionState(name, dir, version, config, this.server, this.devices, log, notify);
      if (fresh.state === 'ready') {
        next.push(fresh);
        if (current) retired.push(current);
      } else if (current?.state === 'ready') {
        failure = `version ${version}: ${fresh.error}`;
        next.push(current); // the replacement is broken: the version keeps serving what it had
      } else {
        failure = `version ${version}: ${fresh.error}`;
        next.push(fresh);
      }
    }
    const dropped = old.versions.filter((v) => !wanted.includes(v.version));
    if (next.some((v) => versionError(v) === '')) {
      retired.push(...dropped);
    } else {
      // Nothing selected can serve: the versions serving before stay, so a broken upload causes no downtime.
      next.push(...dropped.filter((v) => versionError(v) === ''));
    }
    next.sort((a, b) => a.version - b.version);
    const entry: ModelEntry = { name, dir, config, versions: next, configSignature, reloadError: failure };
    this.models.set(name, entry); // the switch: requests resolved from now on see the new versions
    if (failure) log.error(`model "${name}" reload: ${failure} (the versions loaded before keep serving)`);
    log.info({ versions: next.map((v) => v.version) }, `model "${name}" reloaded`);
    notify();
    void this.retire(retired);
  }

  private keepServing(entry: ModelEntry, reason: string, log: Logger): void {
    entry.reloadError = reason;
    log.error(`model "${entry.name}" not reloaded: ${reason} (the versions loaded before keep serving)`);
  }

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
    const names = modelFolders(dir);
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
    return new ModelRepository(dir, models, defaultModel, log, events, server, devices);
  }

  list(): ModelEntry[] {
    return [...this.models.values()];
  }

  get readyCount(): number {
    return this.list().filter((m) => m.versions.some(serves)).length;
  }

  /** Stops watching the repository. */
  stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** Finds the model version a request names, or throws NOT_FOUND / UNAVAILABLE naming the field. */
  /**
   * The model a request names (empty: the default model), loaded or not; NOT_FOUND naming `field` and listing the
   * models otherwise. Every front end (luab.v1, KServe v2 gRPC and REST) looks models up through this.
   */
  entry(name: string, field = 'model'): ModelEntry {
    const modelName = name === '' ? this.defaultModel : name;
    if (modelName === undefined) {
      throw notFound(field, 'the request names no model and the server has no default model (none loaded)');
    }
    const entry = this.models.get(modelName);
    if (!entry) {
      const known = [...this.models.keys()].join(', ') || 'none';
      throw notFound(field, `no model named "${modelName}" (models: ${known})`);
    }
    return entry;
  }

  resolve(name: string, version: number): ResolvedModel {
    const entry = this.entry(name);
    const modelName = entry.name;
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
   * RepositoryModelLoad (the KServe v2 repository extension): (re)loads a model from its folder through
   * {@link reload}, so new versions load beside the old ones and traffic switches without downtime; a model
   * unloaded by request is under the poller's watch again from here on. Throws when nothing of the model can serve
   * afterwards, or when the new load failed and the previous versions keep serving.
   */
  async loadModel(name: string): Promise<void> {
    const dir = join(this.dir, name);
    if (!MODEL_NAME.test(name) || !existsSync(dir) || !statSync(dir).isDirectory()) {
      throw notFound('model_name', `no model folder "${name}" in ${this.dir}`);
    }
    await this.serialised(name, async () => {
      this.unloadedByRequest.delete(name);
      await this.reloadNow(name);
    });
    const entry = this.models.get(name);
    const serving = entry?.versions.some(serves) ?? false;
    const why = entry?.reloadError ?? entry?.error ?? entry?.versions.map(versionError).filter(Boolean).join('; ');
    if (!serving) throw unavailable(`model_name: "${name}" failed to load: ${why}`);
    if (entry?.reloadError) {
      throw unavailable(`model_name: "${name}" failed to load, the versions loaded before keep serving: ${why}`);
    }
  }

  /**
   * RepositoryModelUnload: new requests for the model fail at once (it stays listed, not ready, as in Triton);
   * requests already on its versions finish before their sessions are released. The unload sticks: --poll-ms
   * does not load the model again until an explicit {@link loadModel}. Runs after any load or reload of the model
   * already under way, so that reload cannot bring the model back afterwards.
   */
  async unloadModel(name: string): Promise<void> {
    const versions = await this.serialised(name, async () => {
      const entry = this.models.get(name);
      if (!entry) throw notFound('model_name', `no model named "${name}"`);
      this.unloadedByRequest.add(name);
      this.models.set(name, { name, dir: entry.dir, config: entry.config, error: 'unloaded', versions: [] });
      this.log.info({ model: name }, `model "${name}" unloaded by request`);
      this.events.emit('readiness');
      return entry.versions;
    });
    await this.retire(versions);
  }

  /**
   * Rejects what is queued with `reason`, then closes the runtimes: each waits for its running batches (answering
   * their callers with `options.cancelRunning` at once if given) before it releases its sessions. Versions retired
   * by a reload and still draining are closed the same way.
   */
  async close(reason: Error, options: CloseOptions = {}): Promise<void> {
    this.stopPolling();
    await Promise.all(this.chains.values());
    const closing: Promise<void>[] = [];
    for (const loaded of this.loadedVersions()) {
      loaded.batcher.close(reason);
      closing.push(loaded.runtime.close(options));
    }
    await Promise.all(closing);
    this.log.debug('model repository closed');
  }

  /** Answers every request still queued or running with `reason` now (the runs themselves finish on their own). */
  cancelAll(reason: Error): void {
    for (const loaded of this.loadedVersions()) {
      loaded.batcher.close(reason);
      void loaded.runtime.close({ cancelRunning: reason });
    }
  }

  /** Every loaded version: those serving and those retired but still draining. */
  private loadedVersions(): LoadedVersion[] {
    const serving = [...this.models.values()].flatMap((m) => m.versions.filter((v) => v.state === 'ready'));
    return [...serving.map((v) => v.loaded), ...this.draining];
  }

  /** Lets the requests on retired versions finish, then releases their sessions. */
  private async retire(versions: VersionState[]): Promise<void> {
    await Promise.all(
      versions.map(async (v) => {
        if (v.state !== 'ready') return;
        this.draining.add(v.loaded);
        try {
          await v.loaded.leases.idle();
          await v.loaded.runtime.close();
        } finally {
          this.draining.delete(v.loaded);
        }
      }),
    );
  }
}

/**
 * Divides the inference threads over every session the repository will load (versions x workers), when the user
 * left --intra-op-threads at 0: counted before loading, so the first version does not take all the cores.
 */
function withThreadBudget(server: ServerConfig, dir: string, names: string[], log: Logger): ServerConfig {
  if (server.intraOpThreads > 0) return server;
  let sessions = 0;
  // Every model inference-bound (runtime/thread-budget.ts): then the sessions may use the decoders' cores too.
  let inferenceBound = true;
  for (const name of names) {
    let config: ModelConfig;
    try {
      config = readModelConfig(join(dir, name, 'config.json'));
    } catch {
      continue; // the model will fail to load and be reported then
    }
    const workers = server.workers ?? config.serving?.workers ?? 1;
    const versions = selectVersions(config, versionFolders(join(dir, name)));
    sessions += versions.length * workers;
    for (const version of versions) {
      const size = fileSize(join(dir, name, String(version), 'model.onnx'));
      if (size < INFERENCE_BOUND_MODEL_BYTES) inferenceBound = false;
    }
  }
  const decode = effectivePreprocessConcurrency(server);
  const intraOpThreads = intraOpThreadsFor(sessions, decode, undefined, sessions > 0 && inferenceBound);
  log.info(
    {
      sessions,
      intraOpThreads,
      inferenceBound,
      decodeConcurrency: decode,
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4',
    },
    'thread budget',
  );
  return { ...server, intraOpThreads };
}

/** A file's size in bytes; 0 when it cannot be read (the version will fail to load and say why then). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
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
    // dir is <repository>/<name> as a path (not resolved): its parent is the repository it must stay inside.
    const repositoryDir = dirname(dir);
    const escape = outsideRepository(repositoryDir, dir) ?? outsideRepository(repositoryDir, join(dir, 'config.json'));
    if (escape) throw new Error(escape);
    entry.config = readModelConfig(join(dir, 'config.json'));
  } catch (error) {
    entry.error = (error as Error).message;
    log.error(`model "${name}" not loaded: ${entry.error}`);
    return entry;
  }
  entry.configSignature = fileSignature(join(dir, 'config.json'));
  const versions = versionFolders(dir);
  if (versions.length === 0) {
    entry.error = `${dir}: no version folders (expected ${dir}/1/model.onnx)`;
    log.error(`model "${name}" not loaded: ${entry.error}`);
    return entry;
  }
  for (const version of selectVersions(entry.config, versions)) {
    entry.versions.push(await loadVersionState(name, dir, version, entry.config, server, devices, log, notify));
  }
  return entry;
}

/** Loads one version folder; a failure is recorded as a failed state with the reason, never thrown. */
async function loadVersionState(
  name: string,
  dir: string,
  version: number,
  config: ModelConfig,
  server: ServerConfig,
  devices: DeviceResolver,
  log: Logger,
  notify: () => void,
): Promise<VersionState> {
  const modelFile = join(dir, String(version), 'model.onnx');
  const signature = fileSignature(modelFile);
  const escape =
    outsideRepository(dirname(dir), join(dir, String(version))) ?? outsideRepository(dirname(dir), modelFile);
  if (escape) {
    log.error({ version }, `model "${name}" version ${version} not loaded: ${escape}`);
    return { version, state: 'failed', error: escape, signature };
  }
  if (!existsSync(modelFile)) {
    log.error({ version }, `model "${name}" version ${version} not loaded: ${modelFile} does not exist`);
    return { version, state: 'failed', error: `${modelFile} does not exist`, signature };
  }
  const started = performance.now();
  try {
    const onFailure = (reason: string) => {
      log.error({ version }, `model "${name}" version ${version} is not ready any more: ${reason}`);
      notify();
    };
    const loaded = await loadVersion(name, dir, version, config, server, devices.current, log, onFailure);
    devices.observe(loaded.cudaFallbackReason);
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
    return { version, state: 'ready', loaded, signature };
  } catch (error) {
    const message = (error as Error).message;
    log.error({ version }, `model "${name}" version ${version} not loaded: ${message}`);
    return {
      version,
      state: 'failed',
      error: message.includes(modelFile) ? message : `${modelFile}: ${message}`,
      signature,
    };
  }
}

/** Which version folders a model serves, by its version policy (Triton's: latest by default, all, specific). */
export function selectVersions(config: ModelConfig, available: number[]): number[] {
  const policy = config.serving?.version_policy ?? 'latest';
  if (policy === 'all') return available;
  if (policy === 'latest') return available.length > 0 ? [available[available.length - 1]] : [];
  return available.filter((v) => policy.specific.includes(v));
}

function versionFolders(dir: string): number[] {
  return readdirSync(dir)
    .filter((v) => VERSION_NAME.test(v) && statSync(join(dir, v)).isDirectory())
    .map(Number)
    .sort((a, b) => a - b);
}

/** Changes when a file is replaced or rewritten (size and modification time); '' when it does not exist. */
function fileSignature(file: string): string {
  if (!existsSync(file)) return '';
  const stat = statSync(file);
  return `${stat.size}:${stat.mtimeMs}`;
}

function modelFolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => MODEL_NAME.test(n) && statSync(join(dir, n)).isDirectory())
    .sort();
}
