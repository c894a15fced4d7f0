/**
 * JSON Schemas (draft-07, checked by ajv) of the two files of a run folder the report reads: report.json
 * (RunReport) and one line of predictions.jsonl (PredictionLine). Objects stay open (extra keys allowed) so that a
 * newer runner adding optional fields does not break an older renderer; only what the report relies on is
 * required and typed.
 * @internal
 */

const count = { type: 'integer', minimum: 0 } as const;
const box = { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 } as const;
const point = {
  type: 'object',
  required: ['x', 'y', 'xPx', 'yPx'],
  properties: { x: { type: 'number' }, y: { type: 'number' }, xPx: { type: 'number' }, yPx: { type: 'number' } },
} as const;
const shard = {
  type: 'object',
  required: ['index', 'count'],
  properties: { index: count, count: { type: 'integer', minimum: 1 } },
} as const;

const metricValue = {
  type: 'object',
  required: ['value', 'better', 'count'],
  // null: what JSON.stringify makes of a NaN (a metric over no images); shown as a missing value.
  properties: { value: { type: ['number', 'null'] }, better: { enum: ['higher', 'lower'] }, count },
} as const;

const suiteMetrics = {
  type: 'object',
  required: ['suite', 'metrics', 'notes', 'counts', 'failures'],
  properties: {
    suite: { type: 'string', minLength: 1 },
    metrics: { type: 'object', additionalProperties: metricValue },
    headline: { type: 'array', items: { type: 'string' } },
    breakdowns: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
    },
    notes: { type: 'array', items: { type: 'string' } },
    counts: {
      type: 'object',
      required: ['evaluated', 'skipped', 'failed'],
      properties: { evaluated: count, skipped: count, failed: count },
    },
    failures: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'code', 'message'],
        properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

export const runReportSchema = {
  type: 'object',
  required: ['schemaVersion', 'model', 'datasets', 'suites', 'job'],
  properties: {
    schemaVersion: { const: 1 },
    model: {
      type: 'object',
      required: ['name', 'version'],
      properties: { name: { type: 'string', minLength: 1 }, version: { type: 'integer' } },
    },
    datasets: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['root', 'fingerprint', 'items'],
        properties: { root: { type: 'string' }, fingerprint: { type: 'string' }, items: count },
      },
    },
    suites: { type: 'array', items: suiteMetrics },
    job: {
      type: 'object',
      required: ['id', 'endpoints', 'startedAt', 'finishedAt', 'imagesPerSecond'],
      properties: {
        id: { type: 'string' },
        endpoints: { type: 'array', items: { type: 'string' } },
        shard,
        startedAt: { type: 'string' },
        finishedAt: { type: 'string' },
        imagesPerSecond: { type: 'number' },
      },
    },
  },
} as const;

export const predictionLineSchema = {
  type: 'object',
  required: ['suite', 'variant', 'path'],
  properties: {
    suite: { type: 'string', minLength: 1 },
    variant: { type: 'string' },
    path: { type: 'string', minLength: 1 },
    targetWnids: { type: 'array', items: { type: 'string' } },
    point,
    imageWidth: { type: 'number' },
    imageHeight: { type: 'number' },
    box,
    score: { type: 'object', properties: { correct: { type: 'boolean' } } },
    error: { type: 'object', required: ['code', 'message'] },
  },
} as const;
