// Reading one process's CPU time and memory from Linux's /proc, children included.
//
// proc.ts counts a server's own threads (utime+stime); an agent's collectors also spend
// CPU in the commands they start (dpkg-query, apt, ss...), which the kernel adds to the
// parent's cutime+cstime once the parent has waited for them (Node waits for every child
// it spawns before the 'exit' event). So the agent's whole cost is the four together.
//
// The parsers are pure (text in, numbers out) and unit-tested on real captures in
// test/e2e/bench-procfs.test.ts; the readers are one readFileSync each.
import { readFileSync } from 'node:fs';
import { ticksPerSecond } from './proc.js';

/** The fields of /proc/<pid>/stat the benchmarks use; times in clock ticks (USER_HZ). */
export interface ProcStat {
  pid: number;
  /** the command name, without its parentheses; may contain spaces and ')' */
  comm: string;
  state: string;
  /** this process's threads, user and kernel mode */
  utime: number;
  stime: number;
  /** children this process has waited for (and what those waited for) */
  cutime: number;
  cstime: number;
  threads: number;
  /** when the process started, in ticks after boot */
  starttime: number;
}

/** Parses /proc/<pid>/stat (proc(5)); throws on text that is not one. */
export function parseStat(text: string): ProcStat {
  // comm (field 2) is in parentheses and may itself contain spaces and ')': the fields
  // after it start after the LAST ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open)
    throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): field n is rest[n - 3].
  const field = (n: number): number => {
    const value = Number(rest[n - 3]);
    if (rest[n - 3] === undefined || !Number.isFinite(value)) {
      throw new Error(`/proc/<pid>/stat field ${n} missing or not a number`);
    }
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '',
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    threads: field(20),
    starttime: field(22),
  };
}

/** CPU seconds of the process and of the children it has waited for. */
export function statCpuSeconds(stat: ProcStat, ticks: number): { self: number; children: number } {
  return {
    self: (stat.utime + stat.stime) / ticks,
    children: (stat.cutime + stat.cstime) / ticks,
  };
}

/** The memory lines of /proc/<pid>/status the benchmarks use, in KiB (the kernel's "kB"). */
export interface ProcStatus {
  /** resident now */
  rssKiB: number;
  /** the peak resident size since the process started ("high water mark") */
  hwmKiB: number;
}

export function parseStatus(text: string): ProcStatus {
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!match) throw new Error(`/proc/<pid>/status has no ${name} line (a kernel thread?)`);
    return Number(match[1]);
  };
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

/** /proc/<pid>/stat now; `self` for this process. Throws once the process is gone. */
export function readStat(pid: number | 'self'): ProcStat {
  return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function readStatus(pid: number | 'self'): ProcStatus {
  return parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** Everything `pid` and its waited-for children have used so far, in CPU seconds. */
export function totalCpuSeconds(pid: number | 'self'): number {
  const { self, children } = statCpuSeconds(readStat(pid), ticksPerSecond());
  return self + children;
}

export const KIB_PER_MIB = 1024;
