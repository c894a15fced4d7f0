/**
 * Execution providers: `auto` falls back from CUDA to the CPU with one log line, `cuda` refuses to start with a
 * message naming what is missing. This machine's onnxruntime-node has no CUDA provider (the project's .npmrc
 * skips its download); on a host where it is installed these tests check the CUDA path instead.
 */
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS } from '../server/config.js';
import { startServer } from '../server/grpc/grpc-server.js';
import { isCudaInstalled } from '../server/runtime/cuda-preflight.js';
import { pino } from 'pino';
import { GOOD_MODELS } from './helpers/paths.js';
import { startTestServer } from './helpers/test-server.js';
import { discImage } from './helpers/images.js';

describe('device selection', function () {
  const cudaInstalled = isCudaInstalled();

  it('auto: serves on the CPU when CUDA is unavailable, saying so in one log line', async function () {
    const t = await startTestServer({ modelsDir: GOOD_MODELS, device: { kind: 'auto' } });
    try {
      const fallbackLines = t.logs.filter((l) => /CUDA is not available, running on CPU/.test(l.msg));
      const devices = (await t.client.listModels()).models.flatMap((m) => m.versions.map((v) => v.device));
      if (cudaInstalled) {
        // A GPU host: either every session got CUDA, or the one fallback line explains why none did.
        assert.ok(
          devices.every((d) => d === 'cuda:0') || (fallbackLines.length === 1 && devices.every((d) => d === 'cpu')),
        );
      } else {
        assert.equal(fallbackLines.length, 1, 'exactly one fallback line for four model versions');
        assert.match(fallbackLines[0].msg, /libonnxruntime_providers_cuda\.so is missing/);
        assert.deepEqual(new Set(devices), new Set(['cpu']));
      }
      const response = await t.client.predict({ image: await discImage(80, 60, [{ cx: 40, cy: 30, r: 9 }]) });
      assert.ok(response.point);
    } finally {
      await t.close();
    }
  });

  it('cuda: fails at start with a message that says what is missing', async function () {
    const config = {
      ...DEFAULTS,
      modelsDir: GOOD_MODELS,
      host: '127.0.0.1',
      port: 0,
      httpPort: 0,
      device: { kind: 'cuda' as const, deviceId: 0 },
    };
    if (cudaInstalled) {
      const server = await startServer(config, pino({ level: 'silent' }));
      await server.close(100);
      return;
    }
    await assert.rejects(startServer(config, pino({ level: 'silent' })), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /^cuda:0: the CUDA execution provider is not installed: libonnxruntime_providers_cuda\.so is missing/,
      );
      assert.match(error.message, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
      return true;
    });
  });

  it('cpu: never tries CUDA', async () => {
    const t = await startTestServer({ modelsDir: GOOD_MODELS, device: { kind: 'cpu' } });
    try {
      assert.equal(t.logs.filter((l) => /CUDA/.test(l.msg)).length, 0);
    } finally {
      await t.close();
    }
  });
});
