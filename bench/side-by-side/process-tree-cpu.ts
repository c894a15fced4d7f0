/**
 * CPU time of a server and every process under it, from Linux /proc: TorchServe is a Java frontend with one
 * Python process per worker, KServe and the grpcio server are one Python process, `luab serve` one Node process
 * (its worker threads count in its own entry). A process's entry covers all its threads, plus the children it
 * has waited for (cutime, cstime), so the sum over the live tree also keeps the CPU of workers that exited.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { clockTicks } from '../serving/cpu-time.js';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

/** One /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold spaces and ')'. */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf(' (')));
  // After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17), counted from field 3.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  const stat = { pid, ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17) };
  if (close < 0 || !Number.isInteger(stat.pid) || !Number.isInteger(stat.ppid) || !Number.isFinite(stat.ticks)) {
    throw new Error(`/proc stat line not understood: ${text.slice(0, 120)}`);
  }
  return stat;
}

/** The clock ticks of `root` and all its descendants among `stats` (a snapshot of every process). */
export function treeTicks(stats: readonly ProcStat[], root: number): number {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let ticks = 0;
  const pending = stats.filter((s) => s.pid === root);
  for (let s = pending.pop(); s; s = pending.pop()) {
    ticks += s.ticks;
    pending.push(...(children.get(s.pid) ?? []));
  }
  return ticks;
}

/** Every process's stat now; processes that exit while being read are skipped. */
export function snapshotProcesses(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone between readdir and read
    }
    stats.push(parseProcStat(text));
  }
  return stats;
}

/** CPU ms of the process tree under `root`, now (all threads, waited-for children included). */
export function processTreeCpuMs(root: number): number {
  const stats = snapshotProcesses();
  if (!stats.some((s) => s.pid === root)) throw new Error(`process ${root} is gone: its CPU time cannot be read`);
  return (treeTicks(stats, root) * 1000) / clockTicks();
}
