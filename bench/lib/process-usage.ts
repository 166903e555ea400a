import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU and memory of processes on this machine, read from Linux's `/proc`: the worker, the Temporal
 * server and the benchmark itself are separate processes, so each one's share of the machine can
 * be told apart. Everything here returns undefined (or NaN) where `/proc` is missing.
 */

/** Clock ticks per second of the `utime`/`stime` fields of `/proc/<pid>/stat`. */
const CLOCK_TICKS_PER_SECOND = readClockTicks();

/** CPU and resident memory of one process at one moment. */
export interface ProcessReading {
  /** User + system CPU time since the process started, all its threads together. */
  cpuSeconds: number;
  /** Resident set size (VmRSS). */
  rssBytes: number;
}

/** Readings of named processes and of the whole machine, at one moment. */
export interface UsageSnapshot {
  /** `performance.now()` when the snapshot was taken. */
  atMs: number;
  processes: Record<string, ProcessReading | undefined>;
  /** CPU seconds spent by all cores (busy, and busy + idle) since boot, from `/proc/stat`. */
  machine: { busySeconds: number; totalSeconds: number } | undefined;
}

/** CPU time and RSS of a process; undefined when it has exited. */
export function readProcess(pid: number): ProcessReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    return { cpuSeconds: cpuTicks(stat) / CLOCK_TICKS_PER_SECOND, rssBytes: rssKiB * 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds of each thread of a process, summed by thread name (`comm`), e.g. `node`, `tokio-runtime-w`. */
export function readThreadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const thread of threads) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      byName.set(name, (byName.get(name) ?? 0) + cpuTicks(stat) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return byName;
}

/** Snapshot of the named processes and of the machine. */
export function takeSnapshot(pids: Readonly<Record<string, number | undefined>>): UsageSnapshot {
  const processes: Record<string, ProcessReading | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) processes[name] = pid === undefined ? undefined : readProcess(pid);
  return { atMs: performance.now(), processes, machine: readMachine() };
}

/** CPU of a process between two snapshots, in percent of one core (200 = two cores busy). */
export function cpuPercent(from: UsageSnapshot, to: UsageSnapshot, name: string): number {
  const before = from.processes[name];
  const after = to.processes[name];
  const seconds = (to.atMs - from.atMs) / 1000;
  if (!before || !after || seconds <= 0) return Number.NaN;
  return ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100;
}

/** Busy share of all the machine's cores between two snapshots, in percent of one core. */
export function machineCpuPercent(from: UsageSnapshot, to: UsageSnapshot): number {
  if (!from.machine || !to.machine) return Number.NaN;
  const total = to.machine.totalSeconds - from.machine.totalSeconds;
  if (total <= 0) return Number.NaN;
  const cores = total / ((to.atMs - from.atMs) / 1000);
  return ((to.machine.busySeconds - from.machine.busySeconds) / total) * cores * 100;
}

/** CPU per thread name between two readings of {@link readThreadCpu}, in percent of one core, busiest first. */
export function threadCpuPercent(
  from: ReadonlyMap<string, number>,
  to: ReadonlyMap<string, number>,
  seconds: number,
): Array<{ thread: string; cpuPercent: number }> {
  return [...to.entries()]
    .map(([thread, cpuSeconds]) => ({ thread, cpuPercent: ((cpuSeconds - (from.get(thread) ?? 0)) / seconds) * 100 }))
    .filter((entry) => entry.cpuPercent >= 0.5)
    .sort((left, right) => right.cpuPercent - left.cpuPercent);
}

/**
 * Samples the RSS of named processes at an interval and keeps each one's peak: the peak between
 * two snapshots is easily missed by reading only at their ends.
 */
export class RssPeakTracker {
  private readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: Readonly<Record<string, number | undefined>>,
    private readonly intervalMs = 200,
  ) {}

  /** Forgets the peaks so far and samples from now on. */
  start(): void {
    this.stop();
    this.peaks.clear();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling (after one last sample); the peaks stay readable. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  /** Highest RSS seen for the process since `start()`, in bytes. */
  peak(name: string): number {
    return this.peaks.get(name) ?? Number.NaN;
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const rss = readProcess(pid)?.rssBytes;
      if (rss !== undefined && !Number.isNaN(rss)) this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, rss));
    }
  }
}

/** `utime + stime` of a `/proc/.../stat` line; the command name in parentheses may hold spaces. */
function cpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  return Number(fields[11]) + Number(fields[12]);
}

function readMachine(): UsageSnapshot['machine'] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
    const busy = user + nice + system + irq + softirq + steal;
    return { busySeconds: busy / CLOCK_TICKS_PER_SECOND, totalSeconds: (busy + idle + iowait) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

function readClockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}
