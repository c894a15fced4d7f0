/** The thread budget: decoders and every loaded session share the cores; UV_THREADPOOL_SIZE follows the decoders. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  decodeConcurrencyFor,
  decodeSettingFromArgv,
  intraOpThreadsFor,
  uvThreadpoolSizeFor,
} from '../server/runtime/thread-budget.js';
import { runLuab } from './helpers/luab-cli.js';
import { FIXTURES } from './helpers/paths.js';
import { startServeProcess } from './helpers/serve-process.js';

describe('thread budget', () => {
  it('decodes one image per core, counts decoding for at most half the cores and divides the rest over all sessions', () => {
    assert.equal(decodeConcurrencyFor(0, 16), 16);
    assert.equal(decodeConcurrencyFor(0, 2), 2, 'one decode slot on 2 cores stalled behind the main thread');
    assert.equal(decodeConcurrencyFor(0, 1), 1);
    assert.equal(intraOpThreadsFor(1, 16, 16), 8, 'the default 16 decode slots count for 8 of 16 cores');
    assert.equal(intraOpThreadsFor(1, 2, 2), 1);
    assert.equal(decodeConcurrencyFor(12, 16), 12, 'an explicit setting wins');
    assert.equal(intraOpThreadsFor(1, 8, 16), 8);
    assert.equal(intraOpThreadsFor(4, 8, 16), 2, 'four sessions (e.g. two versions x two workers) share 8 cores');
    assert.equal(intraOpThreadsFor(3, 8, 16), 2);
    assert.equal(intraOpThreadsFor(20, 8, 16), 1, 'never below one thread');
    // The cores counted for decoding + sessions x intra-op threads = the cores, when they divide evenly.
    assert.equal(16 / 2 + 4 * intraOpThreadsFor(4, decodeConcurrencyFor(0, 16), 16), 16);
  });

  it('gives inference-bound models (every model.onnx >= 16 MB) all the cores, the decoders’ included', () => {
    assert.equal(intraOpThreadsFor(1, 1, 2, true), 2, 'ResNet-18 on 2 cores: 2 intra-op threads, not 1');
    assert.equal(intraOpThreadsFor(1, 1, 2, false), 1);
    assert.equal(intraOpThreadsFor(4, 8, 16, true), 4);
    assert.equal(intraOpThreadsFor(40, 8, 16, true), 1, 'never below one thread');
  });

  it('sizes libuv’s pool for the decoders, never below its default of 4', () => {
    assert.equal(uvThreadpoolSizeFor(1), 4);
    assert.equal(uvThreadpoolSizeFor(12), 12);
  });

  it('reads the decode setting from the serve command line, flag over environment', () => {
    assert.equal(decodeSettingFromArgv(['node', 'luab', 'serve'], {}), 0);
    assert.equal(decodeSettingFromArgv(['serve'], { LUAB_PREPROCESS_CONCURRENCY: '6' }), 6);
    assert.equal(
      decodeSettingFromArgv(['serve', '--preprocess-concurrency', '9'], { LUAB_PREPROCESS_CONCURRENCY: '6' }),
      9,
    );
    assert.equal(decodeSettingFromArgv(['serve', '--preprocess-concurrency=7'], {}), 7);
  });

  it('luab serve --help shows the resolved numbers', async () => {
    const help = await runLuab(['serve', '--help'], { LUAB_PREPROCESS_CONCURRENCY: '9' });
    assert.equal(help.code, 0, help.stderr);
    assert.match(
      help.stdout,
      /Thread budget on this machine \(\d+ cores\): 9 image decodes at once \(UV_THREADPOOL_SIZE 9\)/,
    );
    // The default admission bound follows the decode slots: 9 + 2 x 1 worker x 32 (the default max batch size).
    assert.match(help.stdout, /Admission by default \(--max-admitted-per-model 0\): 73 requests per model/);
  });

  it('luab serve sets UV_THREADPOOL_SIZE from the decode concurrency before libuv starts', async () => {
    const p = await startServeProcess(['--models', join(FIXTURES, 'models', 'good'), '--preprocess-concurrency', '9']);
    try {
      const budget = await p.waitForLog((l) => l.msg === 'thread budget');
      assert.equal(budget.uvThreadpoolSize, '9');
      assert.equal(budget.decodeConcurrency, 9);
      assert.equal(budget.sessions, 4, 'centroid v1 and v3, centroid-multi, centroid-squash');
    } finally {
      p.client.close();
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });
});
