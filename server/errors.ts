/**
 * Errors that become a gRPC status. Every failure a client can cause is raised as a {@link ServiceError} with a
 * status code and a message that names the request field; {@link toStatus} is the one place that turns anything
 * thrown into a status (unknown errors become INTERNAL with a generic message, the stack goes to the log).
 */
import { status, type Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { badRequestMetadata } from './rich-status.js';
import { boundedMessage } from './status-text.js';

export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    /** The request field at fault, sent as a google.rpc.BadRequest field violation too. */
    readonly field?: string,
  ) {
    // Bounded here, where every status message is made: one line, echoed values shortened (status-text.ts).
    super(boundedMessage(message));
    this.name = 'ServiceError';
  }
}

export const invalidArgument = (field: string, message: string) =>
  new ServiceError(status.INVALID_ARGUMENT, `${field}: ${message}`, field);
export const notFound = (field: string, message: string) => new ServiceError(status.NOT_FOUND, `${field}: ${message}`);
export const resourceExhausted = (message: string) => new ServiceError(status.RESOURCE_EXHAUSTED, message);
export const unavailable = (message: string) => new ServiceError(status.UNAVAILABLE, message);
export const deadlineExceeded = (message: string) => new ServiceError(status.DEADLINE_EXCEEDED, message);
export const cancelled = (message: string) => new ServiceError(status.CANCELLED, message);

export interface StatusObject {
  code: status;
  details: string;
  /** Trailers; `grpc-status-details-bin` (google.rpc.Status) for an error that names its field. */
  metadata?: Metadata;
}

/** The status of a {@link ServiceError}, with the rich error model's field violation when it names a field. */
export function serviceErrorStatus(error: ServiceError): StatusObject {
  if (error.field === undefined) return { code: error.code, details: error.message };
  const prefix = `${error.field}: `;
  const description = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return {
    code: error.code,
    details: error.message,
    metadata: badRequestMetadata(error.code, error.message, [{ field: error.field, description }]),
  };
}

let internalErrorCount = 0;

/** Maps anything thrown by a handler to a status; logs what the client is not told. */
export function toStatus(error: unknown, log: Logger): StatusObject {
  if (error instanceof ServiceError) return serviceErrorStatus(error);
  internalErrorCount += 1;
  const ref = `E${Date.now().toString(36)}-${internalErrorCount}`;
  log.error({ err: error, ref }, 'internal error while handling a request');
  return { code: status.INTERNAL, details: `internal server error (reference ${ref} in the server log)` };
}
