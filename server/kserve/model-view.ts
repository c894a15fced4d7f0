/**
 * How a LUAB model looks through KServe v2: which input tensors a request may send (exactly one of them) and
 * which output tensors it may ask for. Metadata, ModelConfig, inference and the HTTP front end all read these
 * names from here.
 */
import type { ModelConfig } from '../model-repository/model-config.js';
import { pointOutputName } from '../model-repository/model-config.js';

/** Encoded images (JPEG, PNG, ...), one BYTES element per image, shape [N] or [N, 1]. */
export const IMAGE_BYTES_INPUT = 'image_bytes';
/** Decoded RGB images, UINT8 [N, H, W, 3] of any H and W; preprocessed like encoded ones. */
export const IMAGE_PIXELS_INPUT = 'image_pixels';

export interface TensorSpec {
  name: string;
  datatype: 'FP32' | 'UINT8' | 'BYTES';
  /** With the batch dimension first; -1: any size. */
  shape: number[];
}

export type InputKind = 'tensor' | 'encoded' | 'pixels';

export interface InputSpec extends TensorSpec {
  kind: InputKind;
}

/** The model's own input (FP32, NCHW, already preprocessed) and the two image inputs LUAB preprocesses itself. */
export function v2Inputs(config: ModelConfig): InputSpec[] {
  const { name, height, width } = config.input;
  return [
    { name, datatype: 'FP32', shape: [-1, 3, height, width], kind: 'tensor' },
    { name: IMAGE_BYTES_INPUT, datatype: 'BYTES', shape: [-1], kind: 'encoded' },
    { name: IMAGE_PIXELS_INPUT, datatype: 'UINT8', shape: [-1, -1, -1, 3], kind: 'pixels' },
  ];
}

export type OutputKind = 'logits' | 'scores' | 'point' | 'point_px' | 'point_model_input';

export interface OutputSpec extends TensorSpec {
  kind: OutputKind;
}

/**
 * logits [N, C]; scores [N, C] (softmax, or sigmoid for multi-label); with a point head, `point` [N, 2] as (x, y)
 * in [0, 1] of the original image (after EXIF orientation, like Predict), `point_px` the same in pixels, and
 * `point_model_input` the model's own output, in [0, 1] of the model input (the crop). Multi-label models have
 * one point per class: `points`, `points_px`, `points_model_input`, [N, C, 2].
 */
export function v2Outputs(config: ModelConfig): OutputSpec[] {
  const classes = config.labels.length;
  const outputs: OutputSpec[] = [
    { name: 'logits', datatype: 'FP32', shape: [-1, classes], kind: 'logits' },
    { name: 'scores', datatype: 'FP32', shape: [-1, classes], kind: 'scores' },
  ];
  if (pointOutputName(config)) {
    const single = config.task === 'single-label';
    const base = single ? 'point' : 'points';
    const shape = single ? [-1, 2] : [-1, classes, 2];
    outputs.push(
      { name: base, datatype: 'FP32', shape, kind: 'point' },
      { name: `${base}_px`, datatype: 'FP32', shape, kind: 'point_px' },
      { name: `${base}_model_input`, datatype: 'FP32', shape, kind: 'point_model_input' },
    );
  }
  return outputs;
}

export const describeTensors = (specs: readonly TensorSpec[]) =>
  specs.map((s) => `${s.name} (${s.datatype} [${s.shape.join(', ')}])`).join(', ');
