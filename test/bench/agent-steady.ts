// Part 2 of `pnpm bench agent`: the real agent (`vcio-agent run`, default cadences)
// enrolled with a real collector, watched from outside for a while: its RSS every few
// seconds, its CPU (threads and the commands it waited for) at spawn, at the first report
// sent (the end of the start-up burst, when every collector runs at once) and at the end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AGENT_CLI, cleanEnv, runNode } from './agent-procs.js';
import {
  agentStartedUrl,
  sentReports,
  steadyFigures,
  type SteadyFigures,
  type SteadyObservations,
} from './agent-figures.js';
import { logSummary } from './ingest-results.js';
import type { Collector } from './ingest-setup.js';
import { machineBusySeconds } from './support/proc.js';
import { readStatus, totalCpuSeconds } from './support/procfs.js';
import { fixed, int, Table } from './support/report.js';
import { startService } from './support/service.js';

export interface SteadyRound extends SteadyFigures {
  round: string;
  agentId: string;
  reportsSent: number;
  /** sections of the reports sent after the start-up burst */
  steadySections: string[];
  /** the whole machine's busy CPU over the window, % of one core (200 % = 2 cores) */
  machineBusyPercent: number;
  exitCode: number | null;
  logSummary: string;
}

export interface SteadyOptions {
  durationSeconds: number;
  sampleSeconds: number;
}

const POLL_MS = 250;

export function steadyTable(): Table<SteadyRound> {
  return new Table<SteadyRound>([
    { title: 'round', value: (r) => r.round, left: true, width: 6 },
    { title: 'window s', value: (r) => int(r.windowSeconds), width: 8 },
    { title: 'reports sent', value: (r) => int(r.reportsSent) },
    { title: 'start-up s', value: (r) => fixed(r.burstSeconds, 1) },
    { title: 'start-up cpu s', value: (r) => fixed(r.burstCpuSeconds, 2) },
    { title: 'cpu % all', value: (r) => fixed(r.cpuPercentAll, 3) },
    { title: 'cpu % steady', value: (r) => fixed(r.cpuPercentSteady, 3) },
    { title: 'RSS median MiB', value: (r) => fixed(r.rssSteadyMedianMiB) },
    { title: 'RSS max MiB', value: (r) => fixed(r.rssSteadyMaxMiB) },
    { title: 'peak MiB', value: (r) => fixed(r.hwmMiB) },
    { title: 'machine busy %', value: (r) => fixed(r.machineBusyPercent) },
  ]);
}

async function enroll(dir: string, collector: Collector, stateDir: string): Promise<string> {
  const logFile = join(dir, 'agent-enroll.log');
  const run = await runNode({
    name: 'vcio-agent enroll',
    args: [
      AGENT_CLI,
      'enroll',
      ['--url', collector.service.url],
      ['--token', collector.enrollToken],
      ['--state-dir', stateDir],
    ].flat(),
    logFile,
    timeoutMs: 60_000,
  });
  if (run.code !== 0) {
    throw new Error(`vcio-agent enroll exited with ${run.code}:\n${readFileSync(logFile, 'utf8')}`);
  }
  const credentials = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as {
    agentId: string;
  };
  return credentials.agentId;
}

/** One round: a freshly enrolled agent, run at default cadences for the duration. */
export async function steadyRound(
  dir: string,
  collector: Collector,
  options: SteadyOptions,
  round: string,
): Promise<SteadyRound> {
  const stateDir = join(dir, `agent-state-${round}`);
  const agentId = await enroll(dir, collector, stateDir);
  const busyBefore = machineBusySeconds();
  const startedAt = performance.now();
  const agent = await startService({
    name: 'vcio-agent run',
    args: [AGENT_CLI, 'run', '--state-dir', stateDir],
    env: cleanEnv(),
    logFile: join(dir, `agent-run-${round}.log`),
    findUrl: agentStartedUrl,
    startTimeoutMs: 60_000,
  });
  const exited = { now: false };
  void agent.exited.then(() => (exited.now = true));

  const observations: SteadyObservations = {
    startedAt,
    burst: null,
    end: { at: NaN, cpuSeconds: NaN },
    rss: [],
    hwmKiB: NaN,
  };
  const endAt = startedAt + options.durationSeconds * 1000;
  let nextSample = performance.now();
  for (;;) {
    const now = performance.now();
    if (exited.now) {
      const lastLines = agent.logLines().slice(-20).join('\n  | ');
      throw new Error(`the agent exited during the round; its log ends:\n  | ${lastLines}`);
    }
    if (now >= endAt) break;
    // The start-up burst ends with the first report sent: every collector has run.
    if (observations.burst === null && sentReports(agent.logLines()).length > 0) {
      observations.burst = { at: now, cpuSeconds: totalCpuSeconds(agent.pid) };
    }
    if (now >= nextSample) {
      observations.rss.push({ at: now, kib: readStatus(agent.pid).rssKiB });
      nextSample += options.sampleSeconds * 1000;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, endAt - now)));
  }
  const endAtActual = performance.now();
  observations.end = { at: endAtActual, cpuSeconds: totalCpuSeconds(agent.pid) };
  observations.rss.push({ at: endAtActual, kib: readStatus(agent.pid).rssKiB });
  observations.hwmKiB = readStatus(agent.pid).hwmKiB;
  const busySeconds = machineBusySeconds() - busyBefore;

  const exit = await agent.stop();
  const lines = agent.logLines();
  const sent = sentReports(lines);
  const figures = steadyFigures(observations);
  // Reports sent after the burst: the log's clock is the wall clock, the samples' is
  // monotonic; the first report is the burst's, by definition.
  const steadySections = [...new Set(sent.slice(1).flatMap((r) => r.sections))];
  return {
    ...figures,
    round,
    agentId,
    reportsSent: sent.length,
    steadySections,
    machineBusyPercent: (busySeconds / ((endAtActual - startedAt) / 1000)) * 100,
    exitCode: exit.code,
    logSummary: logSummary(lines),
  };
}

/** Reports stored per agent id, read from the stopped collector's database. */
export function storedReports(dbPath: string, agentIds: readonly string[]): Map<string, number> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const count = db.prepare('SELECT count(*) AS n FROM reports WHERE agent_id = ?');
    return new Map(agentIds.map((id) => [id, (count.get(id) as { n: number }).n]));
  } finally {
    db.close();
  }
}
