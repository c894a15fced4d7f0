/**
 * One prediction, transport-free: resolve the model, check top_k, preprocess the image (or read the tensor), wait
 * for the batcher, turn logits into sorted classes and the model-input point into a point on the original image.
 * The gRPC handlers call it; so could any other front end.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { effectivePreprocessConcurrency, type ServerConfig } from './config.js';
import { invalidArgument } from './errors.js';
import type { ModelConfig } from './model-repository/model-config.js';
import { pointOutputName } from './model-repository/model-config.js';
import type { ModelRepository } from './model-repository/repository.js';
import { identityGeometry, mapPointToImage, type PreprocessGeometry } from './preprocess/geometry.js';
import { preprocessImage } from './preprocess/image-preprocessor.js';
import { readTensorInput } from './preprocess/tensor-input.js';
import { sigmoid, softmax, topK } from './postprocess/scores.js';
import type {
  ClassPoint,
  ClassScore,
  Point,
  PredictRequest,
  PredictResponse,
} from '../proto/generated/luab/v1/inference.js';

export const DEFAULT_TOP_K = 5;

export interface CallContext {
  /** Absolute deadline (Date.now() ms); Infinity for none. */
  deadline: number;
  signal: AbortSignal;
}

export class Predictor {
  private readonly preprocessLimit: LimitFunction;

  constructor(
    private readonly repository: ModelRepository,
    private readonly config: ServerConfig,
  ) {
    this.preprocessLimit = pLimit(effectivePreprocessConcurrency(config));
  }

  /**
   * Runs `work` (a decode) under the server's preprocessing limit, the one Predict uses, so the KServe v2 and REST
   * front ends cannot decode more images at once than the limit allows. Skips it if the client already left.
   */
  withPreprocessSlot<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
    return this.preprocessLimit(() => {
      context.signal.throwIfAborted();
      return work();
    });
  }

  async predict(request: PredictRequest, context: CallContext): Promise<PredictResponse> {
    const started = performance.now();
    const { entry, loaded } = this.repository.resolve(request.model, request.version);
    const config = entry.config;
    const classCount = config.labels.length;
    if (request.topK > classCount) {
      throw invalidArgument('top_k', `${request.topK} is more than the model's ${classCount} classes`);
    }
    const k = request.topK === 0 ? Math.min(DEFAULT_TOP_K, classCount) : request.topK;

    let tensor: Float32Array;
    let geometry: PreprocessGeometry;
    let format: string;
    let orientation = 0;
    const input = request.input;
    if (input?.$case === 'image') {
      const image = await this.preprocessLimit(() => {
        // Skip the decode when the client left while this request waited for a preprocessing slot.
        context.signal.throwIfAborted();
        return preprocessImage(input.value, loaded.preprocess, this.config.maxImagePixels);
      });
      ({ tensor, geometry, format, orientation } = image);
    } else if (input?.$case === 'tensor') {
      tensor = readTensorInput(input.value, config.input.height, config.input.width);
      geometry = identityGeometry(config.input.width, config.input.height);
      format = 'tensor';
    } else {
      throw invalidArgument('input', 'set either image (encoded bytes) or tensor');
    }
    const preprocessed = performance.now();

    // A reload (KServe v2 RepositoryModelLoad) may have replaced this version during the decode: same version
    // number, current sessions.
    const current = input?.$case === 'image' ? this.repository.resolve(entry.name, loaded.version).loaded : loaded;
    const result = await current.batcher.submit(tensor, { deadline: context.deadline, signal: context.signal });
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
      image: { width: geometry.imageWidth, height: geometry.imageHeight, format, orientation },
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

function toPoint(u: number, v: number, geometry: PreprocessGeometry): Point {
  const mapped = mapPointToImage(u, v, geometry);
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
