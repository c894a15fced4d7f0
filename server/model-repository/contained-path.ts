/**
 * Paths the server reads stay inside the model repository. Requests only ever name models and versions that a
 * scan of the repository found (a map lookup, never a path join), so `..` or an absolute path in a request cannot
 * reach a file; what remains is the repository itself: a model folder, version folder, model.onnx or config.json
 * that is a symbolic link to somewhere else. Links within the repository are fine (an alias model, say); a link
 * out of it is refused, so that whoever may write links into the repository cannot make the server read, and
 * report errors about, arbitrary files.
 */
import { realpathSync } from 'node:fs';
import { relative, isAbsolute, sep } from 'node:path';

/** Why `path` is not inside `root` (both resolved through symbolic links), or undefined when it is. */
export function outsideRepository(root: string, path: string): string | undefined {
  let realRoot: string;
  let realPath: string;
  try {
    realRoot = realpathSync(root);
    realPath = realpathSync(path);
  } catch {
    return undefined; // a missing file is reported by whoever reads it, with its own message
  }
  const rel = relative(realRoot, realPath);
  if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))) return undefined;
  return `${path} resolves to ${realPath}, outside the model repository ${realRoot}; links out of the repository are refused`;
}
