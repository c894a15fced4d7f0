/**
 * A Predictor that records every Predict request in the statistics (Triton's per-model counters and LUAB's
 * rejections and decode times), so luab.v1 Predict, the REST /v1/predict and the v2 API are counted alike without
 * the Predictor itself knowing about metrics.
 */
import type { ServerConfig } from '../config.js';
import type { ModelRepository } from '../model-repository/repository.js';
import { Predictor, type CallContext } from '../predictor.js';
import type { PredictRequest, PredictResponse } from '../../proto/generated/luab/v1/inference.js';
import type { InferenceStatistics } from './statistics.js';

export class RecordingPredictor extends Predictor {
  constructor(
    private readonly models: ModelRepository,
    config: ServerConfig,
    private readonly statistics: InferenceStatistics,
  ) {
    super(models, config);
  }

  override async predict(request: PredictRequest, context: CallContext): Promise<PredictResponse> {
    const started = performance.now();
    try {
      const response = await super.predict(request, context);
      const t = response.timings!;
      if (request.input?.$case === 'image') this.statistics.recordDecode(t.preprocessMs);
      const points = response.point || response.classPoints.length > 0 ? 1 : 0;
      this.statistics.recordSuccess(response.model, response.version, t, points);
      return response;
    } catch (error) {
      this.statistics.recordFailure(this.target(request), performance.now() - started, error);
      throw error;
    }
  }

  /** The model version a failed request was for, if it names one that exists. */
  private target(request: PredictRequest): { model: string; version: number } | undefined {
    try {
      const { entry, loaded } = this.models.resolve(request.model, request.version);
      return { model: entry.name, version: loaded.version };
    } catch {
      return undefined;
    }
  }
}
