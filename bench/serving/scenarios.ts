/**
 * What is measured, and in which order. Three pipelines are compared two by two, each pair at the same
 * concurrency: gRPC vs in-process on JPEG inputs, and batching on vs off on tensor inputs. The two sides of a
 * pair run back to back, and in the order A B on even repeats and B A on odd ones (ABBA): on a machine shared
 * with other jobs the background load drifts, and a drift then hits both sides of a ratio alike.
 */

export type PipelineName = 'in-process' | 'grpc' | 'grpc-unbatched';
export type InputKind = 'jpeg' | 'tensor';

export interface Scenario {
  pipeline: PipelineName;
  input: InputKind;
  concurrency: number;
}

export interface PlannedRun extends Scenario {
  repeat: number;
}

export const PIPELINE_TITLES: Record<PipelineName, string> = {
  'in-process': 'in-process (sharp + onnxruntime, no gRPC)',
  grpc: 'gRPC, dynamic batching on',
  'grpc-unbatched': 'gRPC, batching off (max batch 1)',
};

export const scenarioKey = (s: Scenario) => `${s.pipeline}/${s.input}/c${s.concurrency}`;

/** The pairs, in the order they are run; the first of each pair is the reference of its ratio. */
const PAIRS: [Omit<Scenario, 'concurrency'>, Omit<Scenario, 'concurrency'>][] = [
  [
    { pipeline: 'in-process', input: 'jpeg' },
    { pipeline: 'grpc', input: 'jpeg' },
  ],
  [
    { pipeline: 'grpc-unbatched', input: 'tensor' },
    { pipeline: 'grpc', input: 'tensor' },
  ],
];

export function buildPlan(concurrencies: number[], repeats: number): PlannedRun[] {
  const plan: PlannedRun[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const [a, b] of PAIRS) {
      for (const concurrency of concurrencies) {
        const pair = repeat % 2 === 0 ? [a, b] : [b, a];
        for (const side of pair) plan.push({ ...side, concurrency, repeat });
      }
    }
  }
  return plan;
}
