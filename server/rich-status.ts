/**
 * The gRPC rich error model: a `google.rpc.Status` carrying `google.rpc.BadRequest` field violations, sent in the
 * `grpc-status-details-bin` trailer beside the plain message, so a client can read which field was wrong without
 * parsing text. The message types come from nice-grpc-error-details (generated from googleapis' protos); the
 * client's reader is client/error-details.ts.
 */
import { Metadata } from '@grpc/grpc-js';
import { Any, BadRequest } from 'nice-grpc-error-details';
import { Status } from 'nice-grpc-error-details/lib/proto/google/rpc/status.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

export interface FieldViolation {
  /** Path of the field in the request, as the .proto names it (`tensor.shape[1]`). */
  field: string;
  description: string;
}

/** Trailer metadata carrying a google.rpc.Status with one BadRequest listing `violations`. */
export function badRequestMetadata(code: number, message: string, violations: FieldViolation[]): Metadata {
  const badRequest = BadRequest.fromPartial({ fieldViolations: violations });
  const details = Status.fromPartial({
    code,
    message,
    details: [Any.fromPartial({ typeUrl: BAD_REQUEST_TYPE_URL, value: BadRequest.encode(badRequest).finish() })],
  });
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode(details).finish()));
  return metadata;
}
