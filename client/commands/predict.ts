/**
 * `luab predict IMAGE...`: sends images (files, or folders searched for images) to a server and prints their
 * classes and object point; `--draw` writes each image with the point and label drawn on it. Several images go
 * out concurrently with a progress bar. Exit code 1 when any image failed (each failure is reported).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import pLimit from 'p-limit';
import { drawPrediction } from '../draw.js';
import { LuabClient, LuabError, type PredictResponse } from '../luab-client.js';
import {
  addressOption,
  clientSecurity,
  parseInteger,
  parsePositiveNumber,
  withSecurityOptions,
  type SecurityFlags,
} from '../cli/options.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic']);

interface PredictOptions extends SecurityFlags {
  address: string;
  model: string;
  modelVersion: number;
  topK: number;
  json?: boolean;
  draw?: string;
  wait?: number;
  timeout: number;
  concurrency: number;
}

/** Files as given; folders are searched recursively for image files (sorted, so runs are reproducible). */
export function expandImagePaths(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) files.push(child);
    }
  };
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      files.push(path); // reported as unreadable when it is read, with the others still processed
      continue;
    }
    if (isDirectory) walk(path);
    else files.push(path);
  }
  return files;
}

function formatResponse(file: string, r: PredictResponse): string {
  const lines = [
    `${file}  ${r.image?.width}x${r.image?.height} ${r.image?.format}  ${r.model} v${r.version}  ${r.timings?.totalMs.toFixed(1)} ms`,
  ];
  const width = Math.max(...r.classes.map((c) => c.label.length));
  r.classes.forEach((c, i) => lines.push(`  ${i + 1}. ${c.label.padEnd(width)}  ${c.score.toFixed(4)}`));
  if (r.point) {
    const p = r.point;
    lines.push(`  point  x=${p.x.toFixed(4)} y=${p.y.toFixed(4)}  (${p.xPx.toFixed(1)}, ${p.yPx.toFixed(1)} px)`);
  }
  for (const cp of r.classPoints) {
    const p = cp.point!;
    lines.push(
      `  ${cp.label.padEnd(width)} point  x=${p.x.toFixed(4)} y=${p.y.toFixed(4)}  (${p.xPx.toFixed(1)}, ${p.yPx.toFixed(1)} px)`,
    );
  }
  return lines.join('\n');
}

function drawTarget(draw: string, file: string, many: boolean, index: number): string {
  if (!many) return draw;
  const name = `${String(index).padStart(4, '0')}-${basename(file, extname(file))}.png`;
  return join(draw, name);
}

export function createPredictCommand(): Command {
  return withSecurityOptions(new Command('predict'))
    .description('classify images and locate their object with a LUAB model')
    .argument('<image...>', 'image files (JPEG, PNG, WebP, GIF, TIFF, AVIF) or folders of them')
    .addOption(addressOption())
    .addOption(new Option('--model <name>', 'model name').default('', "the server's default model"))
    .addOption(new Option('--model-version <n>', 'model version').argParser(parseInteger(0)).default(0, 'the latest'))
    .addOption(
      new Option('--top-k <k>', 'classes to return')
        .argParser(parseInteger(1, 100000))
        .default(0, '5, or all if fewer'),
    )
    .option('--json', 'one JSON object per image (JSON Lines) on stdout')
    .option('--draw <path>', 'write the image with point and label drawn (PNG); with several images, a folder')
    .option('--wait <seconds>', 'wait this long for the server to come up', parsePositiveNumber)
    .option('--timeout <seconds>', 'per-image deadline', parsePositiveNumber, 60)
    .option('--concurrency <n>', 'images in flight at once', parseInteger(1, 1024), 8)
    .action(async (images: string[], options: PredictOptions) => {
      let security: ReturnType<typeof clientSecurity>;
      try {
        security = clientSecurity(options);
      } catch (error) {
        console.error(`luab predict: ${(error as Error).message}`);
        process.exit(2);
      }
      const files = expandImagePaths(images);
      if (files.length === 0) {
        console.error('luab predict: no image files found in the given paths');
        process.exit(2);
      }
      const many = files.length > 1;
      if (options.draw && many) mkdirSync(options.draw, { recursive: true });
      const client = new LuabClient(options.address, security);
      if (options.wait !== undefined) {
        try {
          await client.waitForReady(options.wait * 1000);
        } catch {
          console.error(`luab predict: no server answered at ${options.address} within ${options.wait} s`);
          client.close();
          process.exit(1);
        }
      }
      // MultiBar rather than SingleBar: its log() prints results above the bar without tearing it.
      const progress =
        many && process.stderr.isTTY
          ? new cliProgress.MultiBar(
              {
                format: 'predict [{bar}] {value}/{total} images | {eta_formatted} left | {failed} failed',
                stream: process.stderr,
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
      const bar = progress?.create(files.length, 0, { failed: 0 });
      let failed = 0;
      const limit = pLimit(options.concurrency);
      const report = (line: string, isError: boolean) => {
        if (progress && (isError || process.stdout.isTTY)) progress.log(`${line}\n`);
        else if (isError) console.error(line);
        else console.log(line);
      };
      await Promise.all(
        files.map((file, index) =>
          limit(async () => {
            try {
              const image = await readFile(file);
              const response = await client.predict(
                { image, model: options.model, version: options.modelVersion, topK: options.topK },
                { timeoutMs: options.timeout * 1000, waitForReady: options.wait !== undefined },
              );
              if (options.json) {
                report(JSON.stringify({ file, ...response }), false);
              } else {
                report(formatResponse(file, response), false);
              }
              if (options.draw) await drawPrediction(image, response, drawTarget(options.draw, file, many, index));
            } catch (error) {
              failed += 1;
              const message = error instanceof LuabError ? error.message : (error as Error).message;
              report(`luab predict: ${file}: ${message}`, true);
            } finally {
              bar?.increment(1, { failed });
            }
          }),
        ),
      );
      progress?.stop();
      client.close();
      if (failed > 0) {
        console.error(`luab predict: ${failed} of ${files.length} images failed`);
        process.exitCode = 1;
      }
    });
}
