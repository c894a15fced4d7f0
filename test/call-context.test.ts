/** A cancelled call aborts the predictor's signal with a CANCELLED status, so nothing reports it as INTERNAL. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { ServiceError, toStatus } from '../server/errors.js';
import { callContext } from '../server/grpc/call-context.js';

describe('callContext', () => {
  it('turns the call deadline into milliseconds and its cancellation into a CANCELLED abort reason', () => {
    const call = Object.assign(new EventEmitter(), { getDeadline: () => new Date(1_000_000) });
    const context = callContext(call);
    assert.equal(context.deadline, 1_000_000);
    call.emit('cancelled');
    assert.ok(context.signal.aborted);
    assert.throws(
      () => context.signal.throwIfAborted(),
      (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.equal(toStatus(error, pino({ level: 'silent' })).code, status.CANCELLED);
        return true;
      },
    );
  });

  it('has no deadline when the client set none', () => {
    const call = Object.assign(new EventEmitter(), { getDeadline: () => Infinity });
    assert.equal(callContext(call).deadline, Infinity);
  });
});
