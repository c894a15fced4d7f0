/** The try-a-model page (web/): a few static files, read once, served at / on the HTTP port. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const cache = new Map<string, { body: Buffer; type: string } | null>();

/** The file of web/ for a URL path (`/` is index.html), or undefined; only plain names, no sub-folders. */
export function staticFile(path: string): { body: Buffer; type: string } | undefined {
  const name = path === '/' ? 'index.html' : path.slice(1);
  if (!/^[a-z0-9-]+\.(html|js|css|svg)$/.test(name)) return undefined;
  if (!cache.has(name)) {
    const file = join(packageRoot(), 'web', name);
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    cache.set(name, existsSync(file) ? { body: readFileSync(file), type } : null);
  }
  return cache.get(name) ?? undefined;
}
