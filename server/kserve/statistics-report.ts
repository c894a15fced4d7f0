/**
 * ModelStatistics (gRPC) and /v2/models/.../stats (HTTP): the request statistics of metrics/statistics.ts plus
 * the batcher's counts, per ready model version. /metrics reads the very same numbers.
 */
import type { ModelRepository } from '../model-repository/repository.js';
import type { InferenceStatistics } from '../metrics/statistics.js';
import type { ModelStatistics } from '../../proto/generated/inference/grpc_service.js';
import { findModel } from './metadata.js';
import { parseVersion } from './v2-inference.js';

export function modelStatistics(
  repository: ModelRepository,
  statistics: InferenceStatistics,
  name: string,
  version: string,
): ModelStatistics[] {
  const entries = name === '' ? repository.list() : [findModel(repository, name, version)];
  const wanted = parseVersion(version, 'version');
  const report: ModelStatistics[] = [];
  for (const entry of entries) {
    for (const v of entry.versions) {
      if (v.state !== 'ready' || (wanted !== 0 && v.version !== wanted)) continue;
      const s = statistics.get(entry.name, v.version);
      const batcher = v.loaded.batcher.stats();
      report.push({
        name: entry.name,
        version: String(v.version),
        lastInference: s.lastInference,
        inferenceCount: batcher.inferences,
        executionCount: batcher.executions,
        inferenceStats: {
          success: { ...s.success },
          fail: { ...s.fail },
          queue: { ...s.queue },
          computeInput: { ...s.computeInput },
          computeInfer: { ...s.computeInfer },
          computeOutput: { ...s.computeOutput },
          cacheHit: { count: 0, ns: 0 },
          cacheMiss: { count: 0, ns: 0 },
        },
        batchStats: [],
      });
    }
  }
  return report;
}
