/**
 * One `abort` listener per AbortSignal, however many calls share it.
 *
 * A caller commonly passes one long-lived signal to many concurrent calls (all the images of a batch job, say).
 * A listener per call would pass Node's limit of 10 listeners per EventTarget and print
 * MaxListenersExceededWarning, and raising the limit on the caller's signal would change an object we do not own.
 * So the first call on a signal adds the only listener, and it fans the abort out to every call registered then.
 *
 * @internal
 */
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `onAbort` when `signal` aborts; returns the function that unregisters it (call it when the call ends, so
 * a long-lived signal keeps nothing of finished calls).
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let set = callbacks.get(signal);
  if (!set) {
    const created = new Set<() => void>();
    set = created;
    callbacks.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        callbacks.delete(signal);
        for (const callback of created) callback();
      },
      { once: true },
    );
  }
  set.add(onAbort);
  const registeredIn = set;
  return () => {
    registeredIn.delete(onAbort);
  };
}
