/**
 * /metrics in Prometheus text format, with Triton's metric names where Triton has the metric (nv_inference_*,
 * labels model and version) and LUAB's own under luab_*, plus prom-client's default process metrics (memory, CPU,
 * event-loop lag). The counters are read at scrape time from the statistics module and the batchers, the same
 * numbers ModelStatistics reports.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelRepository } from '../model-repository/repository.js';
import type { BatcherStats } from '../batching/dynamic-batcher.js';
import type { InferenceStatistics, VersionStatistics } from './statistics.js';

type Labels = { model: string; version: string };

/** Every ready version's labels with its batcher's counts. */
function batchers(repository: ModelRepository): { labels: Labels; stats: BatcherStats }[] {
  return repository
    .list()
    .flatMap((entry) =>
      entry.versions.flatMap((v) =>
        v.state === 'ready'
          ? [{ labels: { model: entry.name, version: String(v.version) }, stats: v.loaded.batcher.stats() }]
          : [],
      ),
    );
}

export function createMetricsRegistry(repository: ModelRepository, statistics: InferenceStatistics): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['model', 'version'] as const;

  const fromStatistics = (name: string, help: string, value: (s: VersionStatistics) => number) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of statistics.all()) this.inc({ model: s.model, version: String(s.version) }, value(s));
      },
    });
  const us = (ns: number) => ns / 1000;
  fromStatistics('nv_inference_request_success', 'Successful inference requests', (s) => s.success.count);
  fromStatistics('nv_inference_request_failure', 'Failed inference requests', (s) => s.fail.count);
  fromStatistics(
    'nv_inference_request_duration_us',
    'Cumulative inference request duration in microseconds (success and failure)',
    (s) => us(s.success.ns + s.fail.ns),
  );
  fromStatistics('nv_inference_queue_duration_us', 'Cumulative queue duration in microseconds', (s) => us(s.queue.ns));
  fromStatistics(
    'nv_inference_compute_input_duration_us',
    'Cumulative input (decode and preprocessing) duration in microseconds',
    (s) => us(s.computeInput.ns),
  );
  fromStatistics('nv_inference_compute_infer_duration_us', 'Cumulative model execution duration in microseconds', (s) =>
    us(s.computeInfer.ns),
  );
  fromStatistics(
    'nv_inference_compute_output_duration_us',
    'Cumulative output (postprocessing) duration in microseconds',
    (s) => us(s.computeOutput.ns),
  );
  fromStatistics('luab_point_outputs_total', 'Images answered with a predicted point', (s) => s.pointOutputs);

  const fromBatchers = (name: string, help: string, value: (s: BatcherStats) => number, gauge = false) => {
    const options = { name, help, labelNames, registers: [registry] };
    if (gauge) {
      return new Gauge({
        ...options,
        collect() {
          this.reset();
          for (const b of batchers(repository)) this.set(b.labels, value(b.stats));
        },
      });
    }
    return new Counter({
      ...options,
      collect() {
        this.reset();
        for (const b of batchers(repository)) this.inc(b.labels, value(b.stats));
      },
    });
  };
  fromBatchers('nv_inference_count', 'Images that reached the model (batch items)', (s) => s.inferences);
  fromBatchers(
    'nv_inference_exec_count',
    'Model executions (batches); nv_inference_count / nv_inference_exec_count is the mean batch size',
    (s) => s.executions,
  );
  fromBatchers('nv_inference_pending_request_count', 'Requests waiting in the batch queue', (s) => s.queued, true);

  new Counter({
    name: 'luab_rejected_requests_total',
    help: 'Failed requests by reason (the status code: invalid_argument, not_found, resource_exhausted, ...)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of statistics.rejected()) this.inc({ reason }, count);
    },
  });

  const decode = new Histogram({
    name: 'luab_decode_duration_seconds',
    help: 'Image decode and preprocessing time per image',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    registers: [registry],
  });
  statistics.onDecode = (seconds) => decode.observe(seconds);
  return registry;
}
