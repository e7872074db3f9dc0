// `pnpm bench agent`: what the agent costs the machine it watches. Part 1: each
// collector's CPU and wall time per collection cycle and the memory it leaves, against
// an idle Node process and a bare Node start measured in the same run. Part 2: the real
// agent (`vcio-agent run`, default cadences) reporting to a real collector, its average
// CPU and its RSS over a window, against the issue's targets.
//
// CPU is the process's threads plus the commands it ran and waited for (dpkg-query, apt,
// ss...): utime+stime+cutime+cstime of /proc/<pid>/stat. Linux only: the figures come
// from /proc.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentCollectorInfo } from './agent-driver.js';
import { listCollectors, measureCycles, type CyclesPart } from './agent-cycles.js';
import {
  cadenceText,
  medianFigures,
  projectedPercent,
  TARGET_CPU_PERCENT,
  TARGET_RSS_MIB,
  underTarget,
} from './agent-figures.js';
import { steadyRound, steadyTable, storedReports, type SteadyRound } from './agent-steady.js';
import { Checks } from './ingest-results.js';
import { startCollector } from './ingest-setup.js';
import { intOption, parseBenchArgs, UsageError } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { fixed, machineLines, median } from './support/report.js';

export const usage = `usage: pnpm bench agent [options]

Part 1, per collection cycle: for each collector that runs on this machine (read from
the built agent's registry), a fresh Node process loads the agent's modules and runs
the collector through the agent's report builder: one cold cycle, then --cycles
measured ones. Prints per collector the median wall time and CPU time per cycle (the
process and the commands it ran), the RSS after the cycles and the peak, next to
baselines measured in the same run: an idle Node process's RSS, the CPU of a bare
\`node -e ''\`, and a cycle of no collector.

Part 2, steady state: starts a real collector and a real \`vcio-agent run\` at default
cadences (enrolled with a temporary state directory), samples the agent's RSS every
--sample seconds and reads its CPU at spawn, at the first report sent (the end of the
start-up burst, when every collector runs at once) and after --duration seconds.
Prints the average CPU (% of one core) with and without the start-up burst, the RSS,
the reports sent, and PASS/FAIL against the targets: RSS < ${TARGET_RSS_MIB} MiB steady,
CPU < ${TARGET_CPU_PERCENT} % of one core. The issue's window is 600 s (ten minutes).

options:
  --cycles N          measured cycles per collector, after a cold one   (default 5; 0 skips part 1)
  --collectors LIST   part 1 for these collectors only, comma-separated  (default: all)
  --gap S             seconds between two cycles of a collector         (default 2; at least 1:
                      systeminformation answers from a cache within 500 ms)
  --baseline-runs N   idle-Node and bare-start runs for the baselines    (default 3)
  --duration S        seconds the agent runs per steady round            (default 600; 0 skips part 2)
  --rounds N          steady rounds, a freshly enrolled agent each       (default 1; medians)
  --sample S          seconds between RSS samples                        (default 5)
  -h, --help          this text

Linux only (the figures come from /proc). Exit status: 0 targets met and checks passed;
1 a target missed or a check failed; 2 a bad command line.`;

interface Options {
  cycles: number;
  gap: number;
  collectors: string[] | null;
  baselineRuns: number;
  duration: number;
  rounds: number;
  sample: number;
}

