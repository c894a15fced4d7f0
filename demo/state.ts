/**
 * The demo's state file, OUT/demo-state.json: which stages are finished (per model and seed), what they produced,
 * and the settings the folder was made with. A stage is recorded only after its outputs are complete, and the
 * file is replaced atomically (write, fsync, rename), so an interruption at any point leaves either the old or
 * the new state, never a torn one; a rerun skips what is recorded and redoes only the stage that was cut short.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_FILE = 'demo-state.json';

export interface StageRecord {
  finishedAt: string;
  seconds: number;
  /** What the stage produced (paths relative to OUT, the model version, ...). */
  outputs: Record<string, unknown>;
}

interface StateData {
  schemaVersion: 1;
  settings: Record<string, unknown>;
  stages: Record<string, StageRecord>;
}

export class DemoStateError extends Error {}

export class DemoState {
  private constructor(
    private readonly path: string,
    private readonly data: StateData,
  ) {}

  /**
   * Opens OUT's state, or starts one. A folder made with other settings is refused (its models were trained
   * differently), naming the settings that differ.
   */
  static open(outDir: string, settings: Record<string, unknown>): DemoState {
    const path = join(outDir, STATE_FILE);
    if (!existsSync(path)) return new DemoState(path, { schemaVersion: 1, settings, stages: {} });
    let data: StateData;
    try {
      data = JSON.parse(readFileSync(path, 'utf8')) as StateData;
    } catch (error) {
      throw new DemoStateError(`${path}: not a demo state file (${(error as Error).message})`);
    }
    if (data.schemaVersion !== 1 || typeof data.stages !== 'object' || data.stages === null) {
      throw new DemoStateError(`${path}: field 'schemaVersion': expected 1, got ${JSON.stringify(data.schemaVersion)}`);
    }
    const differing = Object.keys({ ...settings, ...data.settings }).filter(
      (key) => JSON.stringify(settings[key]) !== JSON.stringify(data.settings[key]),
    );
    if (differing.length > 0) {
      const show = (v: unknown) => JSON.stringify(v ?? null);
      throw new DemoStateError(
        `${path}: this folder was made with other settings (${differing
          .map((k) => `${k}: ${show(data.settings[k])} there, ${show(settings[k])} now`)
          .join('; ')}); continue it with the same settings, or choose another --out`,
      );
    }
    return new DemoState(path, data);
  }

  done(stage: string): StageRecord | undefined {
    return this.data.stages[stage];
  }

  /** Records a finished stage and writes the file atomically. */
  finish(stage: string, seconds: number, outputs: Record<string, unknown> = {}): void {
    this.data.stages[stage] = { finishedAt: new Date().toISOString(), seconds, outputs };
    this.save();
  }

  /** Forgets a stage (its inputs changed: e.g. a model re-exported must be evaluated again). */
  forget(stage: string): void {
    if (!(stage in this.data.stages)) return;
    delete this.data.stages[stage];
    this.save();
  }

  save(): void {
    const partial = `${this.path}.partial`;
    const fd = openSync(partial, 'w');
    try {
      writeSync(fd, `${JSON.stringify(this.data, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, this.path);
  }
}
