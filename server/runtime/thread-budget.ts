/**
 * The thread budget: by default the image decoders and the inference sessions of every loaded model version share
 * the machine's cores instead of each taking all of them (N versions x W workers x cores intra-op threads plus
 * decoders oversubscribe the CPU, and every thread then runs slower). Half the cores (at least one) decode; the
 * rest are divided among all sessions, at least one thread each. The decoders run on libuv's thread pool (sharp
 * queues its work there), so UV_THREADPOOL_SIZE must be at least the decode concurrency: libuv's default of 4
 * would silently cap it. libuv reads the variable once, when its pool starts, so bin/luab.js sets it before
 * anything runs.
 *
 * Pure functions only (no fs, no sharp): bin/luab.js imports this before libuv's pool exists.
 */
import { availableParallelism } from 'node:os';

/** Images decoded at once: the setting, or one per core. */
export function decodeConcurrencyFor(setting: number, cores = availableParallelism()): number {
  return setting > 0 ? setting : Math.max(1, cores);
}

/** The cores decoding is counted for: the decode concurrency, but never more than half the cores. */
export function decodeCoresFor(decodeConcurrency: number, cores = availableParallelism()): number {
  return Math.min(decodeConcurrency, Math.floor(cores / 2));
}

/** libuv's pool size for that many decoders; never below libuv's own default of 4 (fs and dns use it too). */
export function uvThreadpoolSizeFor(decodeConcurrency: number): number {
  return Math.min(1024, Math.max(4, decodeConcurrency));
}

/**
 * ONNX files at least this large hold models whose inference, not the decode, bounds a request (ResNet-18: 45 MB,
 * 24 ms per image at 224 px against 3 ms of decode here; the small CNN: 4 MB, 3 ms against 2.5 ms). Measured on 2
 * cores (docs/benchmarks.md, "Where the time goes"): ResNet-18 at c=64 ran 45.6 img/s with the decoders' core
 * reserved and 74-78 with the inference threads on every core, while the small CNN lost 13% that way.
 */
export const INFERENCE_BOUND_MODEL_BYTES = 16 * 1024 * 1024;

/**
 * Intra-op threads per session when `sessions` sessions share what decoding leaves of the cores; when every
 * loaded model is inference-bound, the sessions share all the cores (the decoders are idle most of the time).
 */
export function intraOpThreadsFor(
  sessions: number,
  decodeConcurrency: number,
  cores = availableParallelism(),
  inferenceBound = false,
): number {
  const inferenceCores = inferenceBound ? cores : Math.max(1, cores - decodeCoresFor(decodeConcurrency, cores));
  return Math.max(1, Math.floor(inferenceCores / Math.max(1, sessions)));
}

/**
 * The decode concurrency a `luab serve` command line asks for (flag, then environment, else 0 = default), read
 * from raw argv so it can run before the command is parsed.
 */
export function decodeSettingFromArgv(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  let raw: string | undefined = env.LUAB_PREPROCESS_CONCURRENCY;
  argv.forEach((arg, i) => {
    if (arg === '--preprocess-concurrency') raw = argv[i + 1];
    else if (arg.startsWith('--preprocess-concurrency=')) raw = arg.slice('--preprocess-concurrency='.length);
  });
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** The budget as `luab serve --help` and the start-up log show it. */
export function describeThreadBudget(decodeSetting: number, cores = availableParallelism()): string {
  const decode = decodeConcurrencyFor(decodeSetting, cores);
  return (
    `Thread budget on this machine (${cores} cores): ${decode} image decodes at once ` +
    `(UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? uvThreadpoolSizeFor(decode)}); ` +
    `${Math.max(1, cores - decodeCoresFor(decode, cores))} inference threads shared by the sessions of all loaded versions ` +
    `(intra-op threads per session = that / sessions, at least 1; e.g. ${intraOpThreadsFor(1, decode, cores)} ` +
    `for one version with one worker, ${intraOpThreadsFor(4, decode, cores)} for four sessions); when every ` +
    `loaded model.onnx is ${INFERENCE_BOUND_MODEL_BYTES / 1024 / 1024} MB or more (inference-bound, e.g. ` +
    `ResNet-18), all ${cores} cores (${intraOpThreadsFor(1, decode, cores, true)} per session for one). ` +
    `--intra-op-threads and --preprocess-concurrency override it.`
  );
}
