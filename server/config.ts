/**
 * The server's configuration: one typed schema in which every key has a doc, a default, an environment variable
 * and a CLI flag. Precedence: flag > environment > the model's own config.json `serving` section (for the
 * per-model keys) > default. Validated at start-up; a bad value stops the server with a message naming the flag
 * and the variable.
 */
import { availableParallelism } from 'node:os';
import { decodeConcurrencyFor } from './runtime/thread-budget.js';

export type DeviceSpec = { kind: 'auto' } | { kind: 'cpu' } | { kind: 'cuda'; deviceId: number };

export interface ServerConfig {
  host: string;
  port: number;
  modelsDir: string;
  defaultModel?: string;
  device: DeviceSpec;
  /** Inference workers (one onnxruntime session each) per model version; undefined: the model's config, else 1. */
  workers?: number;
  /** onnxruntime intra-op threads per worker; 0: the cores divided among the workers. */
  intraOpThreads: number;
  maxBatchSize?: number;
  maxQueueDelayMs?: number;
  maxQueueSize?: number;
  maxMessageBytes: number;
  maxImagePixels: number;
  /** Images decoded and resized at once (bounds the memory that a burst of large images takes). */
  preprocessConcurrency: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  shutdownGraceMs: number;
  /** PEM certificate chain of the server: with tlsKey, the port speaks TLS. */
  tlsCert?: string;
  /** PEM private key of tlsCert. */
  tlsKey?: string;
  /** PEM CA certificate(s): clients must present a certificate signed by one (mutual TLS). */
  tlsClientCa?: string;
  /** File of accepted bearer tokens, one per line: calls (but health checks) without one are refused. */
  authTokenFile?: string;
  /** Also serve luab.v1.Evaluation, its jobs kept in this folder (eval/service/). */
  evalDir?: string;
  /** With evalDir: JS modules that register extra suites (registerSuite) before jobs are restored. */
  evalSuiteModules?: string[];
  /**
   * With evalDir: how the jobs reach their inference endpoints (this server's own port included) when those are
   * secured: a PEM CA to verify them (TLS), a client certificate and key (mutual TLS), a bearer-token file.
   * Configured on the server, never sent in a JobSpec nor written to job.json (eval/service/endpoint-credentials.ts).
   */
  evalEndpointTlsCa?: string;
  evalEndpointTlsCert?: string;
  evalEndpointTlsKey?: string;
  evalEndpointTokenFile?: string;
  /** On SIGTERM/SIGINT, how long health says NOT_SERVING while requests are still served (load balancers notice). */
  drainMs: number;
  /**
   * Requests one model may have admitted (decoding, queued, running); 0: decoders + 2 x sessions x max batch size, at
   * least 64 (the client's stream window), at most its queue + a batch per session + decoders
   * (admission/admission-control.ts defaultAdmittedLimit).
   */
  maxAdmittedPerModel: number;
  /**
   * Per model, the longest expected wait (ms) of a new request, admitted ahead / the model's measured service rate,
   * before RESOURCE_EXHAUSTED; 0: off (admission/admission-control.ts).
   */
  maxQueueWaitMs: number;
  /** Server-wide budget for the bytes of admitted requests. */
  maxRequestMemoryBytes: number;
  /** HTTP/2 streams (calls) at once on one client connection. */
  maxConcurrentStreams: number;
  /** Items of one PredictStream worked on at once; past it the stream is paused (backpressure). */
  streamMaxInFlight: number;
  /** How often the model repository is checked for new, replaced or removed versions; 0: never (load at start). */
  pollMs: number;
  /** HTTP/REST port (KServe v2 REST, /v1/predict, /metrics, the page at /); 0: off; -1: any free port. */
  httpPort: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Key = keyof ServerConfig;

export interface OptionSpec {
  key: Key;
  /** commander flag, e.g. `--port <n>` */
  flag: string;
  env: string;
  doc: string;
  parse: (raw: string, name: string) => unknown;
  /** The flag may be given several times; its values are joined with commas, like the variable's list. */
  repeatable?: boolean;
}

const integer =
  (min: number, max: number) =>
  (raw: string, name: string): number => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };

