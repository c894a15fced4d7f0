/** Starts a real server on a free port with a real client, as the tests' `before()` does; logs are captured. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LuabClient } from '../../client/luab-client.js';
import { DEFAULTS, type ServerConfig } from '../../server/config.js';
import { startServer, type RunningServer } from '../../server/grpc/grpc-server.js';

export interface TestServer {
  server: RunningServer;
  client: LuabClient;
  address: string;
  /** Every log line the server wrote, parsed. */
  logs: { level: number; msg: string; [key: string]: unknown }[];
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<ServerConfig>): Promise<TestServer> {
  const logs: TestServer['logs'] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const config: ServerConfig = {
    ...DEFAULTS,
    host: '127.0.0.1',
    port: 0,
    // HTTP off unless a test asks for it (-1: a free port), so test servers never compete for the default port.
    httpPort: 0,
    device: { kind: 'cpu' },
    ...overrides,
  };
  const server = await startServer(config, log);
  const address = `127.0.0.1:${server.port}`;
  const client = new LuabClient(address);
  return {
    server,
    client,
    address,
    logs,
    async close() {
      client.close();
      await server.close(1000);
    },
  };
}
