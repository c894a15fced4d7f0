/**
 * The thread of a {@link FileReaderPool}: reads each batch of files it is sent with readFileSync, one after
 * another, and posts the whole batch's bytes (or each file's error) back in one message.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ReadBatchReply, ReadBatchRequest } from './file-reader-pool.js';

parentPort!.on('message', ({ id, paths }: ReadBatchRequest) => {
  const results: ReadBatchReply['results'] = paths.map((path) => {
    try {
      return { bytes: readFileSync(path) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
  parentPort!.postMessage({ id, results } satisfies ReadBatchReply);
});
