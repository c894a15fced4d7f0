/**
 * The side-by-side benchmark's own logic (bench/side-by-side/), without any peer installed: reading ghz's JSON
 * report, the ghz command line, CPU accounting over a /proc process tree, the pairing of ratios within a repeat,
 * the targets and the table; the request bodies each system gets; and the Python peers' crop geometry against
 * the contract's golden cases (the peers must cut the same pixels as the server).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ModelInferRequest } from '../proto/generated/inference/grpc_service.js';
import { PredictRequest } from '../proto/generated/luab/v1/inference.js';
import { ghzArgs, parseGhzReport, type GhzTarget } from '../bench/side-by-side/ghz-report.js';
import { parseProcStat, treeTicks } from '../bench/side-by-side/process-tree-cpu.js';
import {
  evaluateTargets,
  formatTargets,
  markdownTable,
  pairedRatio,
  ratioTable,
  rotated,
  summarise,
  type Cell,
  type SystemName,
} from '../bench/side-by-side/results.js';
import { requestBody, templateSafe } from '../bench/side-by-side/systems.js';
import { FIXTURES, REPO_ROOT } from './helpers/paths.js';

const ghzJson = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    count: 400,
    total: 2_000_000_000,
    rps: 200,
    latencyDistribution: [
      { percentage: 50, latency: 4_500_000 },
      { percentage: 99, latency: 12_250_000 },
    ],
    statusCodeDistribution: { OK: 400 },
    errorDistribution: {},
    ...over,
  });

describe('side-by-side benchmark: ghz report', () => {
  it('reads count, seconds, rate and p50/p99 in ms from the nanosecond fields', () => {
    assert.deepEqual(parseGhzReport(ghzJson()), {
      requests: 400,
      seconds: 2,
      throughput: 200,
      p50Ms: 4.5,
      p99Ms: 12.25,
    });
  });

  it('fails on any failed call, naming the code and the error', () => {
    const text = ghzJson({
      statusCodeDistribution: { OK: 390, Unavailable: 10 },
      errorDistribution: { 'rpc error: code = Unavailable desc = overloaded': 10 },
    });
    assert.throws(() => parseGhzReport(text), /Unavailable: 10.*10x rpc error: code = Unavailable desc = overloaded/);
  });

  it('fails when nothing was answered, when a percentile is missing, on output that is not JSON', () => {
    assert.throws(() => parseGhzReport(ghzJson({ count: 0, statusCodeDistribution: {} })), /no call was answered/);
    assert.throws(() => parseGhzReport(ghzJson({ latencyDistribution: null })), /no p50 latency/);
    assert.throws(() => parseGhzReport('panic: template: ...'), /not JSON.*panic/);
  });

  it('bounds a run by time (waiting for calls in flight) or by count, never both (ghz ignores -n with -z)', () => {
    const target: GhzTarget = {
      address: '127.0.0.1:1',
      call: 'a.B/C',
      schema: { protoset: '/x.protoset' },
      binaryFile: '/r.bin',
    };
    const timed = ghzArgs(target, { concurrency: 8, seconds: 4, timeoutS: 60 });
    assert.deepEqual(timed.slice(timed.indexOf('--duration'), timed.indexOf('--duration') + 4), [
      '--duration',
      '4s',
      '--duration-stop',
      'wait',
    ]);
    assert.ok(!timed.includes('--total'));
    const counted = ghzArgs(target, { concurrency: 1, requests: 1, timeoutS: 60 });
    assert.ok(counted.includes('--total') && !counted.includes('--duration'));
    const proto = ghzArgs({ ...target, schema: { proto: 'p.proto', importPaths: ['/a', '/b'] } }, timed as never);
    assert.deepEqual(proto.slice(1, 7), ['--import-paths', '/a', '--import-paths', '/b', '--proto', 'p.proto']);
  });
});

/** A /proc/<pid>/stat line with the given name, parent and CPU fields (utime, stime, cutime, cstime). */
const statLine = (pid: number, name: string, ppid: number, [u, s, cu, cs]: number[]) =>
  `${pid} (${name}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${u} ${s} ${cu} ${cs} 20 0 4 0 12345 1000000 200`;

