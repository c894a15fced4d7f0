/**
 * Preloaded with `node --import` to make the @iconify-json packages unresolvable, as in an install that left
 * them out: every lookup fails as Node's own does (MODULE_NOT_FOUND), and each attempt is reported on stderr
 * so a test can tell whether a command tried to load them at all.
 */
import Module from 'node:module';

const HIDDEN = '@iconify-json/';
type Resolve = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const original = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (request.startsWith(HIDDEN)) {
    process.stderr.write(`hide-icon-sets: refused ${request}\n`);
    const error = new Error(`Cannot find module '${request}'`) as Error & { code: string };
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return original.call(this, request, ...rest);
};
