/**
 * A counting semaphore for the image decoders whose waiting callers can leave: a request whose client cancels,
 * whose deadline passes or that the server shuts down while it waits for a slot is answered at once and gives its
 * place up. (p-limit, used before, cannot drop a queued task: a cancelled request kept its place and its bytes
 * until a slot came free.)
 */
import { deadlineExceeded } from '../errors.js';

interface Waiter {
  grant: () => void;
  fail: (error: unknown) => void;
}

export class DecodeSlots {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly size: number) {}

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Waits for a slot; resolves with the function that gives it back. Rejects with the signal's reason when it
   * aborts, and with DEADLINE_EXCEEDED when `deadline` (Date.now() ms) passes, whichever comes first.
   */
  acquire(signal: AbortSignal, deadline = Infinity): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (deadline <= Date.now()) return Promise.reject(deadlineExceeded('deadline passed before decoding'));
    if (this.active < this.size) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        leave();
        reject(signal.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve(this.releaser());
        },
        fail: (error) => {
          leave();
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(deadline)) {
        timer = setTimeout(
          () => waiter.fail(deadlineExceeded('deadline passed while waiting to be decoded')),
          deadline - Date.now(),
        );
      }
      this.waiters.push(waiter);
    });
  }

  /** Answers every waiting caller with `reason` (shutdown). */
  rejectAll(reason: Error): void {
    for (const waiter of [...this.waiters]) waiter.fail(reason);
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters[0];
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next.grant();
      else this.active -= 1;
    };
  }
}
