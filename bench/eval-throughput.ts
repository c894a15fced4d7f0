/**
 * Evaluation throughput (issue 9, item 7): `luab eval` against a real `luab serve` vs. a plain closed-loop client
 * (LuabClient, the same number of requests in flight, the same JPEGs already in memory, the same request: all
 * class scores, the suite's resize policy). The ratio says what the job engine costs on top of the server: file
 * reads, scoring, the line written per image. Runs alternate (client, eval, client, eval, ...) after a warm-up
 * pass so that a busy machine slows both alike; each run's rate and the ratio of the means are printed, with each
 * side's CPU per image (the client's process over its pass, the whole `luab eval` process), which a noisy shared
 * machine disturbs much less than the rates.
 *
 *   npm run build && node dist/bench/eval-throughput.js [--data ROOT] [--suite NAME] [--suite-module FILE]
 *       [--concurrency N] [--repeat R] [--copies C] [--models DIR]
 *
 * Without --data it makes `luab synth --small` in a temporary folder and --copies copies of its suites. The
 * default suite is the tests' wnid-folder reader (every image under a wnid folder: ~600 JPEGs at 64 px per copy);
 * name a registered suite (and its --suite-module, or '') to measure another.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { LuabClient } from '../client/luab-client.js';
import { loadSuiteModules } from '../eval/job/suite-modules.js';
import { discoverSuites } from '../eval/suites/discover.js';
import { getSuite } from '../eval/suites/registry.js';
import type { RunReport } from '../eval/types.js';
import { packageRoot } from '../server/util/package-root.js';
import { startServerProcess } from './serving/server-process.js';

const LUAB = join(packageRoot(), 'bin', 'luab.js');

interface Options {
  data?: string;
  suite: string;
  suiteModule: string;
  concurrency: number;
  repeat: number;
  models: string;
  copies: number;
}

/**
 * Every image once, `concurrency` requests in flight: images per second over the pass, and this process's CPU
 * (user + system) per image over it, in ms.
 */
async function closedLoop(images: Buffer[], send: (image: Buffer) => Promise<unknown>, concurrency: number) {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < images.length) await send(images[next++]);
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    rate: images.length / ((performance.now() - started) / 1000),
    cpuMsPerImage: (used.user + used.system) / 1000 / images.length,
  };
}

/**
 * CPU seconds (user + system) of this process's children that have been waited for (Linux: /proc/self/stat's
 * cutime + cstime): its delta across a synchronous child run is that child's whole CPU, start-up included.
 */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // Fields 16 and 17 of stat(5) are cutime and cstime; after "pid (comm) " the first field here is field 3.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}
/** sysconf(_SC_CLK_TCK): 100 on Linux on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

async function main(options: Options): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'luab-eval-bench-'));
  try {
    const data = options.data ?? join(scratch, 'data');
    if (!options.data) {
      // synth --small has ~600 images: copies of its suites make a run long enough that the eval process's
      // start-up (connection, JIT) is a small part of it, as it is in a real evaluation.
      const synth = join(scratch, 'synth');
      execFileSync(process.execPath, [LUAB, 'synth', '--small', '--out', synth, '--quiet']);
      for (let i = 0; i < options.copies; i++)
        cpSync(join(synth, 'suites'), join(data, 'suites', `copy${i}`), { recursive: true });
    }
    if (options.suiteModule) await loadSuiteModules([options.suiteModule]);
    const suite = getSuite(options.suite);
    const found = discoverSuites(data, [options.suite]).found[0];
    if (!found) throw new Error(`suite ${options.suite}: not found under ${data}`);
    const images: Buffer[] = [];
    for await (const item of suite.read(found.root)) images.push(await readFile(item.absPath));

    const server = await startServerProcess({
      args: ['--models', options.models, '--log-level', 'info'],
      label: 'eval bench',
    });
    const client = new LuabClient(server.address);
    try {
      const model = await client.getModel();
      const send = (image: Buffer) =>
        client.predict({ image, model: model.name, topK: model.labels.length, resizePolicy: suite.resize });
      await closedLoop(images, send, options.concurrency); // warm-up
      const rows: { client: number; eval: number; clientCpu: number; evalCpu: number }[] = [];
      for (let r = 0; r < options.repeat; r++) {
        const { rate: clientRate, cpuMsPerImage: clientCpu } = await closedLoop(images, send, options.concurrency);
        const out = join(scratch, `run-${r}`);
        const childCpu = childrenCpuSeconds();
        execFileSync(process.execPath, [
          LUAB,
          'eval',
          '--endpoint',
          server.address,
          '--data',
          data,
          '--suites',
          options.suite,
          '--out',
          out,
          '--concurrency',
          String(options.concurrency),
          '--quiet',
          ...(options.suiteModule ? ['--suite-module', options.suiteModule] : []),
        ]);
        const evalCpu = ((childrenCpuSeconds() - childCpu) * 1000) / images.length;
        const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
        rows.push({ client: clientRate, eval: report.job.imagesPerSecond, clientCpu, evalCpu });
        console.error(
          `run ${r + 1}: client ${clientRate.toFixed(1)} img/s, luab eval ${report.job.imagesPerSecond.toFixed(1)} img/s`,
        );
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const clientMean = mean(rows.map((r) => r.client));
      const evalMean = mean(rows.map((r) => r.eval));
      console.log(
        `model ${model.name}, suite ${options.suite}: ${images.length} JPEGs, ${options.concurrency} in flight, ${options.repeat} runs`,
      );
      // CPU per image: the client's over its pass; the eval process's over its whole life (start-up, the census,
      // the report included), so an upper bound on what it takes per image from the server's cores.
      console.log(
        '| run | closed-loop client (img/s) | luab eval (img/s) | ratio | client CPU (ms/img) | luab eval process CPU (ms/img) |',
      );
      console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
      rows.forEach((r, i) =>
        console.log(
          `| ${i + 1} | ${r.client.toFixed(1)} | ${r.eval.toFixed(1)} | ${(r.eval / r.client).toFixed(3)} | ` +
            `${r.clientCpu.toFixed(2)} | ${r.evalCpu.toFixed(2)} |`,
        ),
      );
      console.log(
        `| mean | ${clientMean.toFixed(1)} | ${evalMean.toFixed(1)} | **${(evalMean / clientMean).toFixed(3)}** | ` +
          `${mean(rows.map((r) => r.clientCpu)).toFixed(2)} | ${mean(rows.map((r) => r.evalCpu)).toFixed(2)} |`,
      );
    } finally {
      client.close();
      await server.stop();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const program = new Command('eval-throughput')
  .addOption(new Option('--data <root>', 'suites folder (default: luab synth --small in a temporary folder)'))
  .addOption(new Option('--suite <name>', 'registered suite to run').default('fixture-wnid-tree'))
  .addOption(
    new Option('--suite-module <file>', "module registering the suite ('' for none)").default(
      join(packageRoot(), 'dist', 'test', 'helpers', 'eval-fixture-suite.js'),
    ),
  )
  .addOption(new Option('--concurrency <n>', 'requests in flight').argParser(Number).default(8))
  .addOption(new Option('--repeat <n>', 'measured runs of each').argParser(Number).default(3))
  .addOption(
    new Option('--copies <n>', 'copies of synth --small suites (without --data)').argParser(Number).default(10),
  )
  .addOption(new Option('--models <dir>', 'model repository').default(join(packageRoot(), 'models')))
  .action(main);
await program.parseAsync(process.argv);
