// The agent benchmark's arithmetic, apart from any process: what a set of cycles cost,
// what the agent's log says it sent, the steady-state figures of one round, and the
// long-run projection. Pure functions, unit-tested in test/e2e/bench-agent-figures.test.ts.
import type { CycleResult, DriverResult } from './agent-driver.js';
import { median } from './support/report.js';

/** The targets of the issue: RSS under 60 MB steady, CPU under 0.5 % of one core. */
export const TARGET_RSS_MIB = 60;
export const TARGET_CPU_PERCENT = 0.5;

export interface CycleFigures {
  wallMs: number;
  /** the process and the commands it ran, the cycle and the gap after it */
  cpuMs: number;
  /** the commands alone */
  childCpuMs: number;
  /** the process and its commands during the cycle itself (no deferred GC) */
  inCycleCpuMs: number;
}

export interface CyclesSummary {
  /** the first cycle: modules and caches cold, the performance collector's 1 s sampling */
  cold: CycleFigures;
  /** medians of the measured cycles (NaN when there were none) */
  warm: CycleFigures;
  measuredCycles: number;
  /** cycles whose report carried an error, cold one included */
  failedCycles: number;
  /** each distinct error message once */
  errors: string[];
}

function figures(cycle: CycleResult | undefined): CycleFigures {
  if (!cycle) return { wallMs: NaN, cpuMs: NaN, childCpuMs: NaN, inCycleCpuMs: NaN };
  return {
    wallMs: cycle.wallMs,
    cpuMs: cycle.selfCpuMs + cycle.childCpuMs,
    childCpuMs: cycle.childCpuMs,
    inCycleCpuMs: cycle.inCycleCpuMs,
  };
}

export function summariseCycles(result: DriverResult): CyclesSummary {
  const [first, ...measured] = result.cycles;
  const all = measured.map(figures);
  return {
    cold: figures(first),
    warm: {
      wallMs: median(all.map((c) => c.wallMs)),
      cpuMs: median(all.map((c) => c.cpuMs)),
      childCpuMs: median(all.map((c) => c.childCpuMs)),
      inCycleCpuMs: median(all.map((c) => c.inCycleCpuMs)),
    },
    measuredCycles: measured.length,
    failedCycles: result.cycles.filter((c) => c.errors.length > 0).length,
    errors: [...new Set(result.cycles.flatMap((c) => c.errors))],
  };
}

/** CPU time over wall time, as a percentage of one core (200 % = two cores busy). */
export function percentOfCore(cpuSeconds: number, wallSeconds: number): number {
  return wallSeconds > 0 ? (cpuSeconds / wallSeconds) * 100 : NaN;
}

/** What one collector costs on average when it runs every `cadenceSeconds`. */
export function percentAtCadence(cpuMsPerCycle: number, cadenceSeconds: number): number {
  return percentOfCore(cpuMsPerCycle / 1000, cadenceSeconds);
}

export interface SentReport {
  /** the log line's time, ms since the epoch */
  time: number;
  sections: string[];
}

/** The agent's `report sent` log lines (pino JSON on stderr), oldest first. */
export function sentReports(lines: readonly string[]): SentReport[] {
  const sent: SentReport[] = [];
  for (const line of lines) {
    let entry: { msg?: unknown; time?: unknown; sections?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // not a log line (a Node warning, say)
    }
    if (entry.msg !== 'report sent') continue;
    sent.push({
      time: typeof entry.time === 'number' ? entry.time : NaN,
      sections: Array.isArray(entry.sections)
        ? entry.sections.filter((s): s is string => typeof s === 'string')
        : [],
    });
  }
  return sent;
}

/** The collector URL in the agent's `agent started` line: the sign that `run` is up. */
export function agentStartedUrl(line: string): string | null {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; collector?: unknown };
    if (entry.msg === 'agent started' && typeof entry.collector === 'string') {
      return entry.collector;
    }
  } catch {
    // Not JSON: not the line.
  }
  return null;
}

/** What the benchmark read from the running agent. Times in ms on one clock. */
export interface SteadyObservations {
  /** just before the agent was spawned (its CPU time was 0 then) */
  startedAt: number;
  /** when the first report had been sent (the start-up burst is over); null: never */
  burst: { at: number; cpuSeconds: number } | null;
  end: { at: number; cpuSeconds: number };
  /** VmRSS, every few seconds */
  rss: { at: number; kib: number }[];
  /** VmHWM at the end: the peak since the process started */
  hwmKiB: number;
}