describe('side-by-side benchmark: CPU of a process tree', () => {
  it('reads utime + stime + cutime + cstime and the parent, whatever the command name holds', () => {
    assert.deepEqual(parseProcStat(statLine(42, 'java (main) x', 7, [100, 20, 3, 4])), {
      pid: 42,
      ppid: 7,
      ticks: 127,
    });
    assert.throws(() => parseProcStat('garbage'), /not understood/);
  });

  it('sums the root and all its descendants, nothing else', () => {
    const stats = [
      statLine(10, 'torchserve', 1, [5, 5, 0, 0]),
      statLine(11, 'java', 10, [100, 10, 0, 0]),
      statLine(12, 'python3', 11, [300, 30, 0, 0]),
      statLine(13, 'python3', 11, [200, 20, 0, 0]),
      statLine(20, 'ghz', 1, [999, 0, 0, 0]),
      statLine(21, 'child of ghz', 20, [999, 0, 0, 0]),
    ].map(parseProcStat);
    assert.equal(treeTicks(stats, 10), 10 + 110 + 330 + 220);
    assert.equal(treeTicks(stats, 12), 330);
    assert.equal(treeTicks(stats, 99), 0);
  });
});

const cell = (
  repeat: number,
  model: string,
  system: SystemName,
  concurrency: number,
  throughput: number,
  p50Ms = 10,
  p99Ms = 20,
): Cell => ({
  repeat,
  model,
  system,
  concurrency,
  requests: throughput * 4,
  seconds: 4,
  throughput,
  p50Ms,
  p99Ms,
  serverCpuMsPerImage: 5,
  clientCpuMsPerImage: 1,
  otherCpuShare: 0,
});

