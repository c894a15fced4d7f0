/**
 * One model of a demo folder evaluated through the served repository with the evaluation engine (eval/job):
 * the demo evaluates every suite, the study only the Backgrounds Challenge. A job cut short continues from its
 * predictions.jsonl (no image evaluated twice).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import '../eval/suites/index.js'; // registers every suite for the evaluation engine and the report
import { prepareJob } from '../eval/job/prepare.js';
import { JobCancelledError, runJob } from '../eval/job/runner.js';
import { PREDICTIONS_FILE } from '../eval/job/job-state.js';
import { setBgcBackgroundCap } from '../eval/suites/bg-challenge-adversarial.js';
import { DemoInterrupted } from './child.js';

export interface EvaluateOptions {
  model: string;
  endpoint: string;
  /** The demo folder (paths in the result are relative to it), its data and this model's evaluation folder. */
  out: string;
  dataDir: string;
  evalDir: string;
  suites: string[];
  limit?: number;
  bgcMaxBackgrounds: number;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

export async function evaluateModel(options: EvaluateOptions): Promise<Record<string, unknown>> {
  const { model, evalDir, signal, progress } = options;
  setBgcBackgroundCap(options.bgcMaxBackgrounds);
  const prepared = await prepareJob({
    model,
    version: 0,
    endpoints: [options.endpoint],
    dataRoot: options.dataDir,
    suites: options.suites,
    suiteRoots: {},
    outDir: evalDir,
    limit: options.limit,
    concurrency: 8,
    resume: existsSync(join(evalDir, PREDICTIONS_FILE)),
    retries: 8,
    timeoutMs: 60_000,
    bgcMaxBackgrounds: options.bgcMaxBackgrounds,
  });
  let lastShown = 0;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await runJob(prepared, {
      signal: controller.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastShown < 5000) return;
        lastShown = now;
        const done = p.suites.reduce((a, s) => a + s.done, 0);
        const total = p.suites.reduce((a, s) => a + s.total, 0);
        progress(`  ${model}: ${done}/${total} images, ${p.imagesPerSecond.toFixed(0)}/s`);
      },
    });
    const images = result.report.suites.reduce((a, s) => a + s.counts.evaluated, 0);
    progress(`  ${model}: ${images} images in ${result.report.suites.length} suites`);
    return { eval: relative(options.out, evalDir), suites: result.report.suites.map((s) => s.suite), images };
  } catch (error) {
    if (error instanceof JobCancelledError) throw new DemoInterrupted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
