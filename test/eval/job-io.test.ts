/**
 * The job engine's I/O parts on their own: the reader threads (bytes in order, a file's error its own), the
 * batched read-ahead (bounded, in order, a failed read settled), and predictions.jsonl's writer (an append resolves
 * only once its line is in the file, lines coalesce into few writes, close() writes what waits).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReaderPool } from '../../eval/job/file-reader-pool.js';
import { COALESCE_MS, PredictionsWriter, readPredictions } from '../../eval/job/predictions-file.js';
import { readAhead, type ReadResult } from '../../eval/job/read-ahead.js';
import type { PredictionLine } from '../../eval/types.js';

const line = (path: string): PredictionLine => ({
  suite: 's',
  variant: 'v',
  path,
  targetWnids: ['n00000001'],
  model: 'm',
  version: 1,
  top5: [{ index: 0, score: 1 }],
  imageWidth: 1,
  imageHeight: 1,
  resized: false,
  score: { predictedWnid: 'n00000001', correct: true },
  latencyMs: 1,
});

describe('eval job I/O', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'luab-job-io-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('FileReaderPool', () => {
    it('returns each file in the order asked, and a missing or dangling file as its own error', async () => {
      const pool = new FileReaderPool(2);
      try {
        const names = Array.from({ length: 40 }, (_, i) => `f${i}.bin`);
        names.forEach((n, i) => writeFileSync(join(dir, n), Buffer.alloc(i * 97 + 1, i)));
        symlinkSync(join(dir, 'gone.jpg'), join(dir, 'dangling.jpg'));
        const paths = [...names.map((n) => join(dir, n)), join(dir, 'missing.jpg'), join(dir, 'dangling.jpg')];
        const [first, second] = await Promise.all([pool.read(paths.slice(0, 20)), pool.read(paths.slice(20))]);
        const results = [...first, ...second];
        names.forEach((_, i) => {
          const r = results[i];
          assert.ok(r.ok, `file ${i}`);
          assert.deepEqual(r.value, Buffer.alloc(i * 97 + 1, i));
        });
        for (const r of results.slice(names.length)) {
          assert.equal(r.ok, false);
          assert.match((r as { error: Error }).error.message, /ENOENT/);
        }
      } finally {
        await pool.close();
      }
    });

    it('refuses reads once closed', async () => {
      const pool = new FileReaderPool(1);
      await pool.close();
      await assert.rejects(pool.read([join(dir, 'x')]), /closed/);
    });
  });

  describe('readAhead', () => {
    it('yields every item in order, starts at most depth + batch reads beyond those taken, settles failures', async () => {
      let started = 0;
      let taken = 0;
      let maxAhead = 0;
      async function* source() {
        for (let i = 0; i < 100; i++) yield i;
      }
      const read = (items: number[]) =>
        items.map((i) => {
          started += 1;
          maxAhead = Math.max(maxAhead, started - taken);
          return i % 7 === 3
            ? Promise.reject(new Error(`bad ${i}`))
            : Promise.resolve<ReadResult<number>>({ ok: true, value: i * 2 });
        });
      const seen: [number, ReadResult<number>][] = [];
      for await (const { value, result } of readAhead(source(), read, 10, 4)) {
        taken += 1;
        seen.push([value, await result]);
      }
      assert.deepEqual(
        seen.map(([v]) => v),
        Array.from({ length: 100 }, (_, i) => i),
      );
      for (const [v, r] of seen) {
        if (v % 7 === 3) assert.deepEqual(r.ok ? 'ok' : r.error.message, `bad ${v}`);
        else assert.deepEqual(r, { ok: true, value: v * 2 });
      }
      assert.ok(maxAhead <= 10 + 4 + 1, `${maxAhead} reads ahead`);
    });
  });

  describe('PredictionsWriter', () => {
    it('an append resolves only once its line is in the file; lines that finish together share a write', async () => {
      const path = join(dir, 'predictions.jsonl');
      const writer = await PredictionsWriter.open(path, { maxLines: 1000 });
      try {
        const started = performance.now();
        const appends = Array.from({ length: 50 }, (_, i) => writer.append(line(`p${i}`)));
        // Nothing is written before the coalescing window ends (nothing counts as done yet)...
        assert.equal(readFileSync(path, 'utf8'), '');
        await appends[0];
        assert.ok(performance.now() - started >= COALESCE_MS - 2, 'the first line waited for the others');
        // ...and once the first append resolved, all 50 are in the file (one batch), each a whole line.
        const text = readFileSync(path, 'utf8');
        assert.equal(text.split('\n').filter(Boolean).length, 50);
        await Promise.all(appends);
      } finally {
        await writer.close();
      }
      const back: string[] = [];
      assert.deepEqual(await readPredictions(path, (l) => back.push(l.path)), { lines: 50, tornBytes: 0 });
      assert.deepEqual(
        back,
        Array.from({ length: 50 }, (_, i) => `p${i}`),
      );
    });

    it('writes at once when maxLines wait, and close() writes what is still waiting', async () => {
      const path = join(dir, 'predictions.jsonl');
      // A window no test waits out: the first four lines must go out because four wait.
      const writer = await PredictionsWriter.open(path, { maxLines: 4, coalesceMs: 3_600_000 });
      const full = Array.from({ length: 4 }, (_, i) => writer.append(line(`a${i}`)));
      await Promise.all(full);
      const waiting = writer.append(line('last'));
      assert.equal(writer.pending, 1);
      await writer.close();
      await waiting;
      assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 5);
    });
  });
});
