/**
 * Typed client for the LUAB inference server (luab.v1.Inference).
 *
 * ```ts
 * const client = new LuabClient('localhost:50051');
 * const result = await client.predict({ image: await readFile('dog.jpg'), topK: 3 });
 * console.log(result.classes[0].label, result.point?.xPx, result.point?.yPx);
 * ```
 *
 * Several replicas: pass a list of `host:port` addresses; calls are spread over them round-robin by grpc-js
 * (client-side load balancing, no proxy).
 */
import {
  credentials,
  Metadata,
  status,
  type ChannelCredentials,
  type ClientOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  InferenceClient,
  ResizePolicy,
  type GetModelRequest,
  type ListModelsResponse,
  type ModelInfo,
  type PredictRequest,
  type PredictResponse,
  type PredictStreamResponse,
  type Tensor,
} from '../proto/generated/luab/v1/inference.js';
import { whenAborted } from './abort-fanout.js';
import { decodeFieldViolations, STATUS_DETAILS_KEY, type FieldViolation } from './error-details.js';
import { MULTI_ADDRESS_SCHEME, registerMultiAddressResolver, splitAddresses } from './multi-address-resolver.js';

export type {
  ClassPoint,
  ClassScore,
  ListModelsResponse,
  ModelInfo,
  Point,
  PredictResponse,
  PredictStreamResponse,
  Tensor,
} from '../proto/generated/luab/v1/inference.js';
export { DataType, ModelVersion_State, ResizePolicy } from '../proto/generated/luab/v1/inference.js';
export type { FieldViolation } from './error-details.js';

export const DEFAULT_ADDRESS = 'localhost:50051';
const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** TLS towards the server: the CA that signed its certificate, and for mutual TLS the client's own pair. */
export interface TlsOptions {
  /** PEM CA certificate(s) to verify the server with (default: the system's roots). */
  ca?: Buffer;
  /** PEM client certificate chain, for a server that asks for one (mutual TLS). */
  cert?: Buffer;
  /** PEM private key of `cert`. */
  key?: Buffer;
}

export interface LuabClientOptions {
  /** grpc-js channel credentials; overrides `tls`. Default: plaintext, or TLS when `tls` is given. */
  credentials?: ChannelCredentials;
  /** Speak TLS (or mutual TLS) to the server. */
  tls?: TlsOptions;
  /**
   * Bearer token sent with every call (`authorization: Bearer <token>`), for a server started with
   * --auth-token-file. Use it with TLS: over plaintext anyone on the path can read it.
   */
  token?: string;
  /** Largest message sent or received (the server's default limit is the same). */
  maxMessageBytes?: number;
  /** Extra grpc-js channel options. */
  channelOptions?: Partial<ClientOptions>;
}

export interface CallOptions {
  /** Give up after this many milliseconds (the server drops the request too). */
  timeoutMs?: number;
  /** Wait for the server to come up instead of failing at once while it is unreachable. */
  waitForReady?: boolean;
  signal?: AbortSignal;
}

/** What a prediction needs; `image` (encoded bytes) or `tensor` ([3, H, W] float32). */
export interface PredictInput {
  image?: Uint8Array;
  tensor?: Tensor;
  model?: string;
  version?: number;
  topK?: number;
  id?: string;
  /** 'keep-at-input-size': an image already the model's input size goes in untouched (no-resize protocols). */
  resizePolicy?: 'model' | 'keep-at-input-size';
}

/**
 * A failed call: the gRPC status code, its name, the server's message (which names the bad field), and the
 * fields at fault as the server's rich error details list them (google.rpc.BadRequest; empty when it sent none).
 */
export class LuabError extends Error {
  readonly codeName: string;
  constructor(
    readonly code: status,
    readonly details: string,
    readonly fieldViolations: readonly FieldViolation[] = [],
  ) {
    super(`${status[code] ?? code}: ${details}`);
    this.name = 'LuabError';
    this.codeName = status[code] ?? String(code);
  }
}

function toLuabError(error: ServiceError): LuabError {
  const richDetails = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  const violations = Buffer.isBuffer(richDetails) ? decodeFieldViolations(richDetails) : [];
  return new LuabError(error.code, error.details || error.message, violations);
}

export function toPredictRequest(input: PredictInput): PredictRequest {
  if ((input.image === undefined) === (input.tensor === undefined)) {
    throw new TypeError('predict: give exactly one of image and tensor');
  }
  return {
    id: input.id ?? '',
    model: input.model ?? '',
    version: input.version ?? 0,
    topK: input.topK ?? 0,
    resizePolicy:
      input.resizePolicy === 'keep-at-input-size'
        ? ResizePolicy.RESIZE_POLICY_KEEP_AT_INPUT_SIZE
        : ResizePolicy.RESIZE_POLICY_UNSPECIFIED,
    input:
      input.image !== undefined
        ? { $case: 'image', value: Buffer.from(input.image.buffer, input.image.byteOffset, input.image.byteLength) }
        : { $case: 'tensor', value: input.tensor! },
  };
}

/** grpc-js target for one address or several (round-robin over a static list of names or IP addresses). */
function target(addresses: string | string[]): { target: string; options: Partial<ClientOptions> } {
  const list = Array.isArray(addresses) ? addresses.map((a) => a.trim()).filter(Boolean) : splitAddresses(addresses);
  // round_robin for one address too: a name that resolves to several pods (a Kubernetes headless Service)
  // spreads calls over all of them, where grpc-js's default (pick_first) would use only the first.
  const options = { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };
  if (list.length <= 1) return { target: list[0] ?? DEFAULT_ADDRESS, options };
  registerMultiAddressResolver();
  return { target: `${MULTI_ADDRESS_SCHEME}:///${list.join(',')}`, options };
}

