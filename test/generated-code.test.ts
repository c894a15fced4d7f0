/** The committed ts-proto output is what `npm run generate` makes from proto/ today (it is never hand-edited). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/paths.js';

describe('generated code', () => {
  it('proto/generated matches proto/', function () {
    this.timeout(120_000);
    const out = mkdtempSync(join(tmpdir(), 'luab-gen-'));
    try {
      const template = readFileSync(join(REPO_ROOT, 'buf.gen.yaml'), 'utf8').replace(
        'out: proto/generated',
        `out: ${out}`,
      );
      writeFileSync(join(out, 'buf.gen.yaml'), template);
      execFileSync(
        join(REPO_ROOT, 'node_modules', '.bin', 'buf'),
        ['generate', '--template', join(out, 'buf.gen.yaml')],
        {
          cwd: REPO_ROOT,
          stdio: 'pipe',
        },
      );
      const files = [
        join('luab', 'v1', 'inference.ts'),
        join('luab', 'v1', 'evaluation.ts'),
        join('inference', 'grpc_service.ts'),
        join('inference', 'model_config.ts'),
      ];
      for (const file of files) {
        assert.equal(
          readFileSync(join(out, file), 'utf8'),
          readFileSync(join(REPO_ROOT, 'proto', 'generated', file), 'utf8'),
          `${file}: run \`npm run generate\` and commit the result`,
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
