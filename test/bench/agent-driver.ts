// Child process of `pnpm bench agent`: runs the agent's own collectors in cycles, in one
// process, and prints what each cycle cost as one JSON line on stdout.
//
//   node agent-driver.js list                       the collectors that run on this machine
//   node agent-driver.js cycles <name> <n> <gapMs>  one cold cycle, then n measured ones,
//                                                   gapMs apart; name '-' runs cycles of
//                                                   no collector
//
// A cycle is what the agent's service loop does on a tick, minus the sending: the
// report builder (agent/dist/report-builder.js) runs the collector and assembles the
// report, which is then serialised as the outbox does. One process for all cycles rather
// than `vcio-agent collect` per cycle: the agent collects in a long-running process, so
// a cycle's cost must not include a Node start-up, and the performance collector only
// measures an interval from its second run on (its first run samples twice, 1 s apart,
// as `collect` does every time).
//
// Cycles are spaced out (the agent's are a minute or more apart): systeminformation
// answers from a cache when called again within 500 ms (processes, network and disk
// counters), so back-to-back cycles would measure the cache instead of the collector.
//
// CPU per cycle: this process's threads (process.cpuUsage, microseconds) plus the
// commands the collector ran (cutime+cstime of /proc/self/stat, clock ticks: the kernel
// adds a child's time there once Node has waited for it, which it does before the
// command's promise resolves), from the cycle's start to the end of the gap after it, so
// that the garbage collection the cycle causes later is counted too.
//
// The whole CLI module graph (cli/program.js, which imports every command) is loaded
// first, so the RSS here is comparable with the real agent's.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseStat, readStatus, statCpuSeconds } from './support/procfs.js';
import { ticksPerSecond } from './support/proc.js';

const AGENT_DIST = new URL('../../../agent/dist/', import.meta.url);

/** What the bench uses of the agent's collectors (agent/src/collectors/types.ts). */
export interface AgentCollectorInfo {
  name: string;
  cadenceSeconds: number;
  timeoutSeconds: number;
}

export interface CycleResult {
  wallMs: number;
  /** this process's threads, the cycle and the gap after it */
  selfCpuMs: number;
  /** the commands the collector ran (10 ms resolution: clock ticks) */
  childCpuMs: number;
  /** the process and its commands until the report was serialised, the gap left out */
  inCycleCpuMs: number;
  /** VmRSS after the cycle */
  rssKiB: number;
  /** the report's `errors`, as `collector: message` */
  errors: string[];
  /** the serialised report's size */
  reportBytes: number;
}

export interface DriverResult {
  /** '-' for the cycle of no collector */
  collector: string;
  /** importing the agent's modules */
  loadMs: number;
  /** VmRSS once the modules are loaded, before any cycle */
  loadedRssKiB: number;
  /** the cold cycle first, then the measured ones */
  cycles: CycleResult[];
  rssKiB: number;
  hwmKiB: number;
}

export interface DriverListing {
  platform: string;
  collectors: AgentCollectorInfo[];
}

interface AgentCollector extends AgentCollectorInfo {
  platforms: readonly string[];
}

interface BuiltReport {
  errors: { collector: string; message: string }[];
}

interface AgentModules {
  collectorsFor(platform: NodeJS.Platform): AgentCollector[];
  buildReport(options: {
    collectors: readonly AgentCollector[];
    agentId: string;
    machineId: string;
    hostname: string;
    logger: unknown;
  }): Promise<BuiltReport>;
  createLogger(level: string, fd: number): unknown;
  NIL_AGENT_ID: string;
}

async function loadAgent(): Promise<AgentModules> {
  const load = (path: string) => import(new URL(path, AGENT_DIST).href) as Promise<unknown>;
  await load('cli/program.js');
  const [collectors, builder, log] = (await Promise.all([
    load('collectors/index.js'),
    load('report-builder.js'),
    load('log.js'),
  ])) as [
    Pick<AgentModules, 'collectorsFor'>,
    Pick<AgentModules, 'buildReport' | 'NIL_AGENT_ID'>,
    Pick<AgentModules, 'createLogger'>,
  ];
  return { ...collectors, ...builder, ...log };
}

function cpuNow(): { selfUs: number; childSeconds: number } {
  const usage = process.cpuUsage();
  const stat = parseStat(readFileSync('/proc/self/stat', 'utf8'));
  return {
    selfUs: usage.user + usage.system,
    childSeconds: statCpuSeconds(stat, ticksPerSecond()).children,
  };
}

async function cycles(name: string, count: number, gapMs: number): Promise<DriverResult> {
  const loadStart = performance.now();
  const agent = await loadAgent();
  const loadMs = performance.now() - loadStart;
  const available = agent.collectorsFor(process.platform);
  const chosen = name === '-' ? [] : available.filter((c) => c.name === name);
  if (name !== '-' && chosen.length === 0) {
    throw new Error(
      `no collector '${name}' on ${process.platform}; here: ${available.map((c) => c.name).join(', ')}`,
    );
  }
  // Warnings only: a collector that fails (and is therefore cheap) says so in the log.
  const logger = agent.createLogger('warn', 2);
  const loadedRssKiB = readStatus('self').rssKiB;
  const results: CycleResult[] = [];
  for (let i = 0; i <= count; i++) {
    const before = cpuNow();
    const started = performance.now();
    const report = await agent.buildReport({
      collectors: chosen,
      agentId: agent.NIL_AGENT_ID,
      machineId: 'vcio-bench-agent',
      hostname: os.hostname(),
      logger,
    });
    // The outbox writes every report as JSON before it is sent.
    const reportBytes = Buffer.byteLength(JSON.stringify(report));
    const wallMs = performance.now() - started;
    const done = cpuNow();
    const rssKiB = readStatus('self').rssKiB;
    await sleep(gapMs);
    const after = cpuNow();
    results.push({
      wallMs,
      selfCpuMs: (after.selfUs - before.selfUs) / 1000,
      childCpuMs: (after.childSeconds - before.childSeconds) * 1000,
      inCycleCpuMs:
        (done.selfUs - before.selfUs) / 1000 + (done.childSeconds - before.childSeconds) * 1000,
      rssKiB,
      errors: report.errors.map((e) => `${e.collector}: ${e.message}`),
      reportBytes,
    });
  }
  const { rssKiB, hwmKiB } = readStatus('self');
  return { collector: name, loadMs, loadedRssKiB, cycles: results, rssKiB, hwmKiB };
}

async function main(argv: string[]): Promise<void> {
  const [command, name, count, gapMs] = argv;
  let result: DriverResult | DriverListing;
  if (command === 'list') {
    const agent = await loadAgent();
    result = {
      platform: process.platform,
      collectors: agent.collectorsFor(process.platform).map((c) => ({
        name: c.name,
        cadenceSeconds: c.cadenceSeconds,
        timeoutSeconds: c.timeoutSeconds,
      })),
    };
  } else if (
    command === 'cycles' &&
    name !== undefined &&
    /^\d+$/.test(count ?? '') &&
    /^\d+$/.test(gapMs ?? '')
  ) {
    result = await cycles(name, Number(count), Number(gapMs));
  } else {
    throw new Error('usage: agent-driver.js list | cycles <collector|-> <count> <gapMs>');
  }
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `agent-driver: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
