// Collector `performance`: how the machine is doing.
//
// Collects: CPU utilisation over the interval, 1/5/15-minute load averages, memory used and
//   available, swap, size/used/free per filesystem, received/sent bytes per second per
//   network interface, number of processes.
// Platforms: Linux, Windows, macOS, FreeBSD. Load averages are null on Windows (it has none).
// Runs: no command of its own. CPU times and load come from Node's os module; memory,
//   filesystems, network counters and the process count from systeminformation (Linux:
//   /proc and df; Windows: WMI/PowerShell; macOS: vm_stat, df, netstat, ps), except the
//   Linux process count, which is the number of pid entries in /proc.
// Time: the interval is the time since the previous report when the agent runs as a
//   service; a one-shot collection (`collect`, `once`) samples twice, ~1 s apart. The reads
//   themselves take ~0.1 s on Linux (df is the slowest).
// Privileges: none.
//
// Rates need two readings of a counter. PerformanceSampler keeps the previous CPU times and
// network counters between calls; the arithmetic (cpuUtilisation, counterRates) is pure.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import si from 'systeminformation';
import type { PerformanceSection } from '@vcio/shared';
import type { Logger } from '../log.js';
import type { Collector } from './types.js';
import { knownBytes } from './known-values.js';

export interface CpuTimes {
  user: number;
  nice: number;
  sys: number;
  idle: number;
  irq: number;
}

/**
 * Share of all cores busy between two readings of os.cpus() times: busy time over total
 * time, summed across cores. null when the readings cannot be compared (core count changed,
 * e.g. a CPU hot-plugged in a VM, or no time passed).
 */
export function cpuUtilisation(
  before: readonly CpuTimes[],
  after: readonly CpuTimes[],
): number | null {
  if (before.length === 0 || before.length !== after.length) return null;
  let busy = 0;
  let total = 0;
  for (let i = 0; i < before.length; i++) {
    const b = before[i]!;
    const a = after[i]!;
    const deltas = [
      a.user - b.user,
      a.nice - b.nice,
      a.sys - b.sys,
      a.irq - b.irq,
      a.idle - b.idle,
    ];
    if (deltas.some((d) => d < 0)) return null; // a counter went backwards: not comparable
    const all = deltas.reduce((sum, d) => sum + d, 0);
    busy += all - (a.idle - b.idle);
    total += all;
  }
  if (total <= 0) return null;
  return Math.min(1, Math.max(0, busy / total));
}

export interface CounterReading {
  rxBytes: number;
  txBytes: number;
}

/**
 * Bytes per second for one counter: null when there is no earlier reading, when no time
 * passed, or when the counter went backwards (interface reset, driver reload, 32-bit wrap):
 * a negative or wrapped rate would be a made-up number.
 */
export function counterRate(
  before: number | undefined,
  after: number,
  elapsedSeconds: number,
): number | null {
  if (before === undefined || !Number.isFinite(before) || !Number.isFinite(after)) return null;
  if (elapsedSeconds <= 0 || after < before) return null;
  return (after - before) / elapsedSeconds;
}

export function counterRates(
  before: ReadonlyMap<string, CounterReading>,
  after: ReadonlyMap<string, CounterReading>,
  elapsedSeconds: number,
): PerformanceSection['network'] {
  const result: PerformanceSection['network'] = [];
  for (const [name, now] of after) {
    const prev = before.get(name);
    result.push({
      name: name.slice(0, 256),
      rxBytesPerSecond: counterRate(prev?.rxBytes, now.rxBytes, elapsedSeconds),
      txBytesPerSecond: counterRate(prev?.txBytes, now.txBytes, elapsedSeconds),
    });
  }
  return result.slice(0, 256);
}

export interface Sample {
  /** monotonic milliseconds */
  at: number;
  cpu: CpuTimes[];
  /** null when the network counters could not be read */
  network: Map<string, CounterReading> | null;
}

export interface SamplerDeps {
  readCpuTimes(): CpuTimes[];
  readNetworkCounters(): Promise<Map<string, CounterReading>>;
  /** monotonic clock in milliseconds */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  logger: Logger;
}

export interface Interval {
  intervalSeconds: number;
  cpuUtilisation: number | null;
  network: PerformanceSection['network'];
}

/** The contract bounds intervalSeconds to one day. */
const MAX_INTERVAL_SECONDS = 86_400;

/**
 * Keeps the previous reading so each call measures the interval since the last one. The
 * first call (or one after more than a day, e.g. a laptop waking up) has nothing recent to
 * compare with, so it takes two readings `firstIntervalMs` apart.
 */
export class PerformanceSampler {
  private previous: Sample | null = null;

  constructor(
    private readonly deps: SamplerDeps,
    private readonly firstIntervalMs = 1000,
  ) {}

  private async read(): Promise<Sample> {
    let network: Map<string, CounterReading> | null = null;
    try {
      network = await this.deps.readNetworkCounters();
    } catch (err) {
      this.deps.logger.warn({ err }, 'performance: reading network counters failed');
    }
    return { at: this.deps.now(), cpu: this.deps.readCpuTimes(), network };
  }