describe('side-by-side benchmark: ratios, targets, table', () => {
  it('pairs a ratio within each repeat, then takes the median (not the ratio of the medians)', () => {
    const cells = [
      cell(0, 'small-cnn-96', 'luab', 64, 300),
      cell(0, 'small-cnn-96', 'grpcio', 64, 100),
      cell(1, 'small-cnn-96', 'luab', 64, 100), // a noisy repeat: both sides slow
      cell(1, 'small-cnn-96', 'grpcio', 64, 50),
      cell(2, 'small-cnn-96', 'luab', 64, 200),
      cell(2, 'small-cnn-96', 'grpcio', 64, 160),
    ];
    const t = (system: SystemName) => ({ system, metric: 'throughput' as const });
    assert.equal(pairedRatio(cells, 'small-cnn-96', 64, t('luab'), t('grpcio')), 2); // ratios 3, 2, 1.25
    assert.equal(pairedRatio(cells, 'small-cnn-96', 64, t('luab'), t('kserve')), undefined);
    const medians = summarise(cells).find((s) => s.system === 'luab')!;
    assert.deepEqual(
      [medians.throughput, medians.throughputMin, medians.throughputMax, medians.repeats],
      [200, 100, 300, 3],
    );
  });

  it('gives each target PASS, FAIL or n/a (a system not measured)', () => {
    const cells = [
      cell(0, 'small-cnn-96', 'luab', 64, 300),
      cell(0, 'small-cnn-96', 'grpcio', 64, 200), // 1.5x: exactly the bound passes
      cell(0, 'small-cnn-96', 'kserve', 64, 150), // 2x < 2.5x
      cell(0, 'small-cnn-96', 'luab', 8, 280, 10, 31), // p99 3.1x p50
      cell(0, 'small-cnn-96', 'luab', 1, 100, 5),
      cell(0, 'small-cnn-96', 'grpcio', 1, 150, 5), // p50 equal: passes
    ];
    const outcomes = evaluateTargets(cells);
    const verdict = (start: string) => outcomes.find((o) => o.name.startsWith(start))?.pass;
    assert.equal(verdict('small c=64: images/s, this server / grpcio'), true);
    assert.equal(verdict('small c=64: images/s, this server / KServe'), false);
    assert.equal(verdict('small c=64: images/s, this server / in-process'), undefined);
    assert.equal(verdict('small-cnn-96 c=1: p50'), true);
    assert.equal(verdict("small-cnn-96 c=8: this server's p99"), false);
    assert.equal(verdict('ResNet-18 c=8: images/s, this server / torchserve'), undefined);
    const text = formatTargets(outcomes);
    assert.match(text, /- PASS small c=64: images\/s, this server \/ grpcio: 1\.50 \(target >= 1\.5\)/);
    assert.match(text, /- FAIL small c=64: images\/s, this server \/ KServe: 2\.00 \(target >= 2\.5\)/);
    assert.match(text, /- n\/a {2}ResNet-18 c=64: images\/s, this server \/ grpcio: not measured/);
  });

  it('tables one row per model and concurrency, n/a for a system without that cell', () => {
    const cells = [cell(0, 'small-cnn-96', 'luab', 1, 123.4, 4.56, 7.89), cell(0, 'small-cnn-96', 'grpcio', 8, 300)];
    const table = markdownTable(summarise(cells), ['luab', 'grpcio']).split('\n');
    assert.equal(table[0], '| model, concurrency | this server (defaults) | minimal grpcio + Pillow + ORT |');
    assert.equal(table[2], '| small CNN 96 px, c=1 | 123 · 4.56/7.89 · 5.0 | n/a |');
    assert.equal(table[3], '| small CNN 96 px, c=8 | n/a | 300 · 10.0/20.0 · 5.0 |');
    assert.equal(table.length, 4);
    const ratios = ratioTable([...cells, cell(0, 'small-cnn-96', 'luab', 8, 150)], ['luab', 'grpcio']).split('\n');
    assert.deepEqual(ratios.slice(2), ['| small CNN 96 px, c=8 | 0.50x |']); // c=1 has no pair: no row
  });

  it('rotates the systems by the repeat number', () => {
    assert.deepEqual(rotated(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
    assert.deepEqual(rotated(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
    assert.deepEqual(rotated(['a', 'b', 'c'], 4), ['b', 'c', 'a']);
  });
});

describe('side-by-side benchmark: requests and the peers recipe', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);

  it('sends the same image bytes to each API', () => {
    assert.deepEqual(PredictRequest.decode(requestBody('luab', jpeg, 'm')).input, { $case: 'image', value: jpeg });
    const v2 = ModelInferRequest.decode(requestBody('kserve', jpeg, 'm'));
    assert.equal(v2.modelName, 'm');
    assert.deepEqual(
      v2.inputs.map((i) => [i.name, i.datatype, i.shape]),
      [['image', 'BYTES', [1]]],
    );
    // A BYTES element: 4-byte little-endian length, then the bytes.
    assert.deepEqual(Buffer.from(v2.rawInputContents[0]), Buffer.concat([Buffer.from([7, 0, 0, 0]), jpeg]));
    const ts = Buffer.from(requestBody('torchserve', jpeg, 'm'));
    // model_name (field 1) = "m", then input (field 3) = map entry { key (1) = "data", value (2) = the JPEG }.
    assert.deepEqual(
      ts,
      Buffer.concat([
        Buffer.from([0x0a, 1, 0x6d, 0x1a, 15, 0x0a, 4]),
        Buffer.from('data'),
        Buffer.from([0x12, 7]),
        jpeg,
      ]),
    );
  });

  it('flags a body ghz would template ("{{" or "}}")', () => {
    assert.equal(templateSafe(Buffer.from('a{b}c')), true);
    assert.equal(templateSafe(Buffer.from('a{{b')), false);
    assert.equal(templateSafe(requestBody('grpcio', Buffer.from('x}}y'), 'm')), false);
  });

  it("the Python peers' resize and crop match the contract's golden cases", () => {
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'bench', 'peers'))})
from recipe import Recipe, geometry
bad = []
for case in json.load(open(${JSON.stringify(join(FIXTURES, 'contract', 'geometry-cases.json'))})):
    (w0, h0), (h, w) = case["image"], case["input"]
    r = Recipe(w, h, case["crop_pct"], case["crop_mode"], 0, None, None, "image", ("logits", "point"))
    want = (*case["resized"], case["crop"]["left"], case["crop"]["top"])
    if geometry(w0, h0, r) != want:
        bad.append((case, geometry(w0, h0, r)))
print(json.dumps({"cases": len(json.load(open(${JSON.stringify(join(FIXTURES, 'contract', 'geometry-cases.json'))}))), "bad": bad}))
`;
    const result = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })) as {
      cases: number;
      bad: unknown[];
    };
    assert.ok(result.cases > 10, `only ${result.cases} golden cases`);
    assert.deepEqual(result.bad, []);
  });
});
