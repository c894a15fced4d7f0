/**
 * The KServe v2 image path is Predict's: an encoded image (BYTES) or client-decoded pixels (UINT8) is decoded and
 * resized under the predictor's decode limit and reaches the batcher as the model input's RGB bytes with the
 * version's normalisation, which the inference worker applies to the whole batch off the main thread. So v2 and
 * Predict images share one byte batch, and the same image gives the same scores and point through both.
 */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { BatchItem } from '../server/batching/dynamic-batcher.js';
import { DEFAULTS, type ServerConfig } from '../server/config.js';
import { V2Inference } from '../server/kserve/v2-inference.js';
import type { V2InferRequest, V2InputTensor } from '../server/kserve/v2-types.js';
import { InferenceStatistics } from '../server/metrics/statistics.js';
import { Predictor, type CallContext } from '../server/predictor.js';
import { PredictRequest } from '../proto/generated/luab/v1/inference.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('KServe v2 image path (the bytes go to the inference worker, as for Predict)', function () {
  let t: TestServer;
  let predictor: Predictor;
  let v2: V2Inference;
  before(async () => {
    t = await startTestServer({ modelsDir: GOOD_MODELS });
    const config: ServerConfig = { ...DEFAULTS, device: { kind: 'cpu' } };
    predictor = new Predictor(t.server.repository, config);
    v2 = new V2Inference(predictor, t.server.repository, config, new InferenceStatistics());
  });
  after(async () => t.close());

  const context = (): CallContext => ({ signal: new AbortController().signal, deadline: Infinity });
  const v2Request = (input: V2InputTensor): V2InferRequest => ({
    modelName: 'centroid',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: [input],
    outputs: [],
  });
  const bytesInput = (image: Buffer): V2InputTensor => ({
    name: 'image_bytes',
    datatype: 'BYTES',
    shape: [1],
    parameters: {},
    data: [image],
  });
  const output = (outputs: { name: string; data: unknown }[], name: string) =>
    outputs.find((o) => o.name === name)!.data as Float32Array;

  /** Every item the version's batcher is given while `work` runs. */
  async function submittedDuring(work: () => Promise<unknown>): Promise<BatchItem[]> {
    const { batcher } = t.server.repository.resolve('centroid', 0).loaded;
    const submit = batcher.submit;
    const seen: BatchItem[] = [];
    batcher.submit = (item, options) => {
      seen.push(item);
      return submit.call(batcher, item, options);
    };
    try {
      await work();
    } finally {
      batcher.submit = submit;
    }
    return seen;
  }

  it('hands the batcher RGB bytes with the normalisation Predict uses, for BYTES and UINT8 inputs', async () => {
    const image = await discImage(120, 90, [{ cx: 80, cy: 30, r: 12, colour: 'red' }], 'png');
    const { data: rgb, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixelsInput: V2InputTensor = {
      name: 'image_pixels',
      datatype: 'UINT8',
      shape: [1, info.height, info.width, 3],
      parameters: {},
      data: new Uint8Array(rgb),
    };
    const seen = await submittedDuring(async () => {
      await predictor.predict(
        PredictRequest.fromPartial({ model: 'centroid', input: { $case: 'image', value: image } }),
        context(),
      );
      await v2.infer(v2Request(bytesInput(image)), context());
      await v2.infer(v2Request(pixelsInput), context());
    });
    assert.equal(seen.length, 3);
    const [predict, ...fromV2] = seen;
    assert.ok(!(predict instanceof Float32Array), 'Predict hands bytes');
    for (const item of fromV2) {
      assert.ok(!(item instanceof Float32Array), 'a v2 image reaches the batcher as bytes, not a float32 tensor');
      // The same object: packBatch keeps a batch of Predict and v2 images as one byte batch only then.
      assert.equal(item.normalisation, predict.normalisation);
      assert.deepEqual(item.pixels, predict.pixels, 'the same model-input pixels');
    }
  });

  for (const [name, width, height, format] of [
    ['a downscaled JPEG', 500, 375, 'jpeg'],
    ['an upscaled PNG', 40, 30, 'png'],
  ] as const) {
    it(`gives the scores and point of Predict for ${name}`, async () => {
      const image = await discImage(
        width,
        height,
        [{ cx: width * 0.7, cy: height * 0.3, r: width / 10, colour: 'green' }],
        format,
      );
      const predicted = await predictor.predict(
        PredictRequest.fromPartial({ model: 'centroid', input: { $case: 'image', value: image }, topK: 3 }),
        context(),
      );
      const answer = await v2.infer(v2Request(bytesInput(image)), context());
      const scores = output(answer.outputs, 'scores');
      assert.equal(scores.length, 3);
      for (const c of predicted.classes) assert.equal(scores[c.index], Math.fround(c.score), `class ${c.label}`);
      const point = output(answer.outputs, 'point');
      assert.deepEqual([...point], [Math.fround(predicted.point!.x), Math.fround(predicted.point!.y)]);
      const pointPx = output(answer.outputs, 'point_px');
      assert.deepEqual([...pointPx], [Math.fround(predicted.point!.xPx), Math.fround(predicted.point!.yPx)]);
    });
  }
});
