/** A gRPC call that sends and receives raw bytes: for requests the typed client cannot encode, and for trailers. */
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';

/** A unary call with request and response as raw bytes, for requests our typed client cannot even encode. */
export function rawUnary(
  address: string,
  path: string,
  request: Uint8Array,
  metadata?: Metadata,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
): Promise<{ error: ServiceError | null; response?: Buffer }> {
  const identity = (b: Buffer) => b;
  const Generic = makeGenericClientConstructor(
    {
      call: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'Raw',
  );
  const client = new Generic(address, channelCredentials);
  return new Promise((resolve) =>
    client.call(Buffer.from(request), metadata ?? new Metadata(), (error: ServiceError | null, response?: Buffer) => {
      client.close();
      resolve({ error, response });
    }),
  );
}
