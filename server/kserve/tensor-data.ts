/**
 * KServe v2 tensor data, transport-free: element counts, the raw little-endian encoding of raw_input_contents /
 * raw_output_contents (and HTTP's binary-data extension), and BYTES elements as a 4-byte little-endian length
 * followed by the bytes (what tritonclient's serialize_byte_tensor writes).
 */
import { invalidArgument } from '../errors.js';

/** Data of a tensor the server reads: FP32 values, UINT8 values or BYTES elements. */
export type TensorData = Float32Array | Uint8Array | Buffer[];

export interface V2Tensor {
  name: string;
  datatype: string;
  shape: number[];
  data: TensorData;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks that every dimension is a non-negative integer; `field` names the shape in the error. */
export function checkShape(shape: readonly number[], field: string): void {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw invalidArgument(field, `dimensions must be non-negative integers, got [${shape.join(', ')}]`);
  }
}

/** Splits a BYTES tensor's raw encoding into its elements. */
export function parseBytesElements(raw: Uint8Array, count: number, field: string): Buffer[] {
  const buffer = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (offset + 4 > buffer.length) {
      throw invalidArgument(field, `element ${elements.length}: a 4-byte length prefix is cut off at byte ${offset}`);
    }
    const length = buffer.readUInt32LE(offset);
    offset += 4;
    if (offset + length > buffer.length) {
      throw invalidArgument(
        field,
        `element ${elements.length}: its length prefix says ${length} bytes but only ${buffer.length - offset} follow`,
      );
    }
    elements.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  if (elements.length !== count) {
    throw invalidArgument(field, `holds ${elements.length} BYTES elements, the shape says ${count}`);
  }
  return elements;
}

/** BYTES elements → one buffer of length-prefixed elements. */
export function serializeBytesElements(elements: readonly Uint8Array[]): Buffer {
  const total = elements.reduce((sum, e) => sum + 4 + e.length, 0);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const element of elements) {
    out.writeUInt32LE(element.length, offset);
    out.set(element, offset + 4);
    offset += 4 + element.length;
  }
  return out;
}

/** Raw little-endian bytes of a tensor → its data, checked against the element count of its shape. */
export function fromRaw(datatype: string, raw: Uint8Array, count: number, field: string): TensorData {
  switch (datatype) {
    case 'FP32': {
      if (raw.length !== count * 4) {
        throw invalidArgument(field, `has ${raw.length} bytes, expected ${count * 4} (${count} FP32 values)`);
      }
      // Copied into an aligned buffer: bytes inside a protobuf message may start at any offset. Little-endian
      // hosts only (every platform Node's prebuilt onnxruntime supports).
      const values = new Float32Array(count);
      new Uint8Array(values.buffer).set(raw);
      return values;
    }
    case 'UINT8':
      if (raw.length !== count) throw invalidArgument(field, `has ${raw.length} bytes, expected ${count} UINT8 values`);
      return raw;
    case 'BYTES':
      return parseBytesElements(raw, count, field);
    default:
      throw invalidArgument(field, `datatype ${datatype} is not accepted`);
  }
}

/** Output data → raw little-endian bytes. */
export function toRaw(data: Float32Array | Buffer[]): Buffer {
  if (Array.isArray(data)) return serializeBytesElements(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
