/** Plain grpc-js clients for the services our own client library does not wrap: health and reflection. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  type ChannelCredentials,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const require = createRequire(import.meta.url);

function service(protoFile: string, path: string[], includeDirs: string[] = []): ServiceClientConstructor {
  let node: GrpcObject | ServiceClientConstructor = loadPackageDefinition(
    loadSync(protoFile, { includeDirs, keepCase: true, longs: Number, enums: String, defaults: true }),
  );
  for (const part of path) node = (node as GrpcObject)[part] as GrpcObject | ServiceClientConstructor;
  return node as ServiceClientConstructor;
}

export function healthCheck(
  address: string,
  serviceName: string,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
): Promise<string> {
  const Health = service(healthProtoPath, ['grpc', 'health', 'v1', 'Health']);
  const client = new Health(address, channelCredentials);
  return new Promise((resolve, reject) =>
    client.Check({ service: serviceName }, (error: Error | null, response: { status: string }) => {
      client.close();
      return error ? reject(error) : resolve(response.status);
    }),
  );
}

/** The services the server lists through reflection (grpc.reflection.v1). */
export function reflectionListServices(address: string): Promise<string[]> {
  const root = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const Reflection = service(
    join(root, 'grpc', 'reflection', 'v1', 'reflection.proto'),
    ['grpc', 'reflection', 'v1', 'ServerReflection'],
    [root],
  );
  const client = new Reflection(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on('data', (response: { list_services_response?: { service: { name: string }[] } }) => {
      resolve((response.list_services_response?.service ?? []).map((s) => s.name));
      call.end();
    });
    call.on('error', reject);
    call.on('end', () => client.close());
    call.write({ list_services: '' });
  });
}

/** The serialized FileDescriptorProtos (the file and its imports) that reflection returns for a symbol. */
export function reflectionFileContainingSymbol(address: string, symbol: string): Promise<Buffer[]> {
  const root = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const Reflection = service(
    join(root, 'grpc', 'reflection', 'v1', 'reflection.proto'),
    ['grpc', 'reflection', 'v1', 'ServerReflection'],
    [root],
  );
  const client = new Reflection(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on(
      'data',
      (response: {
        file_descriptor_response?: { file_descriptor_proto: Buffer[] };
        error_response?: { error_message: string };
      }) => {
        if (response.error_response) reject(new Error(response.error_response.error_message));
        else resolve(response.file_descriptor_response?.file_descriptor_proto ?? []);
        call.end();
      },
    );
    call.on('error', reject);
    call.on('end', () => client.close());
    call.write({ file_containing_symbol: symbol });
  });
}
