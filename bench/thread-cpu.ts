/**
 * CPU time of a process split by thread, from /proc/<pid>/task/<tid>/stat (Linux): the Node main thread (the
 * event loop that parses, admits and rejects every call) against all the others (libuv's pool decoding images,
 * the onnxruntime worker threads, V8's helpers). Tells whether an overloaded server is bounded by its event loop or
 * by the cores as a whole. Throws where /proc is missing: the figure is then unavailable, never zero.
 */
import { statFileCpuMs } from './serving/cpu-time.js';

export type ThreadKind = 'main' | 'others';

/**
 * CPU ms of process `pid`: its main thread (the thread whose id is the process id) and all its other threads
 * together (the process total, which keeps the time of threads that have exited, less the main thread's). Node
 * names all its threads "node", so the others cannot be told apart by name.
 */
export function threadCpuMs(pid: number): Record<ThreadKind, number> {
  const main = statFileCpuMs(`/proc/${pid}/task/${pid}/stat`);
  return { main, others: statFileCpuMs(`/proc/${pid}/stat`) - main };
}

/** Per-kind difference `after - before`, as percent of one core over `seconds`. */
export function coreShare(
  before: Record<ThreadKind, number>,
  after: Record<ThreadKind, number>,
  seconds: number,
): string {
  return (Object.keys(before) as ThreadKind[])
    .map((k) => `${k} ${((after[k] - before[k]) / (seconds * 10)).toFixed(0)}%`)
    .join(', ');
}
