/**
 * CPU time of the benchmark's own process and of the server child, all threads included (gRPC, libvips,
 * onnxruntime). On 2 cores a pipeline has 2 CPU-seconds per second to spend: CPU milliseconds per request on
 * each side tell what bounds throughput better than wall time does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock tick (USER_HZ) that /proc/<pid>/stat counts in; `getconf` is the portable way to ask. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`getconf CLK_TCK gave "${text}"`);
    ticksPerSecond = value;
  }
  return ticksPerSecond;
}

/** This process's user + system CPU time, ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Another process's user + system CPU time, ms, from /proc/<pid>/stat (Linux). Throws elsewhere: the caller
 * reports the figure as unavailable rather than as zero.
 */
export function processCpuMs(pid: number): number {
  return statFileCpuMs(`/proc/${pid}/stat`);
}

/** user + system CPU time, ms, of one /proc stat file: a process's (/proc/<pid>/stat) or a thread's (.../task/<tid>/stat). */
export function statFileCpuMs(file: string): number {
  const stat = readFileSync(file, 'utf8');
  // Field 2 (comm) is in parentheses and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, i.e. 11 and 12 after comm and state.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`${file}: unexpected format`);
  return ((utime + stime) * 1000) / clockTicks();
}

/**
 * CPU time the whole machine spent busy (all processes, all cores), ms, from /proc/stat. Minus the benchmark's
 * own processes, it is what other jobs took while a run was measured: the figure that says whether the run can
 * be trusted on a shared machine.
 */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / clockTicks();
}

/**
 * CPU time of this process's children that have exited and been reaped (cutime + cstime of /proc/self/stat), ms:
 * the way to charge a short-lived child such as ghz, whose own /proc entry is gone by the time it has finished.
 */
export function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // cutime and cstime are fields 16 and 17 of the line, i.e. 13 and 14 after comm and state.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks();
}
