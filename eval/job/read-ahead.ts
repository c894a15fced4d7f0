/**
 * Read-ahead over a stream of work: each item's read starts up to `depth` items before a consumer takes it, so
 * the consumers (the request slots) find its bytes ready. At most `depth` reads are held beyond those taken,
 * whatever the length of the stream.
 */
export type ReadResult<R> = { ok: true; value: R } | { ok: false; error: Error };

export async function* readAhead<T, R>(
  source: AsyncIterable<T>,
  read: (item: T) => Promise<R>,
  depth: number,
): AsyncGenerator<{ value: T; result: Promise<ReadResult<R>> }> {
  const queue: { value: T; result: Promise<ReadResult<R>> }[] = [];
  for await (const value of source) {
    // Settled into a result here, so a failed read is never an unhandled rejection while it waits in the queue.
    const result = read(value).then(
      (r): ReadResult<R> => ({ ok: true, value: r }),
      (error: unknown): ReadResult<R> => ({ ok: false, error: error as Error }),
    );
    queue.push({ value, result });
    if (queue.length > depth) yield queue.shift()!;
  }
  while (queue.length > 0) yield queue.shift()!;
}