/** The error of a call whose signal was aborted before it started: it is not sent at all. */
const abortedBeforeStart = () => new LuabError(status.CANCELLED, 'the call was aborted before it started');

/** The channel credentials that `options` ask for (also used by the evaluation client). */
export function channelCredentials(options: LuabClientOptions): ChannelCredentials {
  if (options.credentials) return options.credentials;
  if (!options.tls) return credentials.createInsecure();
  if ((options.tls.cert === undefined) !== (options.tls.key === undefined)) {
    throw new TypeError('LuabClient: tls.cert and tls.key go together (mutual TLS)');
  }
  return credentials.createSsl(options.tls.ca ?? null, options.tls.key ?? null, options.tls.cert ?? null);
}

export class LuabClient {
  private readonly client: InferenceClient;
  private readonly token?: string;

  constructor(address: string | string[] = DEFAULT_ADDRESS, options: LuabClientOptions = {}) {
    const resolved = target(address);
    const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.token = options.token;
    this.client = new InferenceClient(resolved.target, channelCredentials(options), {
      'grpc.max_receive_message_length': maxBytes,
      'grpc.max_send_message_length': maxBytes,
      ...resolved.options,
      ...options.channelOptions,
    });
  }

  /**
   * The call's metadata. The token goes in as metadata rather than call credentials because grpc-js sends call
   * credentials over TLS only, and a token on a loopback plaintext port is a legitimate set-up.
   */
  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token !== undefined) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  private callOptions(options: CallOptions) {
    return {
      deadline: options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs,
      waitForReady: options.waitForReady,
    };
  }

  private unary<Req, Res>(
    method: (req: Req, md: Metadata, opts: object, cb: (e: ServiceError | null, r: Res) => void) => { cancel(): void },
    request: Req,
    options: CallOptions,
  ): Promise<Res> {
    if (options.signal?.aborted) return Promise.reject(abortedBeforeStart());
    return new Promise<Res>((resolve, reject) => {
      let forget = () => {};
      const call = method.call(this.client, request, this.metadata(), this.callOptions(options), (error, response) => {
        // A long-lived signal serves many calls: leave nothing of this one behind.
        forget();
        return error ? reject(toLuabError(error)) : resolve(response);
      });
      if (options.signal) forget = whenAborted(options.signal, () => call.cancel());
    });
  }

  /** Classes and object point of one image or tensor. */
  predict(input: PredictInput, options: CallOptions = {}): Promise<PredictResponse> {
    return this.unary(this.client.predict, toPredictRequest(input), options);
  }

  listModels(options: CallOptions = {}): Promise<ListModelsResponse> {
    return this.unary(this.client.listModels, {}, options);
  }

  getModel(name = '', version = 0, options: CallOptions = {}): Promise<ModelInfo> {
    const request: GetModelRequest = { name, version };
    return this.unary(this.client.getModel, request, options);
  }

  /**
   * Sends many inputs on one PredictStream call and yields each response as it arrives (not necessarily in
   * order; match them by `id`, which defaults to the input's position). A bad item yields its error and the
   * stream goes on. At most `maxInFlight` items are outstanding at once.
   */
  async *predictStream(
    inputs: Iterable<PredictInput> | AsyncIterable<PredictInput>,
    options: CallOptions & { maxInFlight?: number } = {},
  ): AsyncGenerator<PredictStreamResponse> {
    if (options.signal?.aborted) throw abortedBeforeStart();
    const call = this.client.predictStream(this.metadata(), this.callOptions(options));
    const forget = options.signal ? whenAborted(options.signal, () => call.cancel()) : () => {};
    // The server's default admission bound is never below this window (server/admission, CLIENT_STREAM_WINDOW).
    const maxInFlight = options.maxInFlight ?? 64;
    const received: PredictStreamResponse[] = [];
    let failure: LuabError | undefined;
    let finished = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const waitForEvent = () => new Promise<void>((resolve) => (wake = resolve));
    call.on('data', (message: PredictStreamResponse) => {
      received.push(message);
      notify();
    });
    call.on('error', (error: ServiceError) => {
      failure = toLuabError(error);
      notify();
    });
    call.on('end', () => {
      finished = true;
      notify();
    });

    let sent = 0;
    let answered = 0;
    // Waits for the server's next event, then hands over whatever answers have arrived.
    const takeAnswers = async (): Promise<PredictStreamResponse[]> => {
      if (received.length === 0 && !failure && !finished) await waitForEvent();
      if (failure) throw failure;
      const batch = received.splice(0);
      answered += batch.length;
      return batch;
    };
    try {
      for await (const input of inputs) {
        while (sent - answered >= maxInFlight) {
          yield* await takeAnswers();
          if (finished && answered < sent) throw new LuabError(status.INTERNAL, 'the server ended the stream early');
        }
        call.write(toPredictRequest({ ...input, id: input.id ?? String(sent) }));
        sent += 1;
      }
      call.end();
      while (!finished || received.length > 0) yield* await takeAnswers();
      if (answered < sent) {
        throw new LuabError(status.INTERNAL, `the stream ended after ${answered} of ${sent} answers`);
      }
    } finally {
      forget();
      if (!finished) call.cancel();
    }
  }

  /** Resolves when the channel is connected (or rejects after timeoutMs). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }
}
