/**
 * Read-ahead over a stream of work: items are taken from the source in batches of up to `batchSize` and each
 * batch's read starts at once, up to `depth` items before a consumer takes them, so the consumers (the request
 * slots) find their bytes ready. At most `depth + batchSize` items are held beyond those taken, whatever the
 * length of the stream. Reading a batch in one call lets the reader pay its fixed cost once per batch
 * (eval/job/file-reader-pool.ts).
 */
export type ReadResult<R> = { ok: true; value: R } | { ok: false; error: Error };

/**
 * Reads a batch: one result promise per item, in order. A rejected promise becomes that item's failed result,
 * so a failed read is never an unhandled rejection while it waits in the queue.
 */
export type BatchRead<T, R> = (items: T[]) => Promise<ReadResult<R>>[];

export async function* readAhead<T, R>(
  source: AsyncIterable<T>,
  read: BatchRead<T, R>,
  depth: number,
  batchSize = 1,
): AsyncGenerator<{ value: T; result: Promise<ReadResult<R>> }> {
  const queue: { value: T; result: Promise<ReadResult<R>> }[] = [];
  let batch: T[] = [];
  const start = () => {
    const results = read(batch);
    batch.forEach((value, i) => {
      const result = results[i].catch((error: unknown): ReadResult<R> => ({ ok: false, error: error as Error }));
      queue.push({ value, result });
    });
    batch = [];
  };
  for await (const value of source) {
    batch.push(value);
    if (batch.length < batchSize) continue;
    start();
    while (queue.length > depth) yield queue.shift()!;
  }
  if (batch.length > 0) start();
  while (queue.length > 0) yield queue.shift()!;
}
