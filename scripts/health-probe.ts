/**
 * `node dist/scripts/health-probe.js`: asks the local server's gRPC health service (grpc.health.v1) whether it
 * is SERVING, for a container HEALTHCHECK (Kubernetes calls the same service with its own grpc probes).
 * Exit 0 when SERVING, 1 otherwise. Reads LUAB_PORT (default 50051); LUAB_HEALTH_SERVICE names a service
 * (default "", the whole server); with LUAB_HEALTH_TLS_CA set it speaks TLS, trusting that CA.
 */
import { readFileSync } from 'node:fs';
import { credentials, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

const port = process.env.LUAB_PORT || '50051';
const serviceName = process.env.LUAB_HEALTH_SERVICE ?? '';
const ca = process.env.LUAB_HEALTH_TLS_CA;
const definition = loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String, defaults: true }));
const Health = (definition.grpc as never as { health: { v1: { Health: ServiceClientConstructor } } }).health.v1.Health;
const client = new Health(
  `localhost:${port}`,
  ca ? credentials.createSsl(readFileSync(ca)) : credentials.createInsecure(),
);
client.Check(
  { service: serviceName },
  { deadline: Date.now() + 2000 },
  (error: Error | null, response?: { status: string }) => {
    client.close();
    const state = error ? `error: ${error.message}` : response!.status;
    if (state !== 'SERVING') process.stderr.write(`health-probe: localhost:${port} "${serviceName}" ${state}\n`);
    process.exitCode = state === 'SERVING' ? 0 : 1;
  },
);
