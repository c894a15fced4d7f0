/**
 * ModelInferRequest / ModelInferResponse (the generated gRPC messages) ↔ the transport-free v2 request and
 * response. Input data comes from raw_input_contents (what tritonclient sends) or typed contents. Outputs go in
 * raw_output_contents, as Triton sends them and as tritonclient reads them, unless the request sets the
 * parameter `binary_data_output: false`, which asks for typed contents instead.
 */
import { invalidArgument } from '../errors.js';
import { checkShape, elementCount, fromRaw, toRaw, type TensorData } from './tensor-data.js';
import type { Parameters, ParameterValue, V2InferRequest, V2InferResponse, V2InputTensor } from './v2-types.js';
import type {
  InferParameter,
  InferTensorContents,
  ModelInferRequest,
  ModelInferRequest_InferInputTensor,
  ModelInferResponse,
} from '../../proto/generated/inference/grpc_service.js';

export function fromInferParameters(parameters: { [key: string]: InferParameter }): Parameters {
  const out: Parameters = {};
  for (const [key, parameter] of Object.entries(parameters)) {
    if (parameter.parameterChoice) out[key] = parameter.parameterChoice.value;
  }
  return out;
}

export function toInferParameters(parameters: Parameters): { [key: string]: InferParameter } {
  const out: { [key: string]: InferParameter } = {};
  for (const [key, value] of Object.entries(parameters)) out[key] = { parameterChoice: toChoice(value) };
  return out;
}

function toChoice(value: ParameterValue): InferParameter['parameterChoice'] {
  if (typeof value === 'boolean') return { $case: 'boolParam', value };
  if (typeof value === 'string') return { $case: 'stringParam', value };
  return Number.isInteger(value) ? { $case: 'int64Param', value } : { $case: 'doubleParam', value };
}

function typedData(input: ModelInferRequest_InferInputTensor, count: number, field: string): TensorData {
  const contents: InferTensorContents | undefined = input.contents;
  const check = (length: number, what: string) => {
    if (length !== count) throw invalidArgument(`${field}.contents.${what}`, `has ${length} values, expected ${count}`);
  };
  switch (input.datatype) {
    case 'FP32':
      check(contents?.fp32Contents.length ?? 0, 'fp32_contents');
      return Float32Array.from(contents?.fp32Contents ?? []);
    case 'UINT8': {
      const values = contents?.uintContents ?? [];
      check(values.length, 'uint_contents');
      const bad = values.findIndex((v) => v > 255);
      if (bad >= 0)
        throw invalidArgument(`${field}.contents.uint_contents`, `element ${bad} is ${values[bad]} (> 255)`);
      return Uint8Array.from(values);
    }
    case 'BYTES':
      check(contents?.bytesContents.length ?? 0, 'bytes_contents');
      return contents?.bytesContents ?? [];
    default:
      throw invalidArgument(`${field}.datatype`, `${input.datatype} is not accepted (FP32, UINT8 or BYTES)`);
  }
}

export function fromModelInferRequest(request: ModelInferRequest): V2InferRequest {
  const raw = request.rawInputContents;
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw invalidArgument(
      'raw_input_contents',
      `has ${raw.length} entries for ${request.inputs.length} inputs (one per input, or none)`,
    );
  }
  const inputs: V2InputTensor[] = request.inputs.map((input, i) => {
    const field = `inputs[${i}]`;
    checkShape(input.shape, `${field}.shape`);
    const count = elementCount(input.shape);
    const data =
      raw.length > 0
        ? fromRaw(input.datatype, raw[i], count, `raw_input_contents[${i}]`)
        : typedData(input, count, field);
    return {
      name: input.name,
      datatype: input.datatype,
      shape: input.shape,
      parameters: fromInferParameters(input.parameters),
      data,
    };
  });
  return {
    modelName: request.modelName,
    modelVersion: request.modelVersion,
    id: request.id,
    parameters: fromInferParameters(request.parameters),
    inputs,
    outputs: request.outputs.map((o) => ({ name: o.name, parameters: fromInferParameters(o.parameters) })),
  };
}

const emptyContents = (): InferTensorContents => ({
  boolContents: [],
  intContents: [],
  int64Contents: [],
  uintContents: [],
  uint64Contents: [],
  fp32Contents: [],
  fp64Contents: [],
  bytesContents: [],
});

export function toModelInferResponse(response: V2InferResponse, typed: boolean): ModelInferResponse {
  const outputs = response.outputs.map((o) => {
    let contents: InferTensorContents | undefined;
    if (typed) {
      contents = emptyContents();
      if (Array.isArray(o.data)) contents.bytesContents = o.data;
      else contents.fp32Contents = Array.from(o.data);
    }
    return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: {}, contents };
  });
  return {
    modelName: response.modelName,
    modelVersion: response.modelVersion,
    id: response.id,
    parameters: toInferParameters(response.parameters),
    outputs,
    rawOutputContents: typed ? [] : response.outputs.map((o) => toRaw(o.data)),
  };
}
