/**
 * Tells the server's own resource failures apart from bad input. The decoder reports every failure as
 * INVALID_ARGUMENT on `image`, but an image that could not be decoded because the server ran out of memory, file
 * handles or threads is not the client's fault, and a client must not be told to stop sending it: those become
 * RESOURCE_EXHAUSTED ("retry later"). Classified here, after the decoder, so the decoder keeps one error policy.
 */
import { status } from '@grpc/grpc-js';
import { resourceExhausted, ServiceError } from './errors.js';

/** libvips / glib / libc wordings of an exhausted resource (allocation, file descriptors, threads). */
const RESOURCE_FAILURE =
  /out of memory|cannot allocate|not enough memory|failed to allocate|vips_malloc|bad_alloc|ENOMEM|EMFILE|ENFILE|too many open files|unable to create thread|Resource temporarily unavailable/i;

/** Returns the error to answer with: RESOURCE_EXHAUSTED for a resource failure, otherwise `error` itself. */
export function classifyDecodeFailure(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const clientBlamed = error instanceof ServiceError && error.code === status.INVALID_ARGUMENT;
  if ((clientBlamed || !(error instanceof ServiceError)) && RESOURCE_FAILURE.test(message)) {
    return resourceExhausted(
      'the server ran out of resources while decoding the image (not a fault of the image); retry later',
    );
  }
  return error;
}
