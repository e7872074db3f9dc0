// What a process costs while it is under load, read from Linux's /proc (the benchmark
// runs the servers as child processes precisely so that this is theirs alone):
//   CPU: utime+stime of all its threads (libuv's pool included) over the window, as a
//        percentage of one core; 200% is both cores of a 2-core machine.
//   RSS: VmRSS sampled every 250 ms; the peak, since a short spike is what gets a
//        process OOM-killed.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

let clockTicks: number | null = null;

/** USER_HZ, the unit of utime/stime; 100 on practically every Linux. */
export function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds used so far by every thread of `pid`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11], stime fields[12].
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** Resident set size in MiB, or null when the process is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds the whole machine has spent busy so far (all cores, every process): what
 * is left after the server and the generator is other work sharing the machine.
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / ticksPerSecond();
}

export function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // not there (yet): the WAL appears with the first write
  }
}

export interface Usage {
  /** % of one core over the window */
  cpuPercent: number;
  peakRssMiB: number;
  lastRssMiB: number;
  /** the largest size `watchFile` reached during the window, in bytes */
  peakFileBytes: number;
}

/** Samples one process from start() to stop(). */
export class UsageSampler {
  private timer: NodeJS.Timeout | null = null;
  private startCpu = 0;
  private startWall = 0;
  private peakRss = 0;
  private lastRss = 0;
  private peakFile = 0;

  constructor(
    private readonly pid: number,
    private readonly watchFile: string | null = null,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.startCpu = cpuSeconds(this.pid);
    this.startWall = performance.now();
    this.peakRss = 0;
    this.peakFile = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): Usage {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const wallSeconds = (performance.now() - this.startWall) / 1000;
    return {
      cpuPercent: ((cpuSeconds(this.pid) - this.startCpu) / wallSeconds) * 100,
      peakRssMiB: this.peakRss,
      lastRssMiB: this.lastRss,
      peakFileBytes: this.peakFile,
    };
  }

  private sample(): void {
    const rss = rssMiB(this.pid);
    if (rss !== null) {
      this.lastRss = rss;
      this.peakRss = Math.max(this.peakRss, rss);
    }
    if (this.watchFile) this.peakFile = Math.max(this.peakFile, fileBytes(this.watchFile));
  }
}
