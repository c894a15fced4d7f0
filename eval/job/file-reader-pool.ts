/**
 * Reads the job's image files in batches on a few worker threads (readFileSync there), so the evaluation
 * process's main thread pays one message per batch rather than fs.readFile's four thread-pool round trips
 * (open, fstat, read, close) per file.
 *
 * Why: the job shares the machine's cores with the inference server it drives, so its CPU per image is throughput
 * the server loses (bench/eval-throughput.ts). Measured here on 6,030 cached 64 px JPEGs, 8 reads at a time:
 * fs.readFile's callback form cost 30-56 us of process CPU per file, readFileSync 4-9 us; under load each
 * thread-pool hand-off can also cost a context switch. Reading on the main thread with readFileSync would be as
 * cheap but would stop the job while a cold disk or a network file system answers; here the reads of a batch
 * still overlap the requests in flight, and `threads` batches are read at once.
 */
import { Worker } from 'node:worker_threads';

export interface ReadBatchRequest {
  id: number;
  paths: string[];
}

export interface ReadBatchReply {
  id: number;
  /** In the order of the request's paths: the bytes, or the error message of that file (ENOENT, EACCES, ...). */
  results: ({ bytes: Uint8Array } | { error: string })[];
}

/** The pool itself failed (a reader thread died): not a fault of the files, so not an unreadable image. */
export class FileReaderPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileReaderPoolError';
  }
}

export type FileResult = { ok: true; value: Buffer } | { ok: false; error: Error };

interface Pending {
  resolve: (results: FileResult[]) => void;
  reject: (error: Error) => void;
  thread: number;
}

export class FileReaderPool {
  private readonly workers: Worker[];
  /** Batches sent to each thread and not yet answered. */
  private readonly load: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: FileReaderPoolError | undefined;

  constructor(threads = 2) {
    const url = new URL('./file-reader-thread.js', import.meta.url);
    this.load = new Array<number>(threads).fill(0);
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(url);
      worker.on('message', (reply: ReadBatchReply) => this.settle(reply));
      worker.on('error', (error) => this.fail(`a file reader thread failed: ${error.message}`));
      worker.on('exit', (code) => {
        if (this.pending.size > 0) this.fail(`a file reader thread exited (code ${code}) with reads outstanding`);
      });
      // An idle pool does not keep the process alive (close() ends the threads); one with reads out does.
      worker.unref();
      return worker;
    });
  }

  /** Reads the files, on the least busy thread; each result is the file's bytes or its own error. */
  read(paths: string[]): Promise<FileResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    const thread = this.load.indexOf(Math.min(...this.load));
    const id = this.nextId++;
    if (this.load[thread]++ === 0) this.workers[thread].ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, thread });
      this.workers[thread].postMessage({ id, paths } satisfies ReadBatchRequest);
    });
  }

  private settle({ id, results }: ReadBatchReply): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (--this.load[pending.thread] === 0) this.workers[pending.thread].unref();
    pending.resolve(
      results.map((r): FileResult =>
        'bytes' in r
          ? { ok: true, value: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) }
          : { ok: false, error: new Error(r.error) },
      ),
    );
  }

  private fail(message: string): void {
    this.failure ??= new FileReaderPoolError(message);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  async close(): Promise<void> {
    // Terminating is not a failure of reads still outstanding: there are none once the job's workers are done.
    this.failure ??= new FileReaderPoolError('the file reader pool is closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
