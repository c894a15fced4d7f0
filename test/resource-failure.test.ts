/** A decode that fails for lack of server resources is RESOURCE_EXHAUSTED, not the client's INVALID_ARGUMENT. */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { invalidArgument, ServiceError } from '../server/errors.js';
import { classifyDecodeFailure } from '../server/resource-failure.js';

describe('classifyDecodeFailure', () => {
  const code = (error: unknown) => (classifyDecodeFailure(error) as ServiceError).code;

  it('turns out-of-memory, file-handle and thread failures into RESOURCE_EXHAUSTED', () => {
    for (const message of [
      'cannot be decoded (vips_malloc: out of memory -- size == 1.2GB)',
      'cannot be decoded (EMFILE: too many open files)',
      'cannot be decoded (std::bad_alloc)',
    ]) {
      assert.equal(code(invalidArgument('image', message)), status.RESOURCE_EXHAUSTED, message);
    }
    assert.match((classifyDecodeFailure(new Error('ENOMEM')) as Error).message, /not a fault of the image/);
  });

  it('leaves bad images INVALID_ARGUMENT', () => {
    const bad = invalidArgument('image', 'cannot be decoded (VipsJpeg: Premature end of input file)');
    assert.equal(classifyDecodeFailure(bad), bad);
  });
});
