/**
 * Model outputs of a v2 request's images → the v2 output tensors: logits, scores, the point on the original image
 * (normalised and in pixels) and in model-input coordinates, and Triton's classification extension, where
 * `classification: k` on an output returns its top k as BYTES "score:index:label" (Triton's format: the score with
 * six decimals, as C++ std::to_string writes it).
 */
import { invalidArgument } from '../errors.js';
import type { ModelConfig } from '../model-repository/model-config.js';
import { pointOutputName } from '../model-repository/model-config.js';
import { mapPointToImage, type PreprocessGeometry } from '../preprocess/geometry.js';
import { sigmoid, softmax, topK } from '../postprocess/scores.js';
import { describeTensors, v2Outputs, type OutputKind } from './model-view.js';
import type { V2OutputTensor, V2RequestedOutput } from './v2-types.js';

export interface ImageOutcome {
  /** The model's outputs for this image (batch axis removed). */
  outputs: Record<string, Float32Array>;
  geometry: PreprocessGeometry;
}

function classificationCount(output: V2RequestedOutput, index: number, classes: number): number | undefined {
  const value = output.parameters.classification;
  if (value === undefined) return undefined;
  const field = `outputs[${index}].parameters.classification`;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidArgument(field, `must be a positive integer (the number of classes), got ${JSON.stringify(value)}`);
  }
  if (value > classes) throw invalidArgument(field, `${value} is more than the model's ${classes} classes`);
  return value;
}

/** Checks the requested outputs against the model before any work is done. */
export function checkRequestedOutputs(config: ModelConfig, modelName: string, requested: V2RequestedOutput[]): void {
  const specs = v2Outputs(config);
  requested.forEach((output, i) => {
    if (!specs.some((s) => s.name === output.name)) {
      throw invalidArgument(
        `outputs[${i}].name`,
        `"${output.name}" is not an output of model "${modelName}" (outputs: ${describeTensors(specs)})`,
      );
    }
    const classes = config.labels.length;
    const k = classificationCount(output, i, classes);
    if (k !== undefined && !['logits', 'scores'].includes(output.name)) {
      throw invalidArgument(`outputs[${i}].parameters.classification`, 'applies to logits and scores only');
    }
  });
}

export function buildOutputs(
  config: ModelConfig,
  images: ImageOutcome[],
  requested: V2RequestedOutput[],
): V2OutputTensor[] {
  const specs = v2Outputs(config);
  const wanted = requested.length > 0 ? requested : specs.map((s) => ({ name: s.name, parameters: {} }));
  const classes = config.labels.length;
  const n = images.length;
  const logits = images.map((image) => image.outputs[config.outputs.logits]);
  const pointName = pointOutputName(config);
  const single = config.task === 'single-label';
  const pointsPerImage = single ? 1 : classes;
  let scores: Float64Array[] | undefined;
  const scoresOf = () => (scores ??= logits.map((l) => (single ? softmax(l) : sigmoid(l))));

  const values = (kind: OutputKind): Float32Array => {
    if (kind === 'logits' || kind === 'scores') {
      const rows = kind === 'logits' ? logits : scoresOf();
      const out = new Float32Array(n * classes);
      rows.forEach((row, i) => out.set(row, i * classes));
      return out;
    }
    const out = new Float32Array(n * pointsPerImage * 2);
    images.forEach((image, i) => {
      const raw = image.outputs[pointName!];
      for (let p = 0; p < pointsPerImage; p++) {
        const u = raw[p * 2];
        const v = raw[p * 2 + 1];
        const at = (i * pointsPerImage + p) * 2;
        if (kind === 'point_model_input') {
          out[at] = u;
          out[at + 1] = v;
        } else {
          const mapped = mapPointToImage(u, v, image.geometry);
          out[at] = kind === 'point' ? mapped.x : mapped.xPx;
          out[at + 1] = kind === 'point' ? mapped.y : mapped.yPx;
        }
      }
    });
    return out;
  };

  return wanted.map((output, index) => {
    const spec = specs.find((s) => s.name === output.name)!;
    const k = classificationCount(output, index, classes);
    if (k !== undefined) {
      const rows = spec.kind === 'logits' ? logits : scoresOf();
      const data = rows.flatMap((row) =>
        topK(row, k).map((c) => Buffer.from(`${row[c].toFixed(6)}:${c}:${config.labels[c].name}`)),
      );
      return { name: output.name, datatype: 'BYTES', shape: [n, k], data, requested: output.parameters };
    }
    const shape = [n, ...spec.shape.slice(1)];
    return { name: output.name, datatype: 'FP32', shape, data: values(spec.kind), requested: output.parameters };
  });
}

/** Whether the answer carries a point (for the point-output metric). */
export function hasPointOutput(config: ModelConfig, outputs: V2OutputTensor[]): boolean {
  return pointOutputName(config) !== undefined && outputs.some((o) => o.name.startsWith('point'));
}
