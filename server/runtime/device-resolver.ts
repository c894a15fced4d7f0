/**
 * Decides once per server where sessions run, so a CPU fallback is tried and reported once, not per model:
 * `auto` goes straight to the CPU when the CUDA provider is not installed, otherwise the first model tries CUDA and,
 * if that fails, every later model starts on the CPU.
 */
import type { Logger } from 'pino';
import type { DeviceSpec } from '../config.js';
import { isCudaInstalled } from './cuda-preflight.js';
import { explainCudaFailure, toWorkerDevice, type WorkerDevice } from './execution-provider.js';

export class DeviceResolver {
  private device: WorkerDevice;

  constructor(
    spec: DeviceSpec,
    private readonly log: Logger,
  ) {
    this.device = toWorkerDevice(spec);
    if (spec.kind === 'auto' && !isCudaInstalled()) {
      this.fallBack(explainCudaFailure(0, 'provider library not found'));
    }
  }

  /** The device the next model should be started on. */
  get current(): WorkerDevice {
    return this.device;
  }

  /** Records what a model load found: a fallback reason means CUDA did not work. */
  observe(cudaFallbackReason: string | undefined): void {
    if (cudaFallbackReason && this.device.kind === 'cuda') this.fallBack(cudaFallbackReason);
  }

  private fallBack(reason: string): void {
    this.device = { kind: 'cpu' };
    this.log.warn(`device auto: CUDA is not available, running on CPU (${reason})`);
  }
}
