/** The parts of a grpc-js server call the predictor cares about: its deadline and its cancellation. */
import { setMaxListeners } from 'node:events';
import type { Deadline } from '@grpc/grpc-js';
import { cancelled } from '../errors.js';
import type { CallContext } from '../predictor.js';

interface CancellableCall {
  getDeadline(): Deadline;
  on(event: 'cancelled', listener: () => void): unknown;
}

export function callContext(call: CancellableCall): CallContext {
  const controller = new AbortController();
  // A stream's items share this signal, and each item waiting in a batch queue listens on it: many listeners
  // are by design (bounded by the stream's in-flight limit), not a leak, so Node's warning past 10 is off.
  setMaxListeners(0, controller.signal);
  // grpc-js emits 'cancelled' when the client cancels and when the deadline passes.
  // The reason is what signal.throwIfAborted() throws: a CANCELLED status, not an internal error.
  call.on('cancelled', () => controller.abort(cancelled('request cancelled by the client')));
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return { deadline: Number.isFinite(ms) ? ms : Infinity, signal: controller.signal };
}
