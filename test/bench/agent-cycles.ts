// Part 1 of `pnpm bench agent`: each collector's cost per cycle, a fresh driver process
// (agent-driver.ts) per collector, next to the baselines measured in the same run: an
// idle Node process, a bare Node start, and a cycle of no collector at all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AGENT_DRIVER,
  driverOutput,
  measureBaselines,
  runNode,
  type Baselines,
} from './agent-procs.js';
import type { AgentCollectorInfo, DriverListing, DriverResult } from './agent-driver.js';
import {
  cadenceText,
  percentAtCadence,
  summariseCycles,
  type CyclesSummary,
} from './agent-figures.js';
import { logSummary } from './ingest-results.js';
import { fixed, int, Table } from './support/report.js';

export interface CollectorCycles {
  /** the collector, or '(none)' for the cycle of no collector */
  name: string;
  cadenceSeconds: number;
  result: DriverResult;
  summary: CyclesSummary;
  logLines: string[];
}

export interface CyclesPart {
  baselines: Baselines;
  none: CollectorCycles;
  collectors: CollectorCycles[];
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The collectors that run on this machine, read from the built agent's registry. */
export async function listCollectors(dir: string): Promise<DriverListing> {
  const logFile = join(dir, 'driver-list.log');
  const run = await runNode({
    name: 'agent-driver list',
    args: [AGENT_DRIVER, 'list'],
    logFile,
    timeoutMs: 60_000,
  });
  return driverOutput<DriverListing>(run, 'agent-driver list', () => tail(logFile));
}

async function measureOne(
  dir: string,
  collector: AgentCollectorInfo | null,
  cycles: number,
  gapSeconds: number,
): Promise<CollectorCycles> {
  const name = collector?.name ?? '-';
  const logFile = join(dir, `driver-${collector ? name : 'none'}.log`);
  const run = await runNode({
    name: `agent-driver cycles ${name}`,
    args: [AGENT_DRIVER, 'cycles', name, String(cycles), String(gapSeconds * 1000)],
    logFile,
    // Every cycle may take the collector's whole timeout; a minute for the rest.
    timeoutMs: (cycles + 1) * ((collector?.timeoutSeconds ?? 10) + gapSeconds) * 1000 + 60_000,
  });
  const result = driverOutput<DriverResult>(run, `agent-driver cycles ${name}`, () =>
    tail(logFile),
  );
  return {
    name: collector ? name : '(none)',
    cadenceSeconds: collector?.cadenceSeconds ?? NaN,
    result,
    summary: summariseCycles(result),
    logLines: lines(logFile),
  };
}

function cyclesTable(baselines: Baselines): Table<CollectorCycles> {
  const rss = (c: CollectorCycles) => c.result.rssKiB / 1024;
  return new Table<CollectorCycles>([
    { title: 'collector', value: (c) => c.name, left: true, width: 11 },
    { title: 'every', value: (c) => cadenceText(c.cadenceSeconds), width: 5 },
    { title: 'cold ms', value: (c) => int(c.summary.cold.wallMs) },
    { title: 'cold cpu ms', value: (c) => int(c.summary.cold.cpuMs) },
    { title: 'wall ms', value: (c) => fixed(c.summary.warm.wallMs) },
    { title: 'cpu ms', value: (c) => fixed(c.summary.warm.cpuMs) },
    { title: 'in-cycle cpu ms', value: (c) => fixed(c.summary.warm.inCycleCpuMs) },
    { title: 'cmds cpu ms', value: (c) => int(c.summary.warm.childCpuMs) },
    {
      title: 'cpu ÷ node start',
      value: (c) => fixed(c.summary.warm.cpuMs / baselines.startCpuMs, 2),
    },
    {
      title: '% core at cadence',
      value: (c) => fixed(percentAtCadence(c.summary.warm.cpuMs, c.cadenceSeconds), 3),
    },
    { title: 'RSS MiB', value: (c) => fixed(rss(c)) },
    { title: 'peak MiB', value: (c) => fixed(c.result.hwmKiB / 1024) },
    { title: 'RSS ÷ idle node', value: (c) => fixed(rss(c) / baselines.idleRssMiB, 2) },
    {
      title: 'failed',
      value: (c) => `${c.summary.failedCycles}/${c.result.cycles.length}`,
      width: 6,
    },
  ]);
}

export async function measureCycles(
  dir: string,
  collectors: readonly AgentCollectorInfo[],
  cycles: number,
  gapSeconds: number,
  baselineRuns: number,
): Promise<CyclesPart> {
  console.log(
    `\npart 1: cost per collection cycle (a fresh process per collector: one cold cycle, ` +
      `then ${cycles} measured, ${gapSeconds} s apart; medians)`,
  );
  const baselines = await measureBaselines(dir, baselineRuns);
  console.log(
    `  baseline: idle Node process RSS ${fixed(baselines.idleRssMiB)} MiB (peak ` +
      `${fixed(baselines.idleHwmMiB)}); \`node -e ''\` ${fixed(baselines.startCpuMs)} ms CPU, ` +
      `${fixed(baselines.startWallMs)} ms wall (medians of ${baselines.runs})`,
  );
  const table = cyclesTable(baselines);
  const none = await measureOne(dir, null, cycles, gapSeconds);
  console.log(
    `  baseline: agent modules loaded in ${int(none.result.loadMs)} ms, RSS ` +
      `${fixed(none.result.loadedRssKiB / 1024)} MiB before any cycle ` +
      `(${fixed(none.result.loadedRssKiB / 1024 / baselines.idleRssMiB, 2)} × idle Node)`,
  );
  console.log(`\n${table.header()}`);
  console.log(table.row(none));
  const measured: CollectorCycles[] = [];
  for (const collector of collectors) {
    const one = await measureOne(dir, collector, cycles, gapSeconds);
    measured.push(one);
    console.log(table.row(one));
  }
  console.log(
    '  cold = the first cycle (modules and caches cold; the performance collector samples ' +
      'twice, 1 s apart);\n' +
      '  wall/cpu/cmds = medians of the measured cycles; cpu = the process (all threads) + ' +
      'the commands it ran (cmds, 10 ms ticks),\n' +
      "  from the cycle's start to the end of the gap after it (the GC it causes later " +
      'included); in-cycle = the cycle alone;\n' +
      '  % core at cadence = cpu ms per cycle spread over the default cadence; RSS = after ' +
      'the cycles, peak = VmHWM of the process',
  );
  for (const c of [none, ...measured]) {
    for (const error of c.summary.errors) console.log(`  !! ${c.name}: report error: ${error}`);
    const summary = logSummary(c.logLines);
    if (!summary.includes('no warnings or errors')) console.log(`  log ${c.name}: ${summary}`);
  }
  return { baselines, none, collectors: measured };
}
