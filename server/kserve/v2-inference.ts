/**
 * One KServe v2 inference, transport-free: resolve the model, read the one input tensor (the model's FP32 input,
 * encoded images as BYTES, or UINT8 pixels), preprocess each image like Predict (the Predictor's decode limit and
 * the version's batcher, so v2 and Predict requests share batches), build the requested outputs and record the
 * request in the statistics. The gRPC and HTTP codecs call it.
 */
import type { Admission } from '../admission/admission-control.js';
import { type ServerConfig } from '../config.js';
import { invalidArgument, ServiceError } from '../errors.js';
import type { ModelRepository, ResolvedModel } from '../model-repository/repository.js';
import type { CallContext, Predictor } from '../predictor.js';
import { identityGeometry, type PreprocessGeometry } from '../preprocess/geometry.js';
import type { BatchItem } from '../batching/dynamic-batcher.js';
import { decodeImage } from '../preprocess/image-preprocessor.js';
import { resizePixels } from '../preprocess/pixel-input.js';
import type { InferenceStatistics } from '../metrics/statistics.js';
import { describeTensors, v2Inputs, type InputSpec } from './model-view.js';
import { buildOutputs, checkRequestedOutputs, hasPointOutput, type ImageOutcome } from './outputs.js';
import { elementCount } from './tensor-data.js';
import type { V2InferRequest, V2InferResponse, V2InputTensor } from './v2-types.js';

/** A v2 model_version string → LUAB's version number (0: latest). */
export function parseVersion(raw: string, field = 'model_version'): number {
  if (raw === '') return 0;
  if (!/^[1-9][0-9]*$/.test(raw)) throw invalidArgument(field, `must be a version number such as "1", got "${raw}"`);
  return Number(raw);
}

interface ImageRun extends ImageOutcome {
  preprocessMs: number;
  queueMs: number;
  inferenceMs: number;
}

/** One image of the request, before preprocessing. */
type Item =
  | { kind: 'tensor'; values: Float32Array }
  | { kind: 'encoded'; bytes: Buffer }
  | { kind: 'pixels'; rgb: Uint8Array; width: number; height: number };

/** What an image of the request holds in memory, as the admission control's budget counts it. */
const itemBytes = (item: Item) =>
  item.kind === 'encoded' ? item.bytes.length : item.kind === 'tensor' ? item.values.byteLength : item.rgb.byteLength;

export class V2Inference {
  constructor(
    private readonly predictor: Predictor,
    private readonly repository: ModelRepository,
    private readonly config: ServerConfig,
    private readonly statistics: InferenceStatistics,
  ) {}

  async infer(request: V2InferRequest, context: CallContext): Promise<V2InferResponse> {
    const started = performance.now();
    let target: { model: string; version: number } | undefined;
    try {
      const resolved = this.repository.resolve(request.modelName, parseVersion(request.modelVersion));
      // Taken in the same tick as resolve(), as Predict does: a reload cannot release this version's sessions
      // until every image of the request is answered.
      const lease = resolved.loaded.leases.acquire();
      target = { model: resolved.entry.name, version: resolved.loaded.version };
      try {
        return await this.run(request, resolved, context, started);
      } finally {
        lease();
      }
    } catch (error) {
      this.statistics.recordFailure(target, performance.now() - started, error);
      throw error;
    }
  }

  private async run(
    request: V2InferRequest,
    { entry, loaded }: ResolvedModel,
    context: CallContext,
    started: number,
  ): Promise<V2InferResponse> {
    const config = entry.config;
    checkRequestedOutputs(config, entry.name, request.outputs);
    const items = this.readItems(request.inputs, v2Inputs(config), entry.name);
    const admissions = this.admit(entry.name, loaded, items);
    let runs: ImageRun[];
    let served = false;
    try {
      const signal = this.predictor.requestSignal(context);
      runs = await Promise.all(items.map((item, i) => this.runItem({ entry, loaded }, item, i, context, signal)));
      served = true;
    } finally {
      for (const admission of admissions) admission.release(served);
    }
    const postStarted = performance.now();
    const outputs = buildOutputs(config, runs, request.outputs);
    const finished = performance.now();
    const longest = (pick: (r: ImageRun) => number) => Math.max(...runs.map(pick));
    const timings = {
      totalMs: finished - started,
      queueMs: longest((r) => r.queueMs),
      preprocessMs: longest((r) => r.preprocessMs),
      inferenceMs: longest((r) => r.inferenceMs),
      postprocessMs: finished - postStarted,
    };
    this.statistics.recordSuccess(
      entry.name,
      loaded.version,
      timings,
      hasPointOutput(config, outputs) ? runs.length : 0,
    );
    return {
      modelName: entry.name,
      modelVersion: String(loaded.version),
      id: request.id,
      parameters: {
        total_ms: timings.totalMs,
        queue_ms: timings.queueMs,
        preprocess_ms: timings.preprocessMs,
        inference_ms: timings.inferenceMs,
      },
      outputs,
    };
  }

