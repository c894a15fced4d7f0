/**
 * Server reflection describes the API as the .proto file does, so that tools building requests from it (grpcurl,
 * ghz, Postman) accept the documented field names: `{"top_k": 2}`, not `{"topK": 2}` only.
 *
 * The test does what grpcurl does: it fetches the file descriptors through reflection, builds a request from
 * JSON with them (@bufbuild/protobuf's JSON reader accepts a field's proto name and its JSON name, as grpcurl
 * does) and sends the bytes it encoded.
 */
import assert from 'node:assert/strict';
import { createFileRegistry, fromBinary, fromJson, toBinary, type DescMessage } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { create } from '@bufbuild/protobuf';
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { PredictResponse } from '../proto/generated/luab/v1/inference.js';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS } from './helpers/paths.js';
import { reflectionFileContainingSymbol } from './helpers/raw-clients.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * protobufjs (behind @grpc/reflection) writes type references relative to their scope (`Tensor`), which the
 * descriptor format allows and grpcurl resolves by C++-like scoping; @bufbuild/protobuf's registry wants them
 * fully qualified, so they are resolved here the same way: innermost scope first.
 */
function qualifyTypeNames(files: FileDescriptorProto[]): void {
  const known = new Set<string>();
  const collect = (scope: string, messages: DescriptorProto[], enums: { name: string }[]) => {
    for (const e of enums) known.add(`${scope}.${e.name}`);
    for (const m of messages) {
      known.add(`${scope}.${m.name}`);
      collect(`${scope}.${m.name}`, m.nestedType, m.enumType);
    }
  };
  for (const f of files) collect(f.package ? `.${f.package}` : '', f.messageType, f.enumType);
  const resolve = (scope: string, messages: DescriptorProto[]) => {
    for (const m of messages) {
      const inner = `${scope}.${m.name}`;
      for (const field of m.field) {
        if (!field.typeName || field.typeName.startsWith('.')) continue;
        const parts = inner.split('.');
        for (let n = parts.length; n >= 1; n -= 1) {
          const candidate = `${parts.slice(0, n).join('.')}.${field.typeName}`;
          if (known.has(candidate)) {
            field.typeName = candidate;
            break;
          }
        }
      }
      resolve(inner, m.nestedType);
    }
  };
  for (const f of files) resolve(f.package ? `.${f.package}` : '', f.messageType);
}

describe('server reflection', function () {
  let t: TestServer;
  before(async () => (t = await startTestServer({ modelsDir: GOOD_MODELS })));
  after(async () => t.close());

  const inferenceFile = async () => {
    const files = (await reflectionFileContainingSymbol(t.address, 'luab.v1.Inference')).map((bytes) =>
      fromBinary(FileDescriptorProtoSchema, bytes),
    );
    const file = files.find((f) => f.package === 'luab.v1');
    assert.ok(file, `reflection returned ${files.map((f) => f.name).join(', ')}`);
    return { file, files };
  };

  it('names every field as the .proto does (top_k, x_px, queue_ms, latest_version)', async () => {
    const { file } = await inferenceFile();
    const fields = (name: string) => file.messageType.find((m) => m.name === name)!.field.map((f) => f.name);
    assert.ok(fields('PredictRequest').includes('top_k'), `PredictRequest fields: ${fields('PredictRequest')}`);
    assert.ok(fields('Point').includes('x_px'), `Point fields: ${fields('Point')}`);
    assert.ok(fields('Timings').includes('queue_ms'), `Timings fields: ${fields('Timings')}`);
    assert.ok(fields('ModelInfo').includes('latest_version'), `ModelInfo fields: ${fields('ModelInfo')}`);
    const camel = file.messageType
      .flatMap((m) => m.field.map((f) => `${m.name}.${f.name}`))
      .filter((n) => /[A-Z]/.test(n.split('.')[1]));
    assert.deepEqual(camel, [], 'no field name in camelCase');
  });

  it('a request built from {"top_k": 2} with the reflected descriptors is answered with 2 classes', async () => {
    const { files } = await inferenceFile();
    qualifyTypeNames(files);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files }));
    const requestType = registry.getMessage('luab.v1.PredictRequest') as DescMessage;
    assert.ok(requestType);
    const image = await discImage(120, 90, [{ cx: 60, cy: 45, r: 10 }], 'png');
    const request = fromJson(requestType, { top_k: 2, image: image.toString('base64') });
    const bytes = Buffer.from(toBinary(requestType, request));

    const Generic = makeGenericClientConstructor(
      {
        Predict: {
          path: '/luab.v1.Inference/Predict',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'Inference',
    );
    const client = new Generic(t.address, credentials.createInsecure());
    try {
      const answer = await new Promise<Buffer>((resolve, reject) =>
        client.Predict(bytes, (error: Error | null, response: Buffer) => (error ? reject(error) : resolve(response))),
      );
      assert.equal(PredictResponse.decode(answer).classes.length, 2);
    } finally {
      client.close();
    }
  });
});
