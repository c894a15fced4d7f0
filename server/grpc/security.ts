/**
 * Transport security and authentication: TLS or mutual TLS from PEM files (`--tls-cert`, `--tls-key`,
 * `--tls-client-ca`), and bearer tokens (`--auth-token-file`) checked by a server interceptor before any handler
 * runs. The health service stays open so that load balancers and kubelet probes need no secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Metadata, ServerCredentials, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { ConfigError, type ServerConfig } from '../config.js';

const HEALTH_PREFIX = '/grpc.health.v1.Health/';

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${flag}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

/** Insecure, TLS (cert + key) or mutual TLS (and a client CA); throws ConfigError for an incomplete set. */
export function serverCredentials(config: ServerConfig): ServerCredentials {
  const { tlsCert, tlsKey, tlsClientCa } = config;
  if (!tlsCert && !tlsKey) {
    if (tlsClientCa) throw new ConfigError('--tls-client-ca: needs --tls-cert and --tls-key (mutual TLS is TLS)');
    return ServerCredentials.createInsecure();
  }
  if (!tlsCert || !tlsKey) throw new ConfigError('--tls-cert and --tls-key: give both or neither');
  const keyPair = { cert_chain: readPem(tlsCert, '--tls-cert'), private_key: readPem(tlsKey, '--tls-key') };
  const clientCa = tlsClientCa ? readPem(tlsClientCa, '--tls-client-ca') : null;
  try {
    // With a client CA, a client must present a certificate it signed (checkClientCertificate).
    return ServerCredentials.createSsl(clientCa, [keyPair], clientCa !== null);
  } catch (error) {
    throw new ConfigError(`--tls-cert / --tls-key / --tls-client-ca: ${(error as Error).message}`);
  }
}

/** The accepted tokens: one per non-empty line of the file (several allow rotation without downtime). */
export function readAuthTokens(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `--auth-token-file: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  const tokens = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (tokens.length === 0) throw new ConfigError(`--auth-token-file: "${path}" holds no token`);
  return tokens;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Whether `given` is one of `tokens`, in time that does not depend on where they differ: digests of equal length
 * compared with timingSafeEqual, every token tried.
 */
export function tokenAccepted(given: string, tokens: readonly Buffer[]): boolean {
  const candidate = digest(given);
  let accepted = false;
  for (const token of tokens) accepted = timingSafeEqual(candidate, token) || accepted;
  return accepted;
}

/** Why the call's metadata is refused (status and message), or undefined when it carries an accepted token. */
function refusal(metadata: Metadata, tokens: readonly Buffer[]): { code: status; details: string } | undefined {
  const values = metadata.get('authorization');
  if (values.length === 0) {
    return { code: status.UNAUTHENTICATED, details: 'authorization: missing; send "authorization: Bearer <token>"' };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(values[0]));
  if (!match) return { code: status.UNAUTHENTICATED, details: 'authorization: expected "Bearer <token>"' };
  if (!tokenAccepted(match[1], tokens)) {
    return { code: status.PERMISSION_DENIED, details: 'authorization: the token is not accepted' };
  }
  return undefined;
}

/** Refuses every call but health checks that lacks one of `tokens` as a bearer token. */
export function bearerTokenInterceptor(tokens: readonly string[]): ServerInterceptor {
  const digests = tokens.map(digest);
  return (method, call) => {
    if (method.path.startsWith(HEALTH_PREFIX)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata: Metadata, pass: (metadata: Metadata) => void) => {
            const refused = refusal(metadata, digests);
            if (refused) call.sendStatus(refused);
            else pass(metadata);
          },
        }),
    });
  };
}
