/**
 * One prediction, transport-free: resolve the model, check top_k, preprocess the image (or read the tensor), wait
 * for the batcher, turn logits into sorted classes and the model-input point into a point on the original image.
 * The gRPC handlers call it; so could any other front end.
 */
import { AdmissionControl, defaultAdmittedLimit, type ModelLimits } from './admission/admission-control.js';
import { DecodeSlots } from './admission/decode-slots.js';
import { effectivePreprocessConcurrency, type ServerConfig } from './config.js';
import { invalidArgument, ServiceError } from './errors.js';
import type { LoadedVersion } from './model-repository/model-version.js';
import { classifyDecodeFailure } from './resource-failure.js';
import type { ModelConfig } from './model-repository/model-config.js';
import { pointOutputName } from './model-repository/model-config.js';
import type { ModelRepository, ResolvedModel } from './model-repository/repository.js';
import { identityGeometry, mapPointToImage, type PreprocessGeometry } from './preprocess/geometry.js';
import type { BatchItem } from './batching/dynamic-batcher.js';
import { decodeImage, disableLibvipsCache } from './preprocess/image-preprocessor.js';
import { readTensorInput } from './preprocess/tensor-input.js';
import { checkedModelPoint } from './postprocess/points.js';
import { sigmoid, softmax, topK } from './postprocess/scores.js';
import {
  ResizePolicy,
  type ClassPoint,
  type ClassScore,
  type Point,
  type PredictRequest,
  type PredictResponse,
  type Tensor,
} from '../proto/generated/luab/v1/inference.js';

export const DEFAULT_TOP_K = 5;

export interface CallContext {
  /** Absolute deadline (Date.now() ms); Infinity for none. */
  deadline: number;
  signal: AbortSignal;
}

export class Predictor {
  /** Image decodes at once; waiting requests leave when they are cancelled or their deadline passes. */
  readonly decodeSlots: DecodeSlots;
  readonly admission: AdmissionControl;
  /** Aborted at shutdown: whatever still waits (for a decode slot, say) is answered with its reason. */
  private readonly shutdown = new AbortController();

  constructor(
    private readonly repository: ModelRepository,
    private readonly config: ServerConfig,
  ) {
    this.decodeSlots = new DecodeSlots(effectivePreprocessConcurrency(config));
    disableLibvipsCache(); // every request is a new image: see disableLibvipsCache()
    this.admission = new AdmissionControl(config.maxRequestMemoryBytes);
  }

  /** Answers every request still waiting in the predictor (not yet queued for the model) with `reason`. */
  cancelAll(reason: ServiceError): void {
    this.shutdown.abort(reason);
  }

  /** The most requests a model version may have admitted: --max-admitted-per-model, or the default's formula. */
  admittedLimit(loaded: LoadedVersion): number {
    if (this.config.maxAdmittedPerModel > 0) return this.config.maxAdmittedPerModel;
    return defaultAdmittedLimit(loaded.batching, loaded.runtime.concurrency, this.decodeSlots.size);
  }

  /** What admission checks for a request to `loaded`: the count bound, the wait budget and the saturation point. */
  admissionLimits(loaded: LoadedVersion): ModelLimits {
    const maxAdmitted = this.admittedLimit(loaded);
    // Every decode slot busy and a full batch per session, or the count bound when that is lower (at the bound the
    // model has all it may have: a bound of 16 with batches of 32 would otherwise never count as saturated).
    const works = this.decodeSlots.size + loaded.runtime.concurrency * loaded.batching.maxBatchSize;
    return { maxAdmitted, maxWaitMs: this.config.maxQueueWaitMs, saturatedAt: Math.min(works, maxAdmitted) };
  }

  /**
   * The call's signal joined with the server's shutdown. A request of several images makes it once and passes it to
   * each {@link withPreprocessSlot} and batcher submit: `AbortSignal.any` and its listeners cost per call.
   */
  requestSignal(context: CallContext): AbortSignal {
    return AbortSignal.any([context.signal, this.shutdown.signal]);
  }

  /**
   * Runs `work` (a decode) under the server's preprocessing limit, the one Predict uses, so the KServe v2 and REST
   * front ends cannot decode more images at once than the limit allows. Skips it if the client already left.
   */
  async withPreprocessSlot<T>(
    context: CallContext,
    work: () => Promise<T>,
    signal = this.requestSignal(context),
  ): Promise<T> {
    const release = await this.decodeSlots.acquire(signal, context.deadline);
    try {
      return await work();
    } catch (error) {
      throw classifyDecodeFailure(error);
    } finally {
      release();
    }
  }