function parseOptions(args: string[]): Options {
  const values = parseBenchArgs(args, {
    cycles: { type: 'string' },
    gap: { type: 'string' },
    collectors: { type: 'string' },
    'baseline-runs': { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    sample: { type: 'string' },
  });
  const collectors =
    values.collectors === undefined
      ? null
      : values.collectors
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean);
  if (collectors !== null && collectors.length === 0) {
    throw new UsageError('--collectors needs at least one collector name');
  }
  const options = {
    cycles: intOption('cycles', values.cycles, 5, 0, 1000),
    gap: intOption('gap', values.gap, 2, 1, 600),
    collectors,
    baselineRuns: intOption('baseline-runs', values['baseline-runs'], 3, 1, 100),
    duration: intOption('duration', values.duration, 600, 0, 86_400),
    rounds: intOption('rounds', values.rounds, 1, 1, 100),
    sample: intOption('sample', values.sample, 5, 1, 600),
  };
  if (options.cycles === 0 && options.duration === 0) {
    throw new UsageError('--cycles 0 and --duration 0 together leave nothing to measure');
  }
  return options;
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (process.platform !== 'linux') {
    console.error(`bench agent: Linux only (reads /proc); this is ${process.platform}`);
    return 2;
  }
  installCleanupHandlers();
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-agent-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup({ name: `remove ${dir}`, graceful: async () => removeDir(), immediate: removeDir });
  // Until the collectors (and their timeouts) are known: listing them takes seconds.
  let stopWatchdog = startWatchdog(120_000, 'pnpm bench agent (listing the collectors)');
  try {
    const listing = await listCollectors(dir);
    const chosen = choose(listing.collectors, options.collectors);
    stopWatchdog();
    stopWatchdog = startWatchdog(budgetMs(options, chosen), 'pnpm bench agent');
    return await bench(dir, options, listing.collectors, chosen);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

function choose(available: AgentCollectorInfo[], names: string[] | null): AgentCollectorInfo[] {
  if (names === null) return available;
  const unknown = names.filter((n) => !available.some((c) => c.name === n));
  if (unknown.length > 0) {
    throw new UsageError(
      `--collectors: ${unknown.join(', ')} not among the collectors that run here ` +
        `(${available.map((c) => c.name).join(', ')})`,
    );
  }
  return available.filter((c) => names.includes(c.name));
}

/** Every cycle may use its collector's whole timeout; generous room for the rest. */
function budgetMs(options: Options, collectors: AgentCollectorInfo[]): number {
  const part1 =
    options.cycles === 0
      ? 0
      : collectors.reduce(
          (s, c) => s + (options.cycles + 1) * (c.timeoutSeconds + options.gap) + 60,
          120,
        );
  const part2 = options.duration === 0 ? 0 : options.rounds * (options.duration + 180) + 60;
  return (part1 + part2 + 120) * 1000;
}

async function bench(
  dir: string,
  options: Options,
  all: AgentCollectorInfo[],
  chosen: AgentCollectorInfo[],
): Promise<number> {
  console.log('vcio agent benchmark');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  collectors here: ${all.map((c) => `${c.name} (every ${cadenceText(c.cadenceSeconds)})`).join(', ')}\n` +
      `         part 1: ${options.cycles === 0 ? 'skipped' : `${chosen.map((c) => c.name).join(', ')}, 1 cold + ${options.cycles} cycles each, ${options.gap} s apart`}; ` +
      `part 2: ${options.duration === 0 ? 'skipped' : `${options.rounds} × ${options.duration} s at default cadences, RSS every ${options.sample} s`}`,
  );
  console.log(
    'note:    the machine is shared: other work runs at the same time and the figures ' +
      'drift between runs (see "machine busy %")',
  );

  const cycles =
    options.cycles === 0
      ? null
      : await measureCycles(dir, chosen, options.cycles, options.gap, options.baselineRuns);
  if (options.duration === 0) return 0;
  return steady(dir, options, all, cycles);
}

async function steady(
  dir: string,
  options: Options,
  all: AgentCollectorInfo[],
  cycles: CyclesPart | null,
): Promise<number> {
  console.log(
    `\npart 2: the agent at default cadences (\`vcio-agent run\`), ${options.duration} s per round`,
  );
  const collector = await startCollector(dir, 'normal');
  console.log(`  collector ${collector.service.url} (pid ${collector.service.pid})`);
  const table = steadyTable();
  console.log(`\n${table.header()}`);
  const rounds: SteadyRound[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    const round = await steadyRound(
      dir,
      collector,
      { durationSeconds: options.duration, sampleSeconds: options.sample },
      String(r),
    );
    rounds.push(round);
    console.log(table.row(round));
  }
  const m = medianFigures(rounds);
  const medianRow: SteadyRound = {
    ...m,
    round: 'median',
    agentId: '',
    reportsSent: median(rounds.map((r) => r.reportsSent)),
    steadySections: [],
    machineBusyPercent: median(rounds.map((r) => r.machineBusyPercent)),
    exitCode: null,
    logSummary: '',
  };
  if (rounds.length > 1) console.log(table.row(medianRow));
  console.log(
    '  window = spawn to end; start-up = spawn to the first report sent (every collector at ' +
      'once); cpu % all = over the window;\n' +
      '  cpu % steady = after the first report sent; RSS median/max = samples after the ' +
      'first report sent; peak = VmHWM;\n' +
      '  cpu = the agent process (all threads) + the commands it ran; % of one core; ' +
      'machine busy % = every process, 200 % = both cores',
  );

  const exit = await collector.service.stop();
  const checks = new Checks();
  let stored: Map<string, number> | null = null;
  try {
    stored = storedReports(
      collector.dbPath,
      rounds.map((r) => r.agentId),
    );
  } catch (error) {
    checks.add(`reading the collector's database: ${String(error)}`, false);
  }
  for (const r of rounds) {
    const inDb = stored?.get(r.agentId);
    checks.add(
      `round ${r.round}: agent sent ${r.reportsSent} reports (log), the collector stored ` +
        `${inDb ?? '?'} from it; SIGTERM: exit code ${r.exitCode}; log: ${r.logSummary}`,
      r.reportsSent > 0 && inDb === r.reportsSent && r.exitCode === 0,
    );
  }
  checks.add(
    `collector stopped on SIGTERM, exit code ${exit.code ?? exit.signal}`,
    exit.code === 0,
  );
  console.log('\nchecks:');
  for (const line of checks.lines()) console.log(`  ${line}`);
  return verdict(options, rounds, medianRow, all, cycles, checks);
}

function verdict(
  options: Options,
  rounds: SteadyRound[],
  m: SteadyRound,
  all: AgentCollectorInfo[],
  cycles: CyclesPart | null,
  checks: Checks,
): number {
  const of = rounds.length > 1 ? ` (median of ${rounds.length} rounds)` : '';
  const results = {
    rss: underTarget(m.rssSteadyMedianMiB, TARGET_RSS_MIB),
    all: underTarget(m.cpuPercentAll, TARGET_CPU_PERCENT),
    steady: underTarget(m.cpuPercentSteady, TARGET_CPU_PERCENT),
  };
  console.log(`\nresult${of}:`);
  console.log(
    `  RSS steady: median ${fixed(m.rssSteadyMedianMiB)} MiB, max ${fixed(m.rssSteadyMaxMiB)} MiB ` +
      `(peak ${fixed(m.hwmMiB)} MiB in the start-up burst included); target < ${TARGET_RSS_MIB} MiB: ${results.rss}`,
  );
  console.log(
    `  CPU over the whole ${fixed(m.windowSeconds, 0)} s, start-up included: ${fixed(m.cpuPercentAll, 3)} % ` +
      `of one core; target < ${TARGET_CPU_PERCENT} %: ${results.all}`,
  );
  console.log(
    `  CPU after the start-up burst (${fixed(m.steadySeconds, 0)} s): ${fixed(m.cpuPercentSteady, 3)} % ` +
      `of one core; target < ${TARGET_CPU_PERCENT} %: ${results.steady}`,
  );
  if (options.duration < 600) {
    console.log(
      `  note: a ${options.duration} s window weighs the start-up burst ` +
        `(${fixed(m.burstCpuSeconds, 2)} CPU s) more than the issue's 600 s window does`,
    );
  }
  if (cycles) {
    const measured = new Map(cycles.collectors.map((c) => [c.name, c.summary.warm.cpuMs]));
    const seen = new Set(rounds.flatMap((r) => r.steadySections));
    const projection = projectedPercent(m.cpuPercentSteady, all, seen, measured);
    const terms = projection.terms.map(
      (t) =>
        `${t.collector} ${fixed(t.percent, 3)} % (every ` +
        `${cadenceText(all.find((c) => c.name === t.collector)?.cadenceSeconds ?? NaN)})`,
    );
    console.log(
      `  projected long-run average at default cadences: ${fixed(projection.percent, 3)} % ` +
        `= steady ${fixed(m.cpuPercentSteady, 3)} %` +
        (terms.length > 0 ? ` + ${terms.join(' + ')} from part 1's cycles` : '') +
        ' (informative, not a target)',
    );
    console.log(
      `  baseline: RSS steady ÷ idle Node RSS = ` +
        `${fixed(m.rssSteadyMedianMiB / cycles.baselines.idleRssMiB, 2)} ` +
        `(idle Node ${fixed(cycles.baselines.idleRssMiB)} MiB, measured in part 1)`,
    );
  }
  const failed = Object.values(results).includes('FAIL') || !checks.allPassed();
  console.log(failed ? '  FAIL' : '  PASS');
  return failed ? 1 : 0;
}
