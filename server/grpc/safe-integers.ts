/**
 * 64-bit integers a JavaScript number cannot hold exactly become INVALID_ARGUMENT naming the field.
 *
 * The generated decoders (ts-proto, `forceLong=number`) throw a bare "Value is larger than
 * Number.MAX_SAFE_INTEGER" for a `uint64 version` or an `int64` tensor dimension of 2^53 or more, and grpc-js
 * answers any decoder failure with INTERNAL "Error deserializing request". Such a request is the client's
 * mistake, so the decoder is wrapped: when it fails, the bytes are decoded again with protobufjs (which keeps
 * 64-bit values whole) to find the field, and the call is answered by {@link safeIntegerInterceptor} with
 * INVALID_ARGUMENT, never reaching the handler. Anything else the decoder rejects keeps grpc-js's behaviour.
 */
import { join } from 'node:path';
import {
  ServerInterceptingCall,
  type ServerInterceptor,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { invalidArgument, serviceErrorStatus, type ServiceError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';

/**
 * What the wrapped decoder returns for a request it could not represent. The interceptor answers it for unary
 * calls; on a stream it reaches the handler, which answers that item alone (`id` is the item's, when readable).
 */
export class UndecodableRequest {
  constructor(
    readonly error: ServiceError,
    readonly id: string,
  ) {}
}

const SIXTY_FOUR_BIT = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** The path (`tensor.shape[1]`) and value of the first 64-bit field outside the safe range, if any. */
function findUnsafeInteger(type: protobuf.Type, message: Record<string, unknown>, prefix = ''): string | undefined {
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    // A map (KServe's `parameters`) is walked by key: its values may be messages with 64-bit fields (int64_param).
    const keys = field.map ? Object.keys(value as object) : undefined;
    const values = keys
      ? keys.map((k) => (value as Record<string, unknown>)[k])
      : field.repeated
        ? (value as unknown[])
        : [value];
    for (let i = 0; i < values.length; i += 1) {
      const index = keys ? `["${keys[i]}"]` : field.repeated ? `[${i}]` : '';
      const path = `${prefix}${field.name}${index}`;
      if (field.resolvedType instanceof protobuf.Type) {
        const found = findUnsafeInteger(field.resolvedType, values[i] as Record<string, unknown>, `${path}.`);
        if (found) return found;
      } else if (SIXTY_FOUR_BIT.has(field.type)) {
        const exact = BigInt(String(values[i]));
        if (exact > MAX || exact < MIN) {
          return `${path}: ${exact} is outside the range this server accepts (-(2^53 - 1) to 2^53 - 1)`;
        }
      }
    }
  }
  return undefined;
}

let root: protobuf.Root | undefined;
const protoRoot = () =>
  (root ??= (() => {
    const r = new protobuf.Root();
    // keepCase: paths in messages use the .proto's field names, as the API documentation does.
    r.resolvePath = (_origin, target) => join(packageRoot(), 'proto', target);
    r.loadSync(['luab/v1/inference.proto', 'inference/grpc_service.proto'], { keepCase: true }).resolveAll();
    return r;
  })());

/**
 * The service definition with each request decoder wrapped as described above. `serviceName` is the service's
 * full name in proto/ (`luab.v1.Inference`, `inference.GRPCInferenceService`).
 */
export function withSafeIntegerDecoding<T extends UntypedServiceImplementation>(
  definition: ServiceDefinition<T>,
  serviceName: string,
): ServiceDefinition<T> {
  const service = protoRoot().lookupService(serviceName);
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    const rpc = service.methods[method.path.split('/').pop()!];
    const requestType = rpc?.resolvedRequestType;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          if (!requestType) throw error;
          let unsafe: string | undefined;
          let id = '';
          try {
            const lenient = requestType.decode(bytes) as unknown as Record<string, unknown>;
            unsafe = findUnsafeInteger(requestType, lenient);
            id = typeof lenient.id === 'string' ? lenient.id : '';
          } catch {
            throw error; // malformed beyond integers: grpc-js's own answer stands
          }
          if (!unsafe) throw error;
          const colon = unsafe.indexOf(':');
          return new UndecodableRequest(invalidArgument(unsafe.slice(0, colon), unsafe.slice(colon + 2)), id);
        }
      },
    };
  }
  return wrapped as ServiceDefinition<T>;
}

/**
 * Answers a unary request the wrapped decoder could not represent with its INVALID_ARGUMENT; passes the rest
 * on, stream items included (PredictStream answers a bad item on its own and goes on).
 */
export const safeIntegerInterceptor: ServerInterceptor = (method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, pass: (message: unknown) => void) => {
          if (message instanceof UndecodableRequest && !method.requestStream) {
            call.sendStatus(serviceErrorStatus(message.error));
          } else {
            pass(message);
          }
        },
      }),
  });
