/**
 * Where the committed assets live. The generator runs compiled (dist/synth/*.js) or from source (synth/*.ts under
 * tsx); tsc does not copy assets into dist/, so both resolve to the source folder synth/assets/.
 * @internal
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function assetsDir(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'synth', 'assets');
    if (existsSync(join(candidate, 'icon_classes.json'))) return (cached = candidate);
    dir = dirname(dir);
  }
  throw new Error(`cannot find synth/assets/ above ${fileURLToPath(import.meta.url)}; is the checkout complete?`);
}
