/**
 * gRPC handlers of luab.v1.Inference. They translate between calls and the transport-free Predictor; every error
 * becomes a status in one place (errors.ts). PredictStream answers each item on its own: a bad item gets an
 * ItemError carrying its id and the stream goes on.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { notFound, toStatus } from '../errors.js';
import type { ModelRepository } from '../model-repository/repository.js';
import type { Predictor } from '../predictor.js';
import { callContext } from './call-context.js';
import { toModelInfo } from './model-info.js';
import { UndecodableRequest } from './safe-integers.js';
import type {
  InferenceServer,
  PredictRequest,
  PredictStreamResponse,
} from '../../proto/generated/luab/v1/inference.js';

/** Items of one stream being worked on at once by default; past it the stream is paused (backpressure). */
const STREAM_MAX_IN_FLIGHT = 128;

export function createInferenceService(
  predictor: Predictor,
  repository: ModelRepository,
  log: Logger,
  streamMaxInFlight = STREAM_MAX_IN_FLIGHT,
): InferenceServer {
  return {
    predict(call, callback) {
      predictor.predict(call.request, callContext(call)).then(
        (response) => callback(null, response),
        (error) => callback(toStatus(error, log)),
      );
    },

    predictStream(call: ServerDuplexStream<PredictRequest, PredictStreamResponse>) {
      const context = callContext(call);
      let inFlight = 0;
      let ended = false;
      const finishIfDone = () => {
        if (ended && inFlight === 0 && !call.cancelled) call.end();
      };
      call.on('data', (request: PredictRequest) => {
        inFlight += 1;
        if (inFlight >= streamMaxInFlight) call.pause();
        // An item whose 64-bit field did not fit (safe-integers.ts) is answered with its own error.
        const answer =
          request instanceof UndecodableRequest ? Promise.reject(request.error) : predictor.predict(request, context);
        answer
          .then(
            (response): PredictStreamResponse => ({ id: request.id, result: { $case: 'response', value: response } }),
            (error): PredictStreamResponse => {
              const status = toStatus(error, log);
              return {
                id: request.id,
                result: { $case: 'error', value: { code: status.code, message: status.details } },
              };
            },
          )
          .then((message) => {
            if (!call.cancelled) call.write(message);
            inFlight -= 1;
            if (inFlight === streamMaxInFlight - 1) call.resume();
            finishIfDone();
          });
      });
      call.on('end', () => {
        ended = true;
        finishIfDone();
      });
      call.on('error', (error) => log.debug({ err: error }, 'PredictStream call error'));
    },

    listModels(_call, callback) {
      const models = repository.list().map(toModelInfo);
      callback(null, { models, defaultModel: repository.defaultModel ?? '' });
    },

    getModel(call, callback) {
      try {
        const entry = repository.entry(call.request.name, 'name');
        const name = entry.name;
        const info = toModelInfo(entry);
        if (call.request.version !== 0) {
          const version = info.versions.find((v) => v.version === call.request.version);
          if (!version) {
            throw notFound('version', `model "${name}" has no version ${call.request.version}`);
          }
          info.versions = [version];
        }
        callback(null, info);
      } catch (error) {
        callback(toStatus(error, log));
      }
    },
  };
}
