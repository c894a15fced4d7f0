/**
 * Errors on the HTTP port: the same ServiceErrors the gRPC handlers raise, as `{"error": "..."}` with the HTTP
 * status that matches the gRPC code (toStatus stays the one place that hides internal errors).
 */
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ServiceError, toStatus } from '../errors.js';

const HTTP_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.NOT_FOUND]: 404,
  [status.UNAVAILABLE]: 503,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.CANCELLED]: 499,
  [status.UNIMPLEMENTED]: 501,
  [status.FAILED_PRECONDITION]: 400,
};

/** An HTTP-only failure (wrong method, body too large, ...). */
export class HttpError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function toHttpError(error: unknown, log: Logger): { httpStatus: number; message: string } {
  if (error instanceof HttpError) return { httpStatus: error.httpStatus, message: error.message };
  const { code, details } = toStatus(error, log);
  const httpStatus = error instanceof ServiceError ? (HTTP_STATUS[code] ?? 500) : 500;
  return { httpStatus, message: details };
}
