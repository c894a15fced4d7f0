/** Is the CUDA provider installed at all? Checked before anything loads, to say exactly what is missing. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';
import { explainCudaFailure, onnxruntimeBinaryDir } from './execution-provider.js';

export function isCudaInstalled(): boolean {
  const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(onnxruntimeBinaryDir(), library));
}

/** For `--device cuda`: fail the start, naming the missing library and how to install it. */
export function assertCudaInstalled(deviceId: number): void {
  if (!isCudaInstalled()) throw new ConfigError(explainCudaFailure(deviceId, 'provider library not found'));
}
