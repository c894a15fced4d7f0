/**
 * The resumable stage runner shared by `luab demo` (run-demo.ts) and its regime study (study.ts): a stage named in
 * the state file as finished is skipped, any other runs and is recorded with its outputs, and progress says which
 * of the numbered stages is running.
 */
import { DemoInterrupted } from './child.js';
import type { DemoState } from './state.js';

export const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export interface StageRunner {
  /** Runs a stage unless the state says it is finished; `work` returns the stage's outputs. */
  stage(name: string, work: () => Promise<Record<string, unknown>>): Promise<void>;
  ran: string[];
  skipped: string[];
}

export function stageRunner(
  state: DemoState,
  stageNames: readonly string[],
  progress: (line: string) => void,
  signal?: AbortSignal,
): StageRunner {
  const ran: string[] = [];
  const skipped: string[] = [];
  const stage = async (name: string, work: () => Promise<Record<string, unknown>>): Promise<void> => {
    if (signal?.aborted) throw new DemoInterrupted();
    const label = `[${stageNames.indexOf(name) + 1}/${stageNames.length}] ${name}`;
    const earlier = state.done(name);
    if (earlier) {
      skipped.push(name);
      progress(`${label}: done earlier (${earlier.finishedAt}), skipped`);
      return;
    }
    progress(`${label} ...`);
    const started = performance.now();
    const outputs = await work();
    state.finish(name, seconds(started), outputs);
    ran.push(name);
    progress(`${label}: done in ${seconds(started)} s`);
  };
  return { stage, ran, skipped };
}