  /**
   * Takes a place in the server's admission control (the one Predict goes through) for each image, before any
   * decode: an image of a multi-image request costs the model what a Predict request does, so one place and its
   * bytes each. Past a limit nothing is kept and the whole request is refused with RESOURCE_EXHAUSTED.
   */
  private admit(model: string, loaded: ResolvedModel['loaded'], items: Item[]): Admission[] {
    const limits = this.predictor.admissionLimits(loaded);
    const admissions: Admission[] = [];
    try {
      for (const item of items) admissions.push(this.predictor.admission.admit(model, itemBytes(item), limits));
    } catch (error) {
      // Rolled back unserved: the places were given back without any work done.
      for (const admission of admissions) admission.release(false);
      throw error;
    }
    return admissions;
  }

  /** The request's one input → its images, each checked against what the model accepts. */
  private readItems(inputs: V2InputTensor[], specs: InputSpec[], modelName: string): Item[] {
    if (inputs.length !== 1) {
      throw invalidArgument(
        'inputs',
        `send exactly one input tensor, got ${inputs.length} (model "${modelName}" accepts one of: ` +
          `${describeTensors(specs)})`,
      );
    }
    const input = inputs[0];
    const spec = specs.find((s) => s.name === input.name);
    if (!spec) {
      throw invalidArgument(
        'inputs[0].name',
        `"${input.name}" is not an input of model "${modelName}" (inputs: ${describeTensors(specs)})`,
      );
    }
    if (input.datatype !== spec.datatype) {
      throw invalidArgument('inputs[0].datatype', `input "${spec.name}" is ${spec.datatype}, got ${input.datatype}`);
    }
    const shape = input.shape;
    const expected = `[${spec.shape.map((d) => (d < 0 ? 'N' : d)).join(', ')}]`;
    const badShape = () =>
      invalidArgument('inputs[0].shape', `input "${spec.name}" must be ${expected}, got [${shape.join(', ')}]`);
    if (shape.length === 0 || shape[0] < 1) throw badShape();
    const n = shape[0];
    switch (spec.kind) {
      case 'tensor': {
        if (shape.length !== 4 || shape.slice(1).some((d, i) => d !== spec.shape[i + 1])) throw badShape();
        const values = input.data as Float32Array;
        const size = elementCount(shape.slice(1));
        for (let i = 0; i < values.length; i++) {
          if (!Number.isFinite(values[i])) {
            throw invalidArgument('inputs[0]', `element ${i} is ${values[i]} (values must be finite)`);
          }
        }
        return Array.from({ length: n }, (_, i) => ({
          kind: 'tensor' as const,
          values: values.slice(i * size, (i + 1) * size),
        }));
      }
      case 'encoded': {
        if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) throw badShape();
        return (input.data as Buffer[]).map((bytes) => ({ kind: 'encoded' as const, bytes }));
      }
      case 'pixels': {
        if (shape.length !== 4 || shape[3] !== 3 || shape[1] < 1 || shape[2] < 1) throw badShape();
        const [, height, width] = shape;
        if (width * height > this.config.maxImagePixels) {
          throw invalidArgument(
            'inputs[0].shape',
            `${width}x${height} pixels exceeds the server's limit of ${this.config.maxImagePixels} (--max-image-pixels)`,
          );
        }
        const rgb = input.data as Uint8Array;
        const size = height * width * 3;
        return Array.from({ length: n }, (_, i) => ({
          kind: 'pixels' as const,
          rgb: rgb.subarray(i * size, (i + 1) * size),
          width,
          height,
        }));
      }
    }
  }

  private async runItem(
    { loaded, entry }: ResolvedModel,
    item: Item,
    index: number,
    context: CallContext,
    signal: AbortSignal,
  ): Promise<ImageRun> {
    const started = performance.now();
    let batchItem: BatchItem;
    let geometry: PreprocessGeometry;
    if (item.kind === 'tensor') {
      batchItem = item.values;
      geometry = identityGeometry(entry.config.input.width, entry.config.input.height);
    } else {
      const field = `inputs[0] element ${index}`;
      let pixels: Uint8Array;
      try {
        ({ pixels, geometry } = await this.predictor.withPreprocessSlot(
          context,
          () =>
            item.kind === 'encoded'
              ? decodeImage(item.bytes, loaded.preprocess, this.config.maxImagePixels)
              : resizePixels(item.rgb, item.width, item.height, loaded.preprocess, field),
          signal,
        ));
      } catch (error) {
        // decodeImage names Predict's `image` field; here the image is an element of the input tensor.
        if (error instanceof ServiceError && error.message.startsWith('image: ')) {
          throw new ServiceError(error.code, `${field}: ${error.message.slice('image: '.length)}`);
        }
        throw error;
      }
      this.statistics.recordDecode(performance.now() - started);
      // Predict's path: the bytes go to the batcher with the version's normalisation (the same object, so v2 and
      // Predict images share one byte batch) and the inference worker normalises the batch off the main thread.
      batchItem = { pixels, normalisation: loaded.preprocess };
    }
    const preprocessed = performance.now();
    // The version resolved at the start serves the whole request (its lease keeps it open through a reload).
    // The joined signal, as Predict does: a shutdown also answers an image waiting in the batcher's queue.
    const result = await loaded.batcher.submit(batchItem, { deadline: context.deadline, signal });
    return {
      outputs: result.outputs,
      geometry,
      preprocessMs: preprocessed - started,
      queueMs: result.queueMs,
      inferenceMs: result.inferenceMs,
    };
  }
}
