/** The demo's `synth` stage: `luab synth` with the demo's sizes (settings.ts) into OUT/data, for the demo and the study. */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runChild } from './child.js';
import type { DemoSettings } from './settings.js';

export async function runSynthStage(
  luab: string,
  settings: DemoSettings,
  out: string,
  dataDir: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const args = [luab, 'synth', '--out', dataDir, '--quiet'];
  if (settings.synth.small) args.push('--small');
  else {
    const configFile = join(out, 'synth-config.json');
    writeFileSync(configFile, `${JSON.stringify(settings.synth.config, null, 2)}\n`);
    args.push('--config', configFile);
  }
  await runChild(process.execPath, args, { logFile: join(out, 'logs', 'synth.log'), signal, what: 'luab synth' });
  return { data: relative(out, dataDir) };
}
