/**
 * gRPC handlers of inference.GRPCInferenceService (KServe v2 with Triton's extensions), on the same server and
 * port as luab.v1.Inference. Every error becomes a status in one place (errors.ts); ModelStreamInfer answers each
 * request on its own, a failed one with error_message, and the stream goes on.
 */
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { invalidArgument, toStatus } from '../errors.js';
import type { ModelRepository } from '../model-repository/repository.js';
import type { InferenceStatistics } from '../metrics/statistics.js';
import { callContext } from '../grpc/call-context.js';
import { UndecodableRequest } from '../grpc/safe-integers.js';
import { findModel, modelConfig, modelMetadata, modelReady, repositoryIndex, serverMetadata } from './metadata.js';
import { fromModelInferRequest, toModelInferResponse } from './grpc-codec.js';
import { modelStatistics } from './statistics-report.js';
import type { V2Inference } from './v2-inference.js';
import type { ServingState } from '../lifecycle/serving-state.js';
import type {
  GRPCInferenceServiceServer,
  ModelInferRequest,
  ModelStreamInferResponse,
} from '../../proto/generated/inference/grpc_service.js';

/** Requests of one stream worked on at once; past it the stream is paused (backpressure on the client). */
const STREAM_MAX_IN_FLIGHT = 128;

/** Runs a handler body, answering with its result or with the status of what it threw. */
function unary<Req, Res>(log: Logger, body: (request: Req) => Res | Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => body(call.request))
      .then(
        (response) => callback(null, response),
        (error) => callback(toStatus(error, log)),
      );
  };
}

const typedOutput = (request: ModelInferRequest) =>
  request.parameters.binary_data_output?.parameterChoice?.value === false;

export function createKserveService(
  inference: V2Inference,
  repository: ModelRepository,
  statistics: InferenceStatistics,
  log: Logger,
  state: ServingState,
): GRPCInferenceServiceServer {
  const infer = async (request: ModelInferRequest | UndecodableRequest, context: ReturnType<typeof callContext>) => {
    let decoded;
    let typed;
    try {
      // A stream item with a 64-bit value a number cannot hold (safe-integers.ts): answered on its own.
      if (request instanceof UndecodableRequest) throw request.error;
      decoded = fromModelInferRequest(request);
      typed = typedOutput(request);
    } catch (error) {
      // Rejected before it reached a model: counted by reason only (inference.infer counts the rest).
      statistics.recordFailure(undefined, 0, error);
      throw error;
    }
    return toModelInferResponse(await inference.infer(decoded, context), typed);
  };

  return {
    serverLive: unary(log, () => ({ live: true })),
    // Not ready from the first SIGTERM on (the drain window), like the gRPC health service: serving-state.ts.
    serverReady: unary(log, () => ({ ready: state.serverReady() })),
    modelReady: unary(log, (r) => ({ ready: state.modelReady(() => modelReady(repository, r.name, r.version)) })),
    serverMetadata: unary(log, () => serverMetadata()),
    modelMetadata: unary(log, (r) => modelMetadata(findModel(repository, r.name, r.version))),
    modelConfig: unary(log, (r) => ({ config: modelConfig(findModel(repository, r.name, r.version), r.version) })),
    modelStatistics: unary(log, (r) => ({ modelStats: modelStatistics(repository, statistics, r.name, r.version) })),
    repositoryIndex: unary(log, (r) => ({ models: repositoryIndex(repository, r.ready) })),
    repositoryModelLoad: unary(log, async (r) => {
      if (r.modelName === '') throw invalidArgument('model_name', 'must name the model to load');
      await repository.loadModel(r.modelName);
      return {};
    }),
    repositoryModelUnload: unary(log, async (r) => {
      if (r.modelName === '') throw invalidArgument('model_name', 'must name the model to unload');
      await repository.unloadModel(r.modelName);
      return {};
    }),

    modelInfer(call, callback) {
      infer(call.request, callContext(call)).then(
        (response) => callback(null, response),
        (error) => callback(toStatus(error, log)),
      );
    },

    modelStreamInfer(call: ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>) {
      const context = callContext(call);
      let inFlight = 0;
      let ended = false;
      const finishIfDone = () => {
        if (ended && inFlight === 0 && !call.cancelled) call.end();
      };
      call.on('data', (item: ModelInferRequest | UndecodableRequest) => {
        // An undecodable item has only its id (when readable) to echo with its error.
        const request: ModelInferRequest =
          item instanceof UndecodableRequest
            ? {
                modelName: '',
                modelVersion: '',
                id: item.id,
                parameters: {},
                inputs: [],
                outputs: [],
                rawInputContents: [],
              }
            : item;
        inFlight += 1;
        if (inFlight >= STREAM_MAX_IN_FLIGHT) call.pause();
        infer(item, context)
          .then(
            (response): ModelStreamInferResponse => ({ errorMessage: '', inferResponse: response }),
            (error): ModelStreamInferResponse => ({
              errorMessage: toStatus(error, log).details,
              // Triton echoes the request's id with the error so the client can tell which request failed.
              inferResponse: {
                modelName: request.modelName,
                modelVersion: request.modelVersion,
                id: request.id,
                parameters: {},
                outputs: [],
                rawOutputContents: [],
              },
            }),
          )
          .then((message) => {
            if (!call.cancelled) call.write(message);
            inFlight -= 1;
            if (inFlight === STREAM_MAX_IN_FLIGHT - 1) call.resume();
            finishIfDone();
          });
      });
      call.on('end', () => {
        ended = true;
        finishIfDone();
      });
      call.on('error', (error) => log.debug({ err: error }, 'ModelStreamInfer call error'));
    },
  };
}
