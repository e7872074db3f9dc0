// The ingest benchmark's figures: one row per round, the medians, and the checks.
import type { LoadResult } from './support/load.js';
import type { Usage } from './support/proc.js';
import { fixed, int, median, Table } from './support/report.js';

/** bare Fastify, the collector on SQLite, on PostgreSQL, and two collectors on one PostgreSQL */
export type TargetName = 'bare' | 'sqlite' | 'postgres' | 'postgres×2';

export interface Round extends LoadResult, Usage {
  /** '1', '2', ..., 'warm-up' or 'median' */
  round: string;
  target: TargetName;
  /** CPU used by everything else on the machine during the round, % of one core */
  otherCpuPercent: number;
}

export function roundTable(): Table<Round> {
  return new Table<Round>([
    { title: 'round', value: (r) => r.round, left: true },
    { title: 'target', value: (r) => r.target, left: true, width: 10 },
    { title: 'reports/s', value: (r) => int(r.okPerSecond) },
    { title: 'p50 ms', value: (r) => fixed(r.p50Ms, 2) },
    { title: 'p99 ms', value: (r) => fixed(r.p99Ms, 2) },
    { title: 'max ms', value: (r) => fixed(r.maxMs, 1) },
    { title: 'non-2xx', value: (r) => int(r.non2xx) },
    { title: 'errors', value: (r) => int(r.errors) },
    { title: 'cpu %', value: (r) => fixed(r.cpuPercent) },
    { title: 'peak RSS MiB', value: (r) => fixed(r.peakRssMiB) },
    {
      title: 'peak WAL MiB',
      value: (r) => (r.target === 'sqlite' ? fixed(r.peakFileBytes / 1024 ** 2) : '-'),
    },
    { title: 'generator cpu %', value: (r) => fixed(r.generatorCpuPercent) },
    { title: 'other cpu %', value: (r) => fixed(r.otherCpuPercent) },
  ]);
}

/** Medians of every figure; counts of failures are totals (one failure is one too many). */
export function medianRound(rounds: Round[], target: TargetName): Round {
  const mine = rounds.filter((r) => r.target === target);
  const m = (pick: (r: Round) => number) => median(mine.map(pick));
  const sum = (pick: (r: Round) => number) => mine.reduce((a, r) => a + pick(r), 0);
  return {
    round: 'median',
    target,
    durationSeconds: m((r) => r.durationSeconds),
    ok: sum((r) => r.ok),
    statuses: {},
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    okPerSecond: m((r) => r.okPerSecond),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    maxMs: m((r) => r.maxMs),
    generatorCpuPercent: m((r) => r.generatorCpuPercent),
    otherCpuPercent: m((r) => r.otherCpuPercent),
    cpuPercent: m((r) => r.cpuPercent),
    peakRssMiB: m((r) => r.peakRssMiB),
    lastRssMiB: m((r) => r.lastRssMiB),
    peakFileBytes: m((r) => r.peakFileBytes),
  };
}

/**
 * Several loads at once (one per collector) as one: counts and rates add up; latency
 * percentiles cannot be merged from percentiles, so each is the worse of the loads'.
 */
export function combineLoads(loads: LoadResult[]): LoadResult {
  if (loads.length === 1) return loads[0]!;
  const sum = (pick: (l: LoadResult) => number) => loads.reduce((a, l) => a + pick(l), 0);
  const worst = (pick: (l: LoadResult) => number) => Math.max(...loads.map(pick));
  const statuses: Record<string, number> = {};
  for (const l of loads) {
    for (const [status, n] of Object.entries(l.statuses))
      statuses[status] = (statuses[status] ?? 0) + n;
  }
  return {
    durationSeconds: worst((l) => l.durationSeconds),
    ok: sum((l) => l.ok),
    statuses,
    non2xx: sum((l) => l.non2xx),
    errors: sum((l) => l.errors),
    timeouts: sum((l) => l.timeouts),
    okPerSecond: sum((l) => l.okPerSecond),
    p50Ms: worst((l) => l.p50Ms),
    p99Ms: worst((l) => l.p99Ms),
    maxMs: worst((l) => l.maxMs),
    // one process generates both loads: each figure is already the whole process's CPU
    generatorCpuPercent: worst((l) => l.generatorCpuPercent),
  };
}

/** Reports stored per second of one core: robust to how much CPU other work left us. */
export function perCoreSecond(round: Round): number {
  return round.okPerSecond / (round.cpuPercent / 100);
}

/** `503 × 12, 400 × 1`: the error statuses of some rounds. */
export function errorStatuses(rounds: Round[]): string {
  const totals: Record<string, number> = {};
  for (const r of rounds) {
    for (const [status, n] of Object.entries(r.statuses)) {
      if (!status.startsWith('2')) totals[status] = (totals[status] ?? 0) + n;
    }
  }
  return Object.entries(totals)
    .map(([status, n]) => `${status} × ${int(n)}`)
    .join(', ');
}

/** A line to print at once when the collector refused or dropped requests in a round. */
export function refusalWarning(round: Round): string | null {
  if (round.target === 'bare' || (round.non2xx === 0 && round.errors === 0)) return null;
  return (
    `!! ${round.target}, round ${round.round}: ${int(round.non2xx)} non-2xx (${errorStatuses([round])}), ` +
    `${int(round.errors)} connection errors (${int(round.timeouts)} timeouts)`
  );
}

/** Collector log lines at warn and above, by message: a healthy run has none. */
export function logSummary(lines: string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    let key: string | null;
    try {
      const { level = 0, msg } = JSON.parse(line) as { level?: number; msg?: string };
      key = level >= 40 ? `${level >= 50 ? 'error' : 'warn'}: ${msg}` : null;
    } catch {
      key = `not JSON: ${line.slice(0, 120)}`;
    }
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const items = [...counts].map(([key, n]) => `${n} × ${key}`);
  return `${lines.length} lines, ${items.length === 0 ? 'no warnings or errors' : items.join('; ')}`;
}

export class Checks {
  private readonly results: { text: string; ok: boolean }[] = [];

  add(text: string, ok: boolean): void {
    this.results.push({ text, ok });
  }

  allPassed(): boolean {
    return this.results.every((r) => r.ok);
  }

  lines(): string[] {
    return this.results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.text}`);
  }
}
