#!/usr/bin/env node
// The `luab` command. It runs the compiled TypeScript in dist/, which `npm ci` builds (the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/client/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('luab: dist/ is missing; run `npm run build` (npm ci runs it for you).');
  process.exit(1);
}
// The image decoders run on libuv's thread pool, which reads UV_THREADPOOL_SIZE once, when it starts: set it here,
// before anything (fs, crypto, sharp) can start the pool, from the decode concurrency the serve command will use.
if (process.argv[2] === 'serve' && process.env.UV_THREADPOOL_SIZE === undefined) {
  const budget = await import(new URL('../dist/server/runtime/thread-budget.js', import.meta.url).href);
  const decode = budget.decodeConcurrencyFor(budget.decodeSettingFromArgv(process.argv, process.env));
  process.env.UV_THREADPOOL_SIZE = String(budget.uvThreadpoolSizeFor(decode));
}
await import(entry.href);