  async predict(request: PredictRequest, context: CallContext): Promise<PredictResponse> {
    const started = performance.now();
    const { entry, loaded } = this.repository.resolve(request.model, request.version);
    const config = entry.config;
    const classCount = config.labels.length;
    if (request.topK > classCount) {
      throw invalidArgument('top_k', `${request.topK} is more than the model's ${classCount} classes`);
    }
    this.shutdown.signal.throwIfAborted();
    const input = request.input;
    const bytes =
      input?.$case === 'image' ? input.value.length : input?.$case === 'tensor' ? tensorBytes(input.value) : 0;
    // Before any decode: past a limit the request costs nothing but this answer.
    const admission = this.admission.admit(entry.name, bytes, this.admissionLimits(loaded));
    // Taken in the same tick as resolve(): a reload cannot release this version until the request is answered.
    const lease = loaded.leases.acquire();
    let served = false;
    try {
      const response = await this.run(request, context, entry, loaded, started);
      served = true;
      return response;
    } finally {
      lease();
      admission.release(served);
    }
  }

  private async run(
    request: PredictRequest,
    context: CallContext,
    entry: ResolvedModel['entry'],
    loaded: LoadedVersion,
    started: number,
  ): Promise<PredictResponse> {
    const config = entry.config;
    const classCount = config.labels.length;
    const k = request.topK === 0 ? Math.min(DEFAULT_TOP_K, classCount) : request.topK;
    const signal = this.requestSignal(context);

    let item: BatchItem;
    let geometry: PreprocessGeometry;
    let format: string;
    let orientation = 0;
    let resized = false;
    const input = request.input;
    if (input?.$case === 'image') {
      const policy =
        request.resizePolicy === ResizePolicy.RESIZE_POLICY_KEEP_AT_INPUT_SIZE ? 'keep-at-input-size' : 'model';
      let pixels: Uint8Array;
      ({ pixels, geometry, format, orientation, resized } = await this.withPreprocessSlot(
        context,
        () => decodeImage(input.value, loaded.preprocess, this.config.maxImagePixels, policy),
        signal,
      ));
      // The bytes go to the batcher as they are; the inference worker normalises the whole batch.
      item = { pixels, normalisation: loaded.preprocess };
      // The client may have left (or the server begun to stop) during the decode: no inference for it then.
      signal.throwIfAborted();
    } else if (input?.$case === 'tensor') {
      item = readTensorInput(input.value, config.input.height, config.input.width);
      geometry = identityGeometry(config.input.width, config.input.height);
      format = 'tensor';
    } else {
      throw invalidArgument('input', 'set either image (encoded bytes) or tensor');
    }
    const preprocessed = performance.now();

    const result = await loaded.batcher.submit(item, { deadline: context.deadline, signal });
    const postStarted = performance.now();
    const { classes, point, classPoints } = postprocess(config, result.outputs, k, geometry);
    const finished = performance.now();
    return {
      id: request.id,
      model: entry.name,
      version: loaded.version,
      classes,
      point,
      classPoints,
      image: { width: geometry.imageWidth, height: geometry.imageHeight, format, orientation, resized },
      timings: {
        queueMs: result.queueMs,
        preprocessMs: preprocessed - started,
        inferenceMs: result.inferenceMs,
        postprocessMs: finished - postStarted,
        totalMs: finished - started,
        batchSize: result.batchSize,
      },
    };
  }
}

/** What a tensor input holds in memory: its raw bytes, or its float values as decoded doubles. */
const tensorBytes = (tensor: Tensor) => tensor.rawData.length + tensor.floatData.length * 8;

/** The point on the original image, or undefined when the model's point is not finite (see postprocess/points). */
function toPoint(u: number, v: number, geometry: PreprocessGeometry): Point | undefined {
  const checked = checkedModelPoint(u, v);
  if (!checked) return undefined;
  const mapped = mapPointToImage(checked.u, checked.v, geometry);
  return { x: mapped.x, y: mapped.y, xPx: mapped.xPx, yPx: mapped.yPx };
}

export function postprocess(
  config: ModelConfig,
  outputs: Record<string, Float32Array>,
  k: number,
  geometry: PreprocessGeometry,
): { classes: ClassScore[]; point?: Point; classPoints: ClassPoint[] } {
  const logits = outputs[config.outputs.logits];
  const scores = config.task === 'single-label' ? softmax(logits) : sigmoid(logits);
  const best = topK(scores, k);
  const classes = best.map((index) => ({
    index,
    label: config.labels[index].name,
    score: scores[index],
    wnid: config.labels[index].wnid ?? '',
  }));
  const pointName = pointOutputName(config);
  const raw = pointName ? outputs[pointName] : undefined;
  if (!raw) return { classes, classPoints: [] };
  if (config.task === 'single-label') return { classes, point: toPoint(raw[0], raw[1], geometry), classPoints: [] };
  const classPoints = classes.map((c) => ({
    index: c.index,
    label: c.label,
    score: c.score,
    point: toPoint(raw[c.index * 2], raw[c.index * 2 + 1], geometry),
  }));
  return { classes, classPoints };
}
