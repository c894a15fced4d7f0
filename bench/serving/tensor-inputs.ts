/**
 * Tensor inputs: each benchmark image preprocessed by the server's own preprocessImage() and sent as a raw
 * float32 [3, H, W] tensor, as a client that does its own preprocessing would send it. The server then does no
 * decoding, so these runs price the transport, the batcher and inference alone.
 */
import type { ServerConfig } from '../../server/config.js';
import type { ModelConfig } from '../../server/model-repository/model-config.js';
import { preprocessSpec } from '../../server/model-repository/model-version.js';
import { preprocessImage } from '../../server/preprocess/image-preprocessor.js';
import { DataType, type Tensor } from '../../proto/generated/luab/v1/inference.js';
import type { BenchImage } from './jpeg-corpus.js';

export async function tensorInputs(images: BenchImage[], model: ModelConfig, server: ServerConfig): Promise<Tensor[]> {
  const spec = preprocessSpec(model);
  const { height, width } = model.input;
  return Promise.all(
    images.map(async (image) => {
      const { tensor } = await preprocessImage(image.bytes, spec, server.maxImagePixels);
      return {
        shape: [3, height, width],
        dtype: DataType.DATA_TYPE_FLOAT32,
        rawData: Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength),
        floatData: [],
      };
    }),
  );
}
