/** The demo's `synth` stage: `luab synth` with the demo's sizes (settings.ts) into OUT/data, for the demo and the study. */
import { writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { runChild } from './child.js';
import type { DemoSettings } from './settings.js';

/**
 * `overrides`: top-level synth keys layered over the demo's configuration (the study's other datasets: rho, image
 * size); with `--small` they go over the small preset.
 */
export async function runSynthStage(
  luab: string,
  settings: DemoSettings,
  out: string,
  dataDir: string,
  signal?: AbortSignal,
  overrides: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const args = [luab, 'synth', '--out', dataDir, '--quiet'];
  if (settings.synth.small) args.push('--small');
  const config = settings.synth.small ? overrides : { ...settings.synth.config, ...overrides };
  // OUT/data (the demo's) keeps the plain names; the study's other datasets get theirs.
  const suffix = basename(dataDir) === 'data' ? '' : `-${basename(dataDir)}`;
  if (Object.keys(config).length > 0) {
    const configFile = join(out, `synth-config${suffix}.json`);
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    args.push('--config', configFile);
  }
  const logFile = join(out, 'logs', `synth${suffix}.log`);
  await runChild(process.execPath, args, { logFile, signal, what: `luab synth (${relative(out, dataDir)})` });
  return { data: relative(out, dataDir) };
}
