/**
 * The HTTP port (node:http: a dozen routes need no framework, and the binary-data extension needs the raw body
 * anyway): KServe v2 REST, POST /v1/predict, /metrics and the try-a-model page. Bodies are limited to
 * --max-message-bytes like gRPC messages; every error is `{"error": "..."}` with the matching HTTP status.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { tokenAccepted } from '../grpc/security.js';
import { HttpError, toHttpError } from './http-errors.js';
import { createRoutes, type Reply, type RouteServices } from './routes.js';

/** The gRPC port's security, applied to the HTTP port too (same PEM files, same tokens). */
export interface HttpSecurity {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  /** Accepted bearer tokens; every path but /v2/health/* needs one. */
  tokens?: readonly string[];
}

export interface RunningHttpServer {
  port: number;
  close(graceMs: number): Promise<void>;
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `body: ${declared} bytes is more than the limit of ${limit} (--max-message-bytes)`));
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body: more than the limit of ${limit} bytes (--max-message-bytes)`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, reply: Reply): void {
  const isBuffer = Buffer.isBuffer(reply.body);
  const body = isBuffer || typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  response.writeHead(reply.status ?? 200, {
    'Content-Type': reply.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(body as Buffer | string),
    ...reply.headers,
  });
  response.end(body);
}

function tlsOptions(security: HttpSecurity) {
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${flag}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
  };
  const ca = security.tlsClientCa ? read(security.tlsClientCa, '--tls-client-ca') : undefined;
  return {
    cert: read(security.tlsCert!, '--tls-cert'),
    key: read(security.tlsKey!, '--tls-key'),
    // Mutual TLS as on the gRPC port: a client certificate signed by the CA is required.
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

export async function startHttpServer(
  host: string,
  port: number,
  maxBodyBytes: number,
  services: RouteServices,
  log: Logger,
  security: HttpSecurity = {},
): Promise<RunningHttpServer> {
  const routes = createRoutes(services);
  const digests = security.tokens?.map((t) => createHash('sha256').update(t).digest());
  const listener: RequestListener = (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const handle = async (): Promise<Reply> => {
      if (digests && !url.pathname.startsWith('/v2/health/')) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
        if (!match) throw new HttpError(401, 'authorization: missing; send "Authorization: Bearer <token>"');
        if (!tokenAccepted(match[1], digests)) throw new HttpError(403, 'authorization: the token is not accepted');
      }
      const matching = routes.filter((r) => r.path.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no such path: ${url.pathname}`);
      const route = matching.find((r) => r.method === request.method);
      if (!route) {
        throw new HttpError(405, `${request.method} is not allowed on ${url.pathname} (use ${matching[0].method})`);
      }
      const params = route.path.exec(url.pathname)!.slice(1);
      return route.handle({
        params,
        query: url.searchParams,
        request,
        response,
        body: () => readBody(request, maxBodyBytes),
      });
    };
    handle().then(
      (reply) => send(response, reply),
      (error) => {
        const { httpStatus, message } = toHttpError(error, log);
        if (!response.headersSent && !response.destroyed)
          send(response, { status: httpStatus, body: { error: message } });
      },
    );
  };
  const server: Server =
    security.tlsCert && security.tlsKey ? createTlsServer(tlsOptions(security), listener) : createServer(listener);
  server.requestTimeout = 0; // inference can queue; the client decides how long it waits
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new ConfigError(`--http-port: cannot listen on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port === -1 ? 0 : port, host, () => resolve((server.address() as AddressInfo).port));
  });
  log.info({ address: `${host}:${bound}` }, 'luab HTTP listening (KServe v2 REST, /v1/predict, /metrics, /)');
  return {
    port: bound,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
