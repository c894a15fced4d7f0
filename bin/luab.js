#!/usr/bin/env node
// The `luab` command. It runs the compiled TypeScript in dist/, which `npm ci` builds (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/client/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('luab: dist/ is missing; run `npm run build` (npm ci runs it for you).');
  process.exit(1);
}
await import(entry.href);
