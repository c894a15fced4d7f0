/** ModelRepository entries → the API's ModelInfo messages (ListModels, GetModel). */
import { pointOutputName } from '../model-repository/model-config.js';
import { versionError, type ModelEntry } from '../model-repository/repository.js';
import { ModelVersion_State, type ModelInfo } from '../../proto/generated/luab/v1/inference.js';

export function toModelInfo(entry: ModelEntry): ModelInfo {
  const config = entry.config;
  // A version whose runtime failed after loading is reported FAILED with the reason, like one that never loaded.
  const ready = entry.versions.filter((v) => versionError(v) === '');
  return {
    name: entry.name,
    task: config?.task ?? '',
    labels: (config?.labels ?? []).map((l) => ({ name: l.name, wnid: l.wnid ?? '' })),
    inputName: config?.input.name ?? '',
    inputHeight: config?.input.height ?? 0,
    inputWidth: config?.input.width ?? 0,
    pointOutput: config ? (pointOutputName(config) ? (config.task === 'single-label' ? 'point' : 'points') : '') : '',
    versions: entry.versions.map((v) =>
      versionError(v) === ''
        ? { version: v.version, state: ModelVersion_State.STATE_READY, error: '', device: deviceOf(v) }
        : { version: v.version, state: ModelVersion_State.STATE_FAILED, error: versionError(v), device: deviceOf(v) },
    ),
    latestVersion: ready.length > 0 ? ready[ready.length - 1].version : 0,
    error:
      entry.error ?? (entry.reloadError ? `reload failed, the loaded versions keep serving: ${entry.reloadError}` : ''),
    provenanceJson: config?.provenance ? JSON.stringify(config.provenance) : '',
  };
}

const deviceOf = (v: ModelEntry['versions'][number]) => (v.state === 'ready' ? v.loaded.runtime.device : '');
