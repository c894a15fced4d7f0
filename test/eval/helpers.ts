// Shared test helpers for the eval tests: model label spaces, model outputs, prediction lines, .npy bytes.
import { in1kWnids, in9Classes } from '../../eval/data/load.js';
import { getSuite } from '../../eval/suites/index.js';
import type { EvalItem, ModelLabels, ModelOutput, PredictionLine } from '../../eval/types.js';

export function model1k(name = 'resnet50-1k'): ModelLabels {
  return {
    name,
    version: 1,
    task: 'single-label',
    labels: in1kWnids().map((wnid) => ({ name: wnid, wnid })),
    inputWidth: 224,
    inputHeight: 224,
    hasPoint: true,
  };
}

export function modelIn9(name = 'luab-in9-cnn'): ModelLabels {
  return {
    name,
    version: 2,
    task: 'single-label',
    labels: in9Classes().map((c) => ({ name: c.name, wnid: c.wnid })),
    inputWidth: 64,
    inputHeight: 64,
    hasPoint: true,
  };
}

/** Scores with the given class indices high (first = highest), the rest low. */
export function output(n: number, top: number[], extra: Partial<ModelOutput> = {}): ModelOutput {
  const scores = new Array<number>(n).fill(0.0001);
  top.forEach((index, rank) => (scores[index] = 0.5 / (rank + 1)));
  return { scores, imageWidth: 224, imageHeight: 224, resized: false, ...extra };
}

/** The prediction line the job runner would write (only the fields aggregate reads). */
export function line(it: EvalItem, o: ModelOutput, model: ModelLabels): PredictionLine {
  const score = getSuite(it.suite).scoreItem(it, o, model);
  return {
    suite: it.suite,
    variant: it.variant,
    path: it.path,
    ...(it.group !== undefined ? { group: it.group } : {}),
    targetWnids: it.targetWnids,
    ...(it.ood !== undefined ? { ood: it.ood } : {}),
    top5: [],
    imageWidth: o.imageWidth,
    imageHeight: o.imageHeight,
    resized: o.resized,
    score,
    model: model.name,
    version: model.version,
    latencyMs: 1,
    ...(it.attributes ? { attributes: it.attributes } : {}),
  };
}

/** A .npy v1 file of a uint8 [H, W] array, written as numpy.save does. */
export function npyBytes(height: number, width: number, data: number[], descr = '|u1'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${height}, ${width}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data)]);
}
