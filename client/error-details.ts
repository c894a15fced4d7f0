/**
 * Reads the gRPC rich error model: the `google.rpc.BadRequest` field violations of the `google.rpc.Status` that
 * the server sends in the `grpc-status-details-bin` trailer (message types from nice-grpc-error-details).
 *
 * @internal used by {@link LuabError}.
 */
import { BadRequest } from 'nice-grpc-error-details';
import { Status } from 'nice-grpc-error-details/lib/proto/google/rpc/status.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

/** One wrong field of a request. */
export interface FieldViolation {
  /** Path of the field in the request, as the .proto names it (`tensor.shape[1]`). */
  field: string;
  description: string;
}

/** The field violations of a `grpc-status-details-bin` value; empty when it holds none (or is not one). */
export function decodeFieldViolations(bytes: Uint8Array): FieldViolation[] {
  try {
    return Status.decode(bytes)
      .details.filter((any) => any.typeUrl === BAD_REQUEST_TYPE_URL)
      .flatMap((any) => BadRequest.decode(any.value).fieldViolations)
      .map((v) => ({ field: v.field, description: v.description }));
  } catch {
    return []; // a trailer we cannot read must not hide the status itself
  }
}
