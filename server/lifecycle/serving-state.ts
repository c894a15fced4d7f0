/**
 * Whether this server takes new traffic: the one answer behind every readiness endpoint, gRPC health (`""`,
 * `luab.v1.Inference`, per model), KServe v2 ServerReady/ModelReady over gRPC and GET /v2/health/ready,
 * /v2/models/<name>/ready over REST. From the first SIGTERM on (the --drain-ms window) they all say not ready while
 * requests are still served, so load balancers and KServe's probes take the instance out before the listener
 * closes. Liveness is separate (LIVENESS_HEALTH_NAME in grpc-server.ts, /v2/health/live): it stays up until exit.
 */
import type { ModelRepository } from '../model-repository/repository.js';

export class ServingState {
  private stopping = false;

  constructor(private readonly repository: ModelRepository) {}

  /** The drain window has begun (first signal): readiness says no from now on, for good. */
  beginStopping(): void {
    this.stopping = true;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Ready: not stopping, and at least one model can serve. */
  serverReady(): boolean {
    return !this.stopping && this.repository.readyCount > 0;
  }

  /** Ready for `model`: not stopping, and `isModelReady` (the model's own readiness) holds. */
  modelReady(isModelReady: () => boolean): boolean {
    return !this.stopping && isModelReady();
  }
}
