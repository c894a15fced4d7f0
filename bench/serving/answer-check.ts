/**
 * Before anything is timed, the pipelines must be computing the same thing: the same image through gRPC and
 * in-process gives the same classes, scores and point, and the preprocessed tensor gives the same classes as its
 * JPEG. A benchmark comparing a pipeline with one that silently does less work would measure nothing.
 */
import { toPredictRequest } from '../../client/luab-client.js';
import type { PredictResponse } from '../../proto/generated/luab/v1/inference.js';
import type { BenchInputs, Pipelines } from './pipelines.js';

/** Images compared (all of them would add start-up time and nothing else). */
const CHECKED_IMAGES = 8;

/** Scores and normalised point coordinates may differ by float rounding between batch compositions. */
const TOLERANCE = 1e-4;

export function assertSameAnswer(
  expected: PredictResponse,
  actual: PredictResponse,
  what: string,
  comparePoint: boolean,
): void {
  const fail = (why: string) => {
    throw new Error(`answer check failed for ${what}: ${why}`);
  };
  if (expected.classes.length !== actual.classes.length) {
    fail(`${expected.classes.length} classes vs ${actual.classes.length}`);
  }
  expected.classes.forEach((want, i) => {
    const got = actual.classes[i];
    if (got.index !== want.index || Math.abs(got.score - want.score) > TOLERANCE) {
      fail(`class #${i}: ${want.index} (${want.score}) vs ${got.index} (${got.score})`);
    }
  });
  if (!comparePoint) return;
  const [p, q] = [expected.point, actual.point];
  if ((p === undefined) !== (q === undefined)) fail('one answer has a point, the other none');
  if (p && q && (Math.abs(p.x - q.x) > TOLERANCE || Math.abs(p.y - q.y) > TOLERANCE)) {
    fail(`point (${p.x}, ${p.y}) vs (${q.x}, ${q.y})`);
  }
}

/** Sends the first images through every pipeline, as JPEG and as tensor, and compares the answers. */
export async function checkAnswers(p: Pipelines, inputs: BenchInputs): Promise<void> {
  const model = p.local.model;
  for (const [i, image] of inputs.images.slice(0, CHECKED_IMAGES).entries()) {
    const local = await p.local.predictor.predict(toPredictRequest({ image: image.bytes, model }), {
      deadline: Infinity,
      signal: new AbortController().signal,
    });
    for (const [pipeline, client] of Object.entries(p.clients)) {
      const remote = await client.predict({ image: image.bytes, model });
      assertSameAnswer(local, remote, `${image.name}: in-process vs ${pipeline}`, true);
      const fromTensor = await client.predict({ tensor: inputs.tensors[i], model });
      assertSameAnswer(local, fromTensor, `${image.name}: JPEG vs its tensor over ${pipeline}`, false);
    }
  }
}
