/**
 * Checks at load that an ONNX session matches its config.json: input name and [N, 3, H, W] shape, the named
 * outputs and their shapes. A mismatch throws one error naming the model file and listing every problem.
 */
import type { ModelConfig } from './model-config.js';
import { pointOutputName } from './model-config.js';
import type { TensorMetadata } from '../runtime/model-runtime.js';

const isFixed = (dim: number | string): dim is number => typeof dim === 'number' && dim >= 0;

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (isFixed(d) ? d : String(d) || '?')).join(', ')}]`;
}

export class ModelIoMismatchError extends Error {
  constructor(modelFile: string, problems: string[]) {
    super(`${modelFile} does not match its config.json: ${problems.join('; ')}`);
    this.name = 'ModelIoMismatchError';
  }
}

/** Fixed batch size of the model's input, or undefined when the batch axis is dynamic. */
export function fixedBatchSize(config: ModelConfig, inputs: readonly TensorMetadata[]): number | undefined {
  const input = inputs.find((i) => i.name === config.input.name);
  const batch = input?.shape[0];
  return batch !== undefined && isFixed(batch) && batch > 0 ? batch : undefined;
}

export function checkModelIo(
  config: ModelConfig,
  inputs: readonly TensorMetadata[],
  outputs: readonly TensorMetadata[],
  modelFile: string,
): void {
  const problems: string[] = [];
  const names = (list: readonly TensorMetadata[]) => list.map((t) => `"${t.name}"`).join(', ');

  const input = inputs.find((i) => i.name === config.input.name);
  if (inputs.length !== 1) problems.push(`the model takes ${inputs.length} inputs (${names(inputs)}); expected one`);
  if (!input) {
    problems.push(`config input.name is "${config.input.name}" but the model's inputs are ${names(inputs)}`);
  } else {
    const expected: (number | undefined)[] = [undefined, 3, config.input.height, config.input.width];
    if (input.type !== 'float32') problems.push(`input "${input.name}" is ${input.type}, expected float32`);
    if (
      input.shape.length !== 4 ||
      expected.some((want, i) => want !== undefined && isFixed(input.shape[i]) && input.shape[i] !== want)
    ) {
      problems.push(
        `input "${input.name}" has shape ${shapeText(input.shape)}, config says [N, 3, ${config.input.height}, ${config.input.width}]`,
      );
    }
  }

  const classes = config.labels.length;
  const wanted: [string, (number | undefined)[]][] = [[config.outputs.logits, [undefined, classes]]];
  const pointName = pointOutputName(config);
  if (pointName) wanted.push([pointName, config.task === 'single-label' ? [undefined, 2] : [undefined, classes, 2]]);
  for (const [name, dims] of wanted) {
    const output = outputs.find((o) => o.name === name);
    if (!output) {
      problems.push(`config names output "${name}" but the model's outputs are ${names(outputs)}`);
      continue;
    }
    if (output.type !== 'float32') problems.push(`output "${name}" is ${output.type}, expected float32`);
    const mismatch =
      output.shape.length > 0 &&
      (output.shape.length !== dims.length ||
        dims.some((want, i) => want !== undefined && isFixed(output.shape[i]) && output.shape[i] !== want));
    if (mismatch) {
      const wantText = dims.map((d) => (d === undefined ? 'N' : d)).join(', ');
      problems.push(`output "${name}" has shape ${shapeText(output.shape)}, expected [${wantText}]`);
    }
  }
  if (problems.length > 0) throw new ModelIoMismatchError(modelFile, problems);
}

/** Checks the shapes a real (warm-up) run produced; symbolic dims in the graph can hide mismatches until then. */
export function checkOutputShapes(
  config: ModelConfig,
  outputs: Record<string, { dims: number[] }>,
  batch: number,
  modelFile: string,
): void {
  const classes = config.labels.length;
  const expected: [string, number[]][] = [[config.outputs.logits, [batch, classes]]];
  const pointName = pointOutputName(config);
  if (pointName) expected.push([pointName, config.task === 'single-label' ? [batch, 2] : [batch, classes, 2]]);
  const problems: string[] = [];
  for (const [name, dims] of expected) {
    const got = outputs[name]?.dims;
    if (!got) problems.push(`warm-up produced no output "${name}"`);
    else if (got.length !== dims.length || got.some((d, i) => d !== dims[i])) {
      problems.push(`warm-up output "${name}" has shape [${got.join(', ')}], expected [${dims.join(', ')}]`);
    }
  }
  if (problems.length > 0) throw new ModelIoMismatchError(modelFile, problems);
}
