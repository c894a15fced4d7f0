/** The bytes the job runner sends for one item: the file itself, or a composite made from its parts. */
import { readFile } from 'node:fs/promises';
import type { EvalItem } from './types.js';

export async function readItemBytes(item: EvalItem): Promise<Buffer> {
  if (item.composite) {
    // Made by the Backgrounds Challenge adversarial reader's compositor (eval-core work in progress).
    throw new Error(`${item.path}: composite items are not supported yet`);
  }
  return readFile(item.absPath);
}
