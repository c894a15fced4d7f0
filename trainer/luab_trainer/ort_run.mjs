// Runs one ONNX model with onnxruntime-node for the trainer's export parity check (see onnx_runtime.py).
// stdin: {"model": path, "inputs": {name: {"dims": [...], "file": raw little-endian float32}}}
// stdout: {name: {"dims": [...], "data": [...]}} for every output of the model.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const request = JSON.parse(readFileSync(0, 'utf8'));
const session = await ort.InferenceSession.create(request.model, { executionProviders: ['cpu'] });
const feeds = {};
for (const [name, input] of Object.entries(request.inputs)) {
  const bytes = readFileSync(input.file);
  // a copy: a Buffer may sit at an offset that is not a multiple of 4 in a shared pool
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  feeds[name] = new ort.Tensor('float32', data, input.dims);
}
const results = await session.run(feeds);
const out = {};
for (const name of session.outputNames) {
  out[name] = { dims: results[name].dims, data: Array.from(results[name].data) };
}
process.stdout.write(JSON.stringify(out));
