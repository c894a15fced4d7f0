/**
 * OUT/predictions.jsonl: one JSON line per evaluated image, the job's only durable record. Lines are collected for
 * at most {@link COALESCE_MS} ms (or until `maxLines` wait) and appended in one write() per batch (a process
 * killed with SIGKILL loses nothing the kernel has, and never half a line unless it dies inside that call; a line
 * not yet written is not counted done, and its image is evaluated again on resume), and fsync'ed periodically
 * (what a power loss could cost is bounded by the interval) and at close.
 * Resume reads the file back: a torn last line is cut off (its image is evaluated again); a bad line anywhere else
 * is corruption and stops the job rather than guess.
 */
import { close, createReadStream, fdatasync, open, writeSync } from 'node:fs';
import { open as openHandle, truncate, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { PredictionLine } from '../types.js';
import { JobError } from './job-spec.js';

const FSYNC_INTERVAL_MS = 1000;
/**
 * How long a finished line may wait for others to share its write(). Each write is a system call (and was, before
 * writes moved to the main thread, a thread-pool round trip) whose CPU is taken from the inference server on the
 * same cores: at 400 images/s one write per line was ~10% of the job's CPU; at 25 ms about 10 lines share one.
 */
export const COALESCE_MS = 25;

// A plain file descriptor, not a fs/promises FileHandle: the promise API costs several times the CPU per call
// (bench/eval-throughput.ts).
const openFile = promisify(open);
const syncFile = promisify(fdatasync);
const closeFile = promisify(close);

export interface WriterOptions {
  /** Write at once when this many lines wait, without waiting out the coalescing window (default 64). */
  maxLines?: number;
  /** How long a line may wait for others (default {@link COALESCE_MS}). */
  coalesceMs?: number;
}

/**
 * Appends lines. A line waits up to {@link COALESCE_MS} for others, and lines that arrive while a write is under
 * way go out together in the next write (group commit); `append` resolves once its line is written.
 */
export class PredictionsWriter {
  private queue: { text: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  private writing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  private readonly maxLines: number;
  private readonly coalesceMs: number;

  private constructor(
    private readonly fd: number,
    options: WriterOptions,
  ) {
    this.maxLines = options.maxLines ?? 64;
    this.coalesceMs = options.coalesceMs ?? COALESCE_MS;
    this.timer = setInterval(() => void this.sync().catch(() => undefined), FSYNC_INTERVAL_MS);
    this.timer.unref();
  }

  static async open(path: string, options: WriterOptions = {}): Promise<PredictionsWriter> {
    return new PredictionsWriter(await openFile(path, 'a'), options);
  }

  /** Lines accepted but not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  append(line: PredictionLine): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ text: `${JSON.stringify(line)}\n`, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.queue.length === 0) return; // drain() schedules what arrives meanwhile
    if (this.queue.length >= this.maxLines) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.writing = this.drain();
    } else {
      this.flushTimer ??= setTimeout(this.flush, this.coalesceMs);
    }
  }

  private readonly flush = () => {
    this.flushTimer = undefined;
    this.writing ??= this.drain();
  };

  /**
   * Writes what is queued now in one write() (more calls only if the kernel takes part of it), on this thread:
   * an append of a few kB to the page cache takes microseconds, while fs.write's hand-off to the thread pool
   * woke a pool thread per batch, and on cores shared with the inference server each wake-up could preempt this
   * thread (the profile showed ~0.3 ms of main-thread wall time per write). The fsync stays on the pool (it waits
   * for the disk). Asynchronous only in that the appends resolve after the write returned.
   */
  private async drain(): Promise<void> {
    const batch = this.queue.splice(0);
    try {
      let text = '';
      for (const b of batch) text += b.text;
      const bytes = Buffer.from(text);
      // write() may take part of a buffer; the rest goes in the next call, so a line is never left half-written.
      for (let offset = 0; offset < bytes.length;) offset += writeSync(this.fd, bytes, offset);
      this.dirty = true;
      for (const b of batch) b.resolve();
    } catch (error) {
      for (const b of batch) b.reject(error as Error);
    }
    // The appends above resolve on the microtask queue; what arrives meanwhile is scheduled after this write.
    await Promise.resolve();
    this.writing = undefined;
    this.schedule();
  }

  private async sync(): Promise<void> {
    await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    await syncFile(this.fd);
  }

  /** Writes what is queued, fsyncs and closes. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    while (this.writing || this.queue.length > 0) {
      this.writing ??= this.drain();
      await this.writing;
    }
    clearTimeout(this.flushTimer);
    await this.sync();
    await closeFile(this.fd);
  }
}

/**
 * Reads every complete line of an existing predictions file. When the last line is torn (no newline, or not
 * JSON), the file is truncated to the end of the line before it, so that appending goes on from a clean state.
 * @returns the number of lines read and whether a torn tail was removed
 */
export async function readPredictions(
  path: string,
  onLine: (line: PredictionLine) => void,
  options: { repair: boolean } = { repair: false },
): Promise<{ lines: number; tornBytes: number }> {
  let handle: FileHandle;
  try {
    handle = await openHandle(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: 0, tornBytes: 0 };
    throw error;
  }
  const size = (await handle.stat()).size;
  await handle.close();
  let goodBytes = 0;
  let lines = 0;
  let pending: { text: string; number: number } | undefined;
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let number = 0;
  // A line is only known to be complete when the next one starts (readline also yields an unterminated tail).
  for await (const text of reader) {
    number += 1;
    if (pending) {
      onLine(parseLine(pending.text, path, pending.number));
      goodBytes += Buffer.byteLength(pending.text) + 1;
      lines += 1;
    }
    pending = { text, number };
  }
  if (pending) {
    const terminated = goodBytes + Buffer.byteLength(pending.text) + 1 <= size;
    let parsed: PredictionLine | undefined;
    try {
      parsed = terminated ? parseLine(pending.text, path, pending.number) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed) {
      onLine(parsed);
      goodBytes += Buffer.byteLength(pending.text) + 1;
      lines += 1;
    }
  }
  const tornBytes = size - goodBytes;
  if (tornBytes > 0 && options.repair) await truncate(path, goodBytes);
  return { lines, tornBytes };
}

function parseLine(text: string, path: string, number: number): PredictionLine {
  let line: PredictionLine;
  try {
    line = JSON.parse(text) as PredictionLine;
  } catch (error) {
    throw new JobError(`${path}:${number}: not a JSON line (${(error as Error).message}); the file is corrupt`);
  }
  if (typeof line?.suite !== 'string' || typeof line.variant !== 'string' || typeof line.path !== 'string') {
    throw new JobError(`${path}:${number}: a prediction line needs suite, variant and path`);
  }
  return line;
}
