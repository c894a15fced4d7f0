/**
 * Execution provider selection for onnxruntime-node. `InferenceSession.create()` throws when the CUDA provider's
 * libraries are missing, even with 'cpu' listed second, so the fallback is explicit: `auto` tries CUDA and falls
 * back to CPU (the caller logs it once), `cuda` fails with a message that says what is missing.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import type { DeviceSpec } from '../config.js';

/** The device a worker was asked to use after the server-wide resolution: a concrete one, or "try CUDA". */
export type WorkerDevice = { kind: 'cpu' } | { kind: 'cuda'; deviceId: number; allowCpuFallback: boolean };

export function toWorkerDevice(device: DeviceSpec): WorkerDevice {
  if (device.kind === 'cpu') return { kind: 'cpu' };
  if (device.kind === 'cuda') return { kind: 'cuda', deviceId: device.deviceId, allowCpuFallback: false };
  return { kind: 'cuda', deviceId: 0, allowCpuFallback: true };
}

export function executionProviders(device: WorkerDevice): InferenceSession.ExecutionProviderConfig[] {
  return device.kind === 'cpu' ? ['cpu'] : [{ name: 'cuda', deviceId: device.deviceId }];
}

/** Folder of onnxruntime-node's native binding for this platform, where the CUDA provider libraries must sit. */
export function onnxruntimeBinaryDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(packageJson), 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';

/** Explains why the CUDA provider could not be created, from what is on disk and what onnxruntime said. */
export function explainCudaFailure(deviceId: number, ortMessage: string): string {
  const binaryDir = onnxruntimeBinaryDir();
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    return `cuda:${deviceId}: onnxruntime-node has no CUDA provider on ${process.platform}`;
  }
  if (process.platform === 'linux' && !existsSync(join(binaryDir, CUDA_PROVIDER_LIBRARY))) {
    return (
      `cuda:${deviceId}: the CUDA execution provider is not installed: ${CUDA_PROVIDER_LIBRARY} is missing from ` +
      `${binaryDir} (this project's .npmrc skips onnxruntime-node's CUDA download). On a host with CUDA 12, cuDNN 9 ` +
      `and network access to its NuGet feed run \`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node\` ` +
      `(docs/gpu.md)`
    );
  }
  return (
    `cuda:${deviceId}: the CUDA execution provider is installed but could not be created; check that the NVIDIA ` +
    `driver, CUDA 12 and cuDNN 9 libraries are on the library path and that GPU ${deviceId} exists ` +
    `(onnxruntime: ${ortMessage.split('\n')[0]})`
  );
}
