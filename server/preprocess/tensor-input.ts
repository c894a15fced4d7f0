/**
 * A request that carries the model input itself: checked for dtype, shape, size and finite values, each failure
 * an INVALID_ARGUMENT naming the tensor field.
 */
import { endianness } from 'node:os';
import { invalidArgument } from '../errors.js';
import { DataType, type Tensor } from '../../proto/generated/luab/v1/inference.js';

const LITTLE_ENDIAN = endianness() === 'LE';

export function readTensorInput(tensor: Tensor, height: number, width: number): Float32Array {
  if (tensor.dtype !== DataType.DATA_TYPE_FLOAT32) {
    throw invalidArgument('tensor.dtype', `must be DATA_TYPE_FLOAT32, got ${DataType[tensor.dtype] ?? tensor.dtype}`);
  }
  const shape = tensor.shape.map(Number);
  const expected = [3, height, width];
  const matches =
    (shape.length === 3 && shape.every((d, i) => d === expected[i])) ||
    (shape.length === 4 && shape[0] === 1 && shape.slice(1).every((d, i) => d === expected[i]));
  if (!matches) {
    throw invalidArgument(
      'tensor.shape',
      `must be [3, ${height}, ${width}] or [1, 3, ${height}, ${width}] for this model, got [${shape.join(', ')}]`,
    );
  }
  const count = 3 * height * width;
  const hasRaw = tensor.rawData.length > 0;
  const hasFloats = tensor.floatData.length > 0;
  if (hasRaw === hasFloats) {
    throw invalidArgument('tensor', 'set exactly one of raw_data and float_data');
  }
  let values: Float32Array;
  if (hasRaw) {
    if (tensor.rawData.length !== count * 4) {
      throw invalidArgument(
        'tensor.raw_data',
        `has ${tensor.rawData.length} bytes, expected ${count * 4} (${count} float32 values)`,
      );
    }
    // Copy into an aligned buffer: the bytes inside a protobuf message may start at any offset.
    values = new Float32Array(count);
    const bytes = new Uint8Array(values.buffer);
    bytes.set(tensor.rawData);
    if (!LITTLE_ENDIAN) {
      const view = new DataView(values.buffer);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
    }
  } else {
    if (tensor.floatData.length !== count) {
      throw invalidArgument('tensor.float_data', `has ${tensor.floatData.length} values, expected ${count}`);
    }
    values = Float32Array.from(tensor.floatData);
  }
  const field = hasRaw ? 'tensor.raw_data' : 'tensor.float_data';
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i])) {
      throw invalidArgument(field, `element ${i} is ${values[i]} (values must be finite)`);
    }
  }
  return values;
}