export interface SteadyFigures {
  windowSeconds: number;
  /** from spawn to the end: start-up burst included */
  cpuPercentAll: number;
  /** from the first report sent to the end; NaN when no report was sent */
  cpuPercentSteady: number;
  steadySeconds: number;
  /** CPU seconds and seconds from spawn to the first report sent */
  burstCpuSeconds: number;
  burstSeconds: number;
  /** RSS samples taken after the first report sent */
  rssSteadyMedianMiB: number;
  rssSteadyMaxMiB: number;
  rssSamples: number;
  hwmMiB: number;
}

export function steadyFigures(o: SteadyObservations): SteadyFigures {
  const windowSeconds = (o.end.at - o.startedAt) / 1000;
  const burst = o.burst;
  const steadySeconds = burst ? (o.end.at - burst.at) / 1000 : NaN;
  const steadyRss = burst ? o.rss.filter((s) => s.at >= burst.at).map((s) => s.kib / 1024) : [];
  return {
    windowSeconds,
    cpuPercentAll: percentOfCore(o.end.cpuSeconds, windowSeconds),
    cpuPercentSteady: burst
      ? percentOfCore(o.end.cpuSeconds - burst.cpuSeconds, steadySeconds)
      : NaN,
    steadySeconds,
    burstCpuSeconds: burst ? burst.cpuSeconds : NaN,
    burstSeconds: burst ? (burst.at - o.startedAt) / 1000 : NaN,
    rssSteadyMedianMiB: median(steadyRss),
    rssSteadyMaxMiB: steadyRss.length > 0 ? Math.max(...steadyRss) : NaN,
    rssSamples: steadyRss.length,
    hwmMiB: o.hwmKiB / 1024,
  };
}

export interface ProjectionTerm {
  collector: string;
  percent: number;
}

/**
 * The long-run average at default cadences: a ten-minute window after start-up holds
 * performance cycles only; the hourly and six-hourly collectors are added at their
 * measured warm-cycle cost spread over their cadence. `seenInWindow` are the sections of
 * the reports sent in the steady window (already in its CPU figure); a collector missing
 * from `cycleCpuMs` (not measured) makes the projection unknown (NaN).
 */
export function projectedPercent(
  steadyPercent: number,
  collectors: readonly { name: string; cadenceSeconds: number }[],
  seenInWindow: ReadonlySet<string>,
  cycleCpuMs: ReadonlyMap<string, number>,
): { percent: number; terms: ProjectionTerm[] } {
  const terms: ProjectionTerm[] = collectors
    .filter((c) => !seenInWindow.has(c.name))
    .map((c) => ({
      collector: c.name,
      percent: percentAtCadence(cycleCpuMs.get(c.name) ?? NaN, c.cadenceSeconds),
    }));
  return { percent: terms.reduce((sum, t) => sum + t.percent, steadyPercent), terms };
}

/** `PASS` or `FAIL` against a target that the figure must stay under; NaN fails. */
export function underTarget(value: number, target: number): 'PASS' | 'FAIL' {
  return value < target ? 'PASS' : 'FAIL';
}

/** The median of each figure over several rounds. */
export function medianFigures(rounds: readonly SteadyFigures[]): SteadyFigures {
  const m = (pick: (f: SteadyFigures) => number) => median(rounds.map(pick));
  return {
    windowSeconds: m((f) => f.windowSeconds),
    cpuPercentAll: m((f) => f.cpuPercentAll),
    cpuPercentSteady: m((f) => f.cpuPercentSteady),
    steadySeconds: m((f) => f.steadySeconds),
    burstCpuSeconds: m((f) => f.burstCpuSeconds),
    burstSeconds: m((f) => f.burstSeconds),
    rssSteadyMedianMiB: m((f) => f.rssSteadyMedianMiB),
    rssSteadyMaxMiB: m((f) => f.rssSteadyMaxMiB),
    rssSamples: m((f) => f.rssSamples),
    hwmMiB: m((f) => f.hwmMiB),
  };
}

/** `60 s`, `1 h`, `6 h`, `30 min`: a cadence as people say it. */
export function cadenceText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 120) return `${seconds} s`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}
