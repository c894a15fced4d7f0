/**
 * KServe v2 REST inference bodies ↔ the transport-free v2 request and response: JSON tensors (`data` as a flat
 * or nested row-major array) and the binary tensor data extension, where the body is the JSON header
 * (Inference-Header-Content-Length bytes long) followed by each tensor's raw bytes in order, an input carrying
 * `parameters.binary_data_size` and an output asked for with `parameters.binary_data: true` (or the request's
 * `binary_data_output: true`).
 */
import { invalidArgument } from '../errors.js';
import { checkShape, elementCount, fromRaw, toRaw, type TensorData } from '../kserve/tensor-data.js';
import type { Parameters, V2InferRequest, V2InferResponse, V2InputTensor } from '../kserve/v2-types.js';

export const HEADER_LENGTH = 'inference-header-content-length';

interface JsonInput {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  parameters?: Parameters;
  data?: unknown;
}

function parseHeader(
  body: Buffer,
  headerLength: number | undefined,
): { json: Record<string, unknown>; binary: Buffer } {
  const length = headerLength ?? body.length;
  if (length > body.length) {
    throw invalidArgument(HEADER_LENGTH, `is ${length} but the body has only ${body.length} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.subarray(0, length).toString('utf8'));
  } catch (error) {
    throw invalidArgument('body', `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidArgument('body', 'must be a JSON object with "inputs"');
  }
  return { json: json as Record<string, unknown>, binary: body.subarray(length) };
}

function parameters(value: unknown, field: string): Parameters {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(field, 'must be an object');
  }
  return value as Parameters;
}

function jsonData(datatype: string, data: unknown, count: number, field: string): TensorData {
  const flat = Array.isArray(data) ? (data as unknown[]).flat(Infinity) : undefined;
  if (!flat) throw invalidArgument(field, 'must be an array (or send the tensor as binary data)');
  if (flat.length !== count) throw invalidArgument(field, `has ${flat.length} values, the shape says ${count}`);
  switch (datatype) {
    case 'FP32': {
      const bad = flat.findIndex((v) => typeof v !== 'number');
      if (bad >= 0) throw invalidArgument(field, `element ${bad} is not a number`);
      return Float32Array.from(flat as number[]);
    }
    case 'UINT8': {
      const bad = flat.findIndex((v) => !Number.isInteger(v) || (v as number) < 0 || (v as number) > 255);
      if (bad >= 0) throw invalidArgument(field, `element ${bad} is not an integer from 0 to 255`);
      return Uint8Array.from(flat as number[]);
    }
    case 'BYTES': {
      const bad = flat.findIndex((v) => typeof v !== 'string');
      if (bad >= 0) throw invalidArgument(field, `element ${bad} is not a string`);
      return (flat as string[]).map((v) => Buffer.from(v, 'utf8'));
    }
    default:
      throw invalidArgument(field, `datatype ${datatype} is not accepted (FP32, UINT8 or BYTES)`);
  }
}

export function fromHttpInferBody(
  body: Buffer,
  headerLength: number | undefined,
  modelName: string,
  modelVersion: string,
): V2InferRequest {
  const { json, binary } = parseHeader(body, headerLength);
  if (!Array.isArray(json.inputs)) throw invalidArgument('inputs', 'must be an array of tensors');
  let offset = 0;
  const inputs: V2InputTensor[] = (json.inputs as JsonInput[]).map((input, i) => {
    const field = `inputs[${i}]`;
    if (typeof input.name !== 'string') throw invalidArgument(`${field}.name`, 'must be a string');
    if (typeof input.datatype !== 'string') throw invalidArgument(`${field}.datatype`, 'must be a string');
    if (!Array.isArray(input.shape)) throw invalidArgument(`${field}.shape`, 'must be an array of integers');
    const shape = input.shape as number[];
    checkShape(shape, `${field}.shape`);
    const params = parameters(input.parameters, `${field}.parameters`);
    const count = elementCount(shape);
    let data: TensorData;
    const size = params.binary_data_size;
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || offset + size > binary.length) {
        throw invalidArgument(
          `${field}.parameters.binary_data_size`,
          `${JSON.stringify(size)} does not fit the ${binary.length - offset} binary bytes left after the header`,
        );
      }
      data = fromRaw(input.datatype, binary.subarray(offset, offset + size), count, `${field} (binary data)`);
      offset += size;
    } else {
      data = jsonData(input.datatype, input.data, count, `${field}.data`);
    }
    return { name: input.name, datatype: input.datatype, shape, parameters: params, data };
  });
  const outputs = json.outputs === undefined ? [] : json.outputs;
  if (!Array.isArray(outputs)) throw invalidArgument('outputs', 'must be an array');
  return {
    modelName,
    modelVersion,
    id: typeof json.id === 'string' ? json.id : '',
    parameters: parameters(json.parameters, 'parameters'),
    inputs,
    outputs: (outputs as { name?: unknown; parameters?: unknown }[]).map((o, i) => {
      if (typeof o.name !== 'string') throw invalidArgument(`outputs[${i}].name`, 'must be a string');
      return { name: o.name, parameters: parameters(o.parameters, `outputs[${i}].parameters`) };
    }),
  };
}

export interface HttpBody {
  body: Buffer;
  contentType: string;
  /** Set when the body carries binary data after the JSON header. */
  headerLength?: number;
}

export function toHttpInferBody(response: V2InferResponse, requestParameters: Parameters): HttpBody {
  const binaryDefault = requestParameters.binary_data_output === true;
  const blobs: Buffer[] = [];
  const outputs = response.outputs.map((o) => {
    const binary = o.requested.binary_data ?? binaryDefault;
    const base = { name: o.name, datatype: o.datatype, shape: o.shape };
    if (binary === true) {
      const raw = toRaw(o.data);
      blobs.push(raw);
      return { ...base, parameters: { binary_data_size: raw.length } };
    }
    const data = Array.isArray(o.data) ? o.data.map((b) => b.toString('utf8')) : Array.from(o.data);
    return { ...base, data };
  });
  const header = Buffer.from(
    JSON.stringify({
      model_name: response.modelName,
      model_version: response.modelVersion,
      id: response.id || undefined,
      parameters: response.parameters,
      outputs,
    }),
  );
  if (blobs.length === 0) return { body: header, contentType: 'application/json' };
  return {
    body: Buffer.concat([header, ...blobs]),
    contentType: 'application/octet-stream',
    headerLength: header.length,
  };
}
