/**
 * The job's work list: each suite's items in the reader's deterministic order, the first `limit` of them, then the
 * shard's slice (item i goes to shard i mod n), so n shards of the same spec are disjoint and together the whole.
 * Items are streamed, never collected: memory does not grow with the suite.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { EvalItem, SuiteDefinition } from '../types.js';
import type { ShardSpec } from './job-spec.js';

/** The identity of an item (and of its prediction line): suite, variant, path. */
export const itemKey = (item: { suite: string; variant: string; path: string }): string =>
  `${item.suite}\u0000${item.variant}\u0000${item.path}`;

export async function* sliceItems(
  suite: SuiteDefinition,
  root: string,
  limit: number | undefined,
  shard: ShardSpec | undefined,
): AsyncGenerator<EvalItem> {
  let index = 0;
  for await (const item of suite.read(root)) {
    if (limit && index >= limit) break;
    if (!shard || index % shard.count === shard.index) yield item;
    index += 1;
  }
}

export interface SuiteCensus {
  /** Items this job evaluates (after limit and shard). */
  total: number;
  /** Items of the whole (limited, unsharded) list: what the fingerprint covers. */
  items: number;
  /** sha256 over the whole list's suite/variant/path and file sizes: the same data gives the same value. */
  fingerprint: string;
}

/** One pass over the suite before the job starts: counts for the progress bars, and the dataset fingerprint. */
export async function censusSuite(
  suite: SuiteDefinition,
  root: string,
  limit: number | undefined,
  shard: ShardSpec | undefined,
): Promise<SuiteCensus> {
  const hash = createHash('sha256');
  let items = 0;
  let total = 0;
  for await (const item of sliceItems(suite, root, limit, undefined)) {
    // Composites have no single file of their own; their parts' names identify them.
    const size = item.composite
      ? -1
      : await stat(item.absPath).then(
          (s) => s.size,
          () => -1,
        );
    hash.update(`${itemKey(item)}\u0000${size}\n`);
    if (!shard || items % shard.count === shard.index) total += 1;
    items += 1;
  }
  return { total, items, fingerprint: `sha256:${hash.digest('hex')}` };
}