  async measure(signal?: AbortSignal): Promise<Interval> {
    let before = this.previous;
    if (before === null || (this.deps.now() - before.at) / 1000 > MAX_INTERVAL_SECONDS) {
      before = await this.read();
      await this.deps.sleep(this.firstIntervalMs, signal);
    }
    const after = await this.read();
    this.previous = after;
    const elapsedSeconds = (after.at - before.at) / 1000;
    return {
      // A reading taken in the same millisecond would give 0, which the contract forbids.
      intervalSeconds: Math.min(MAX_INTERVAL_SECONDS, Math.max(0.001, elapsedSeconds)),
      cpuUtilisation: cpuUtilisation(before.cpu, after.cpu),
      network: after.network
        ? counterRates(before.network ?? new Map(), after.network, elapsedSeconds)
        : [],
    };
  }
}

export function readCpuTimes(): CpuTimes[] {
  return os.cpus().map((c) => c.times);
}

export async function readNetworkCounters(): Promise<Map<string, CounterReading>> {
  const stats = await si.networkStats('*');
  return new Map(stats.map((s) => [s.iface, { rxBytes: s.rx_bytes, txBytes: s.tx_bytes }]));
}

export function defaultSamplerDeps(logger: Logger): SamplerDeps {
  return {
    readCpuTimes,
    readNetworkCounters,
    now: () => performance.now(),
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    logger,
  };
}

/** Load averages, or null where the OS has none (Windows reports zeros, not a measurement). */
export function loadOf(platform: string, loadavg: readonly number[]): PerformanceSection['load'] {
  if (platform === 'win32') return null;
  const [one, five, fifteen] = loadavg;
  if (one === undefined || five === undefined || fifteen === undefined) return null;
  return { one, five, fifteen };
}

export interface MemoryReading {
  total: number;
  available: number;
  swaptotal: number;
  swapused: number;
}

export function memoryOf(mem: MemoryReading): Pick<PerformanceSection, 'memory' | 'swap'> {
  const totalBytes = knownBytes(mem.total) ?? 0;
  const availableBytes = Math.min(totalBytes, knownBytes(mem.available) ?? 0);
  const swapTotal = knownBytes(mem.swaptotal);
  const swapUsed = knownBytes(mem.swapused);
  return {
    memory: { totalBytes, usedBytes: totalBytes - availableBytes, availableBytes },
    // No swap configured is a fact ({0, 0}); only an unreadable value is unknown.
    swap:
      swapTotal === null || swapUsed === null
        ? null
        : { totalBytes: swapTotal, usedBytes: swapUsed },
  };
}

export interface FsReading {
  mount: string;
  size: number;
  used: number;
  available: number;
}

export function filesystemsOf(fs: readonly FsReading[]): PerformanceSection['filesystems'] {
  return fs
    .filter((f) => typeof f.mount === 'string' && f.mount.trim() !== '')
    .slice(0, 256)
    .map((f) => ({
      mount: f.mount.slice(0, 512),
      sizeBytes: knownBytes(f.size) ?? 0,
      usedBytes: knownBytes(f.used) ?? 0,
      freeBytes: knownBytes(f.available) ?? 0,
    }));
}

/** Entries of /proc named by a pid: one per process, as `ps -e` counts them. */
export function countPidEntries(names: readonly string[]): number {
  return names.filter((n) => /^\d+$/.test(n)).length;
}

async function processCount(logger: Logger): Promise<number | null> {
  try {
    // On Linux, si.processes() runs ps and then a shell reading every process's stat file,
    // about 120 ms of CPU a minute only to count them (measured by `pnpm bench agent`);
    // listing /proc costs about 1 ms.
    if (process.platform === 'linux') return countPidEntries(await readdir('/proc'));
    const all = (await si.processes()).all;
    return Number.isInteger(all) && all >= 0 ? all : null;
  } catch (err) {
    logger.warn({ err }, 'performance: reading the process list failed');
    return null;
  }
}

async function filesystems(logger: Logger): Promise<PerformanceSection['filesystems']> {
  try {
    return filesystemsOf(await si.fsSize());
  } catch (err) {
    logger.warn({ err }, 'performance: reading filesystem usage failed');
    return [];
  }
}

export function createPerformanceCollector(sampler?: PerformanceSampler): Collector<'performance'> {
  let own = sampler;
  return {
    name: 'performance',
    cadenceSeconds: 60,
    platforms: ['linux', 'win32', 'darwin', 'freebsd'],
    timeoutSeconds: 30,
    async collect(ctx) {
      own ??= new PerformanceSampler(defaultSamplerDeps(ctx.logger));
      const interval = await own.measure(ctx.signal);
      const [mem, fs, processes] = await Promise.all([
        si.mem(),
        filesystems(ctx.logger),
        processCount(ctx.logger),
      ]);
      return {
        intervalSeconds: interval.intervalSeconds,
        cpu: { utilisation: interval.cpuUtilisation },
        load: loadOf(process.platform, os.loadavg()),
        ...memoryOf(mem),
        filesystems: fs,
        network: interval.network,
        processes: { total: processes },
      };
    },
  };
}