const number =
  (min: number, max: number) =>
  (raw: string, name: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new ConfigError(`${name}: expected a number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };

const text = (raw: string, name: string): string => {
  if (raw.trim() === '') throw new ConfigError(`${name}: must not be empty`);
  return raw;
};

/** A comma-separated list of non-empty items (surrounding blanks dropped). */
const list = (raw: string, name: string): string[] => {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${name}: must not be empty`);
  return items;
};

export function parseDevice(raw: string, name = 'device'): DeviceSpec {
  const value = raw.trim().toLowerCase();
  if (value === 'auto') return { kind: 'auto' };
  if (value === 'cpu') return { kind: 'cpu' };
  const match = /^cuda(?::(\d+))?$/.exec(value);
  if (match) return { kind: 'cuda', deviceId: match[1] === undefined ? 0 : Number(match[1]) };
  throw new ConfigError(`${name}: expected auto, cpu, cuda or cuda:N, got "${raw}"`);
}

export function formatDevice(device: DeviceSpec): string {
  return device.kind === 'cuda' ? `cuda:${device.deviceId}` : device.kind;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SERVER_OPTIONS: OptionSpec[] = [
  {
    key: 'host',
    flag: '--host <address>',
    env: 'LUAB_HOST',
    doc: 'address to listen on',
    parse: text,
  },
  {
    key: 'port',
    flag: '--port <n>',
    env: 'LUAB_PORT',
    doc: 'gRPC port (0: any free port)',
    parse: integer(0, 65535),
  },
  {
    key: 'modelsDir',
    flag: '--models <dir>',
    env: 'LUAB_MODELS',
    doc: 'model repository folder',
    parse: text,
  },
  {
    key: 'defaultModel',
    flag: '--default-model <name>',
    env: 'LUAB_DEFAULT_MODEL',
    doc: 'model served when a request names none (default: the first ready model by name)',
    parse: text,
  },
  {
    key: 'device',
    flag: '--device <device>',
    env: 'LUAB_DEVICE',
    doc: 'auto (CUDA if it loads, else CPU), cpu, cuda or cuda:N (fail if CUDA cannot be used)',
    parse: parseDevice,
  },
  {
    key: 'workers',
    flag: '--workers <n>',
    env: 'LUAB_WORKERS',
    doc: 'inference worker threads per model version (model config, else 1)',
    parse: integer(1, 64),
  },
  {
    key: 'intraOpThreads',
    flag: '--intra-op-threads <n>',
    env: 'LUAB_INTRA_OP_THREADS',
    doc: 'onnxruntime threads per worker (0: the cores the decoders leave, divided over all loaded sessions)',
    parse: integer(0, 256),
  },
  {
    key: 'maxBatchSize',
    flag: '--max-batch-size <n>',
    env: 'LUAB_MAX_BATCH_SIZE',
    doc: 'largest dynamic batch (1 disables batching; model config, else 32)',
    parse: integer(1, 1024),
  },
  {
    key: 'maxQueueDelayMs',
    flag: '--max-queue-delay-ms <ms>',
    env: 'LUAB_MAX_QUEUE_DELAY_MS',
    doc: 'how long a request that arrived while all sessions were busy may wait for a fuller batch (model config, else 2)',
    parse: number(0, 10000),
  },
  {
    key: 'maxQueueSize',
    flag: '--max-queue-size <n>',
    env: 'LUAB_MAX_QUEUE_SIZE',
    doc: 'requests waiting per model version before RESOURCE_EXHAUSTED (model config, else 1024)',
    parse: integer(1, 1_000_000),
  },
  {
    key: 'maxMessageBytes',
    flag: '--max-message-bytes <n>',
    env: 'LUAB_MAX_MESSAGE_BYTES',
    doc: 'largest request or response message',
    parse: integer(1024, 2 ** 31 - 1),
  },
  {
    key: 'maxImagePixels',
    flag: '--max-image-pixels <n>',
    env: 'LUAB_MAX_IMAGE_PIXELS',
    doc: 'largest image (width x height) decoded; guards against decompression bombs',
    parse: integer(1, 2 ** 31 - 1),
  },
  {
    key: 'preprocessConcurrency',
    flag: '--preprocess-concurrency <n>',
    env: 'LUAB_PREPROCESS_CONCURRENCY',
    doc: 'images decoded at once (0: one per core; decoding counts for at most half the cores; sets UV_THREADPOOL_SIZE)',
    parse: integer(0, 1024),
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'LUAB_LOG_LEVEL',
    doc: LOG_LEVELS.join(', '),
    parse: (raw, name) => {
      if (!(LOG_LEVELS as readonly string[]).includes(raw))
        throw new ConfigError(`${name}: expected one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
      return raw;
    },
  },
  {
    key: 'shutdownGraceMs',
    flag: '--shutdown-grace-ms <ms>',
    env: 'LUAB_SHUTDOWN_GRACE_MS',
    doc: 'on SIGTERM/SIGINT, how long in-flight requests may finish',
    parse: integer(0, 3_600_000),
  },
  {
    key: 'tlsCert',
    flag: '--tls-cert <file>',
    env: 'LUAB_TLS_CERT',
    doc: 'PEM certificate chain; with --tls-key the server speaks TLS (default: plaintext)',
    parse: text,
  },
  {
    key: 'tlsKey',
    flag: '--tls-key <file>',
    env: 'LUAB_TLS_KEY',
    doc: 'PEM private key of --tls-cert',
    parse: text,
  },
  {
    key: 'tlsClientCa',
    flag: '--tls-client-ca <file>',
    env: 'LUAB_TLS_CLIENT_CA',
    doc: 'PEM CA: clients must present a certificate it signed (mutual TLS)',
    parse: text,
  },
  {
    key: 'authTokenFile',
    flag: '--auth-token-file <file>',
    env: 'LUAB_AUTH_TOKEN_FILE',
    doc: 'accepted bearer tokens, one per line; calls without one fail (health checks stay open)',
    parse: text,
  },
  {
    key: 'evalDir',
    flag: '--eval-dir <dir>',
    env: 'LUAB_EVAL_DIR',
    doc: 'also serve luab.v1.Evaluation on this port, keeping its jobs in this folder (resumed at start)',
    parse: text,
  },
  {
    key: 'evalSuiteModules',
    flag: '--eval-suite-module <file>',
    env: 'LUAB_EVAL_SUITE_MODULES',
    doc: 'with --eval-dir: a JS module that registers extra suites (repeatable; env: comma-separated)',
    parse: list,
    repeatable: true,
  },
  {
    key: 'evalEndpointTlsCa',
    flag: '--eval-endpoint-tls-ca <file>',
    env: 'LUAB_EVAL_ENDPOINT_TLS_CA',
    doc: "with --eval-dir: jobs speak TLS to their endpoints, verified with this PEM CA (this server's own port too)",
    parse: text,
  },
  {
    key: 'evalEndpointTlsCert',
    flag: '--eval-endpoint-tls-cert <file>',
    env: 'LUAB_EVAL_ENDPOINT_TLS_CERT',
    doc: 'with --eval-dir: PEM client certificate the jobs present to endpoints that require mutual TLS',
    parse: text,
  },
  {
    key: 'evalEndpointTlsKey',
    flag: '--eval-endpoint-tls-key <file>',
    env: 'LUAB_EVAL_ENDPOINT_TLS_KEY',
    doc: 'with --eval-dir: PEM private key of --eval-endpoint-tls-cert',
    parse: text,
  },
  {
    key: 'evalEndpointTokenFile',
    flag: '--eval-endpoint-token-file <file>',
    env: 'LUAB_EVAL_ENDPOINT_TOKEN_FILE',
    doc: 'with --eval-dir: file whose first line is the bearer token jobs send to their endpoints (never in job.json)',
    parse: text,
  },
  {
    key: 'drainMs',
    flag: '--drain-ms <ms>',
    env: 'LUAB_DRAIN_MS',
    doc: 'on SIGTERM/SIGINT, how long health says NOT_SERVING while new requests are still served',
    parse: integer(0, 3_600_000),
  },
  {
    key: 'maxAdmittedPerModel',
    flag: '--max-admitted-per-model <n>',
    env: 'LUAB_MAX_ADMITTED_PER_MODEL',
    doc:
      'requests per model decoding, queued or running before RESOURCE_EXHAUSTED (0: decoders + 2 x workers x ' +
      'max batch size, at least 64, at most max queue size + workers x max batch size + decoders)',
    parse: integer(0, 10_000_000),
  },
  {
    key: 'maxQueueWaitMs',
    flag: '--max-queue-wait-ms <ms>',
    env: 'LUAB_MAX_QUEUE_WAIT_MS',
    doc:
      'per model, refuse with RESOURCE_EXHAUSTED a request whose expected wait (requests admitted ahead / the ' +
      "model's measured service rate) exceeds this (0: off)",
    parse: integer(0, 3_600_000),
  },
  {
    key: 'maxRequestMemoryBytes',
    flag: '--max-request-memory-bytes <n>',
    env: 'LUAB_MAX_REQUEST_MEMORY_BYTES',
    doc: 'bytes of all admitted requests together before RESOURCE_EXHAUSTED',
    parse: integer(1024, Number.MAX_SAFE_INTEGER),
  },
  {
    key: 'maxConcurrentStreams',
    flag: '--max-concurrent-streams <n>',
    env: 'LUAB_MAX_CONCURRENT_STREAMS',
    doc: 'calls at once on one client connection (grpc.max_concurrent_streams)',
    parse: integer(1, 1_000_000),
  },
  {
    key: 'streamMaxInFlight',
    flag: '--stream-max-in-flight <n>',
    env: 'LUAB_STREAM_MAX_IN_FLIGHT',
    doc: 'items of one PredictStream worked on at once before the stream is paused',
    parse: integer(1, 100_000),
  },
  {
    key: 'pollMs',
    flag: '--poll-ms <ms>',
    env: 'LUAB_POLL_MS',
    doc: 'check the model repository this often and reload what changed, without downtime (0: never)',
    parse: integer(0, 86_400_000),
  },
  {
    key: 'httpPort',
    flag: '--http-port <n>',
    env: 'LUAB_HTTP_PORT',
    doc: 'HTTP port: KServe v2 REST, POST /v1/predict, /metrics and the try-a-model page (0: off, -1: any free port)',
    parse: integer(-1, 65535),
  },
];

export const DEFAULTS: ServerConfig = {
  host: '0.0.0.0',
  port: 50051,
  modelsDir: './models',
  device: { kind: 'auto' },
  intraOpThreads: 0,
  maxMessageBytes: 32 * 1024 * 1024,
  maxImagePixels: 100_000_000,
  preprocessConcurrency: 0,
  logLevel: 'info',
  shutdownGraceMs: 10_000,
  drainMs: 5_000,
  maxAdmittedPerModel: 0,
  maxQueueWaitMs: 0,
  maxRequestMemoryBytes: 512 * 1024 * 1024,
  maxConcurrentStreams: 256,
  streamMaxInFlight: 128,
  pollMs: 0,
  httpPort: 8000,
};

/** The default as help shows it, from {@link DEFAULTS}; undefined where the doc says how it is computed. */
export function defaultText(key: Key): string | undefined {
  const value = DEFAULTS[key];
  if (value === undefined) return undefined;
  return key === 'device' ? formatDevice(value as DeviceSpec) : String(value);
}

/** The option's CLI flag name, e.g. `--port`. */
export const flagName = (spec: OptionSpec) => spec.flag.split(' ')[0];

/**
 * Resolves the configuration from flag values (raw strings keyed by config key, as commander gives them), the
 * environment and the defaults. Throws {@link ConfigError} naming the flag and variable of a bad value.
 */
export function resolveServerConfig(
  flags: Partial<Record<Key, string>>,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const spec of SERVER_OPTIONS) {
    const fromFlag = flags[spec.key];
    const fromEnv = env[spec.env];
    if (fromFlag !== undefined) config[spec.key] = spec.parse(String(fromFlag), flagName(spec));
    else if (fromEnv !== undefined && fromEnv !== '') config[spec.key] = spec.parse(fromEnv, spec.env);
  }
  return { ...(config as unknown as ServerConfig), ...overrides };
}

/** Threads per worker when the user left it at 0: share the cores among the model's workers. */
export function effectiveIntraOpThreads(config: ServerConfig, workers: number): number {
  if (config.intraOpThreads > 0) return config.intraOpThreads;
  return Math.max(1, Math.floor(availableParallelism() / workers));
}

/** Images decoded at once: the setting, or the thread budget's share (runtime/thread-budget.ts). */
export function effectivePreprocessConcurrency(config: ServerConfig): number {
  return decodeConcurrencyFor(config.preprocessConcurrency);
}
