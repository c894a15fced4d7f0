/**
 * What one image costs in each stage, measured alone, one request at a time: decoding + preprocessing with sharp,
 * and inference at batch size 1 and at the largest batch. Wall time says how long a stage takes; CPU time (this
 * process, all threads: libvips and the onnxruntime worker included) says how much of the 2 cores it uses, which
 * is what bounds throughput once the cores are full. Together they say whether preprocessing or inference bounds a
 * model's throughput on JPEG inputs.
 */
import { preprocessImage } from '../../server/preprocess/image-preprocessor.js';
import { ownCpuMs } from './cpu-time.js';
import type { InProcessPipeline } from './in-process-pipeline.js';
import type { BenchImage } from './jpeg-corpus.js';

export interface StageCost {
  /** Wall and CPU milliseconds per image (per item of the batch for inference). */
  wallMs: number;
  cpuMs: number;
}

export interface ComponentCosts {
  preprocess: StageCost;
  inferenceBatch1: StageCost;
  inferenceMaxBatch: StageCost & { batchSize: number };
}

/** Repeats `step` (which handles `items` images) for at least `seconds`, after one untimed call. */
async function timeStage(seconds: number, items: number, step: (i: number) => Promise<unknown>): Promise<StageCost> {
  await step(0);
  const [wall0, cpu0] = [performance.now(), ownCpuMs()];
  let calls = 0;
  while (performance.now() - wall0 < seconds * 1000) await step(++calls);
  const [wall, cpu] = [performance.now() - wall0, ownCpuMs() - cpu0];
  return { wallMs: wall / (calls * items), cpuMs: cpu / (calls * items) };
}

export async function measureComponentCosts(
  local: InProcessPipeline,
  images: BenchImage[],
  maxPixels: number,
  seconds: number,
): Promise<ComponentCosts> {
  const { runtime, preprocess, batching } = local.loaded;
  const { name, height, width } = local.config.input;
  const itemDims = [3, height, width];
  const itemSize = 3 * height * width;
  const preprocessCost = await timeStage(seconds, 1, (i) =>
    preprocessImage(images[i % images.length].bytes, preprocess, maxPixels),
  );
  // The buffer is handed over to the worker thread (and detached): each run gets a fresh one.
  const infer = (batch: number) => () => runtime.run(name, new Float32Array(batch * itemSize), [batch, ...itemDims]);
  const batchSize = batching.maxBatchSize;
  return {
    preprocess: preprocessCost,
    inferenceBatch1: await timeStage(seconds, 1, infer(1)),
    inferenceMaxBatch: { ...(await timeStage(seconds, batchSize, infer(batchSize))), batchSize },
  };
}

export function formatComponentCosts(c: ComponentCosts): string {
  const rows: [string, StageCost][] = [
    ['decode + preprocess (sharp)', c.preprocess],
    ['inference, batch 1', c.inferenceBatch1],
    [`inference, batch ${c.inferenceMaxBatch.batchSize} (per image)`, c.inferenceMaxBatch],
  ];
  const perRequest = c.preprocess.cpuMs + c.inferenceMaxBatch.cpuMs;
  return [
    'cost per image, one stage at a time (this process, all threads):',
    ...rows.map(
      ([label, s]) => `  ${`${label}:`.padEnd(34)} ${s.wallMs.toFixed(2)} ms wall, ${s.cpuMs.toFixed(2)} ms CPU`,
    ),
    `  preprocessing is ${((100 * c.preprocess.cpuMs) / perRequest).toFixed(0)}% of the CPU a JPEG request needs ` +
      `at full batches`,
  ].join('\n');
}
