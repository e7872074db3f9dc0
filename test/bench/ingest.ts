// `pnpm bench ingest`: how many reports per second a real collector process stores, next
// to a bare Fastify endpoint measured in the same run on the same machine.
//
// Figures on a shared 2-core machine drift by well over 1.5× between runs, so the
// benchmark alternates bare and collector rounds (both see the same drift), reports
// medians, and judges the collector by its ratio to the bare endpoint as well as by an
// absolute floor. It then checks that every acknowledged report was really stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PREFIX } from '@vcio/shared';
import { ReportBodies, type BodyKind } from './ingest-bodies.js';
import {
  Checks,
  errorStatuses,
  logSummary,
  medianRound,
  perCoreSecond,
  refusalWarning,
  roundTable,
  type Round,
  type TargetName,
} from './ingest-results.js';
import { enrollAgents, startBareServer, startCollector, type Collector } from './ingest-setup.js';
import { apiHostTotal, checkStored, newLedger, type Ledger } from './ingest-verify.js';
import { intOption, parseBenchArgs, UsageError } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { runLoad } from './support/load.js';
import { cpuSeconds, fileBytes, machineBusySeconds, rssMiB, UsageSampler } from './support/proc.js';
import { fixed, int, machineLines, mib } from './support/report.js';
import type { Service } from './support/service.js';

/** The targets: the collector keeps at least half the bare rate, and 2,000 reports/s. */
const MIN_RATIO = 0.5;
const MIN_RATE = 2_000;

export const usage = `usage: pnpm bench ingest [options]

Starts a real collector on a temporary data directory, enrolls simulated agents
through the API, and loads it with fresh ~2 KB performance reports (a new report id
each time, agents in turn), alternating rounds with a bare Fastify endpoint that
only parses JSON. Prints each round and the medians, checks the targets
(collector >= ${MIN_RATIO} x bare and >= ${int(MIN_RATE)} reports/s), then checks that every
report answered 202 is in the database.

options:
  --agents N         simulated agents to enroll            (default 200)
  --duration S       seconds per measured round            (default 10)
  --connections N    concurrent connections, pipelining 1  (default 50)
  --rounds N         measured rounds per target            (default 3)
  --warmup S         unmeasured seconds per target first   (default 2; 0 skips)
  --gzip             send gzip bodies (content-encoding: gzip)
  --synchronous M    the collector's SQLite mode: normal or full (default normal)
  --bodies B         performance (default) or state: also rounds whose reports carry
                     security and patches sections (each re-queues its host's posture
                     assessment at once), alternating with performance-only rounds;
                     after each collector round, waits for its CPU to settle
  -h, --help         this text

Exit status: 0 targets met and checks passed; 1 a target missed or a check failed
(a non-2xx from the collector, a lost report); 2 a bad command line.`;

interface Options {
  agents: number;
  duration: number;
  connections: number;
  rounds: number;
  warmup: number;
  gzip: boolean;
  synchronous: 'normal' | 'full';
  bodies: BodyKind;
}

function parseOptions(args: string[]): Options {
  const values = parseBenchArgs(args, {
    agents: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    gzip: { type: 'boolean', default: false },
    synchronous: { type: 'string', default: 'normal' },
    bodies: { type: 'string', default: 'performance' },
  });
  if (values.bodies !== 'performance' && values.bodies !== 'state') {
    throw new UsageError(`--bodies '${values.bodies}' must be performance or state`);
  }
  if (values.synchronous !== 'normal' && values.synchronous !== 'full') {
    throw new UsageError(`--synchronous '${values.synchronous}' must be normal or full`);
  }
  return {
    agents: intOption('agents', values.agents, 200, 1, 100_000),
    duration: intOption('duration', values.duration, 10, 1, 600),
    connections: intOption('connections', values.connections, 50, 1, 10_000),
    rounds: intOption('rounds', values.rounds, 3, 1, 100),
    warmup: intOption('warmup', values.warmup, 2, 0, 60),
    gzip: values.gzip,
    synchronous: values.synchronous,
    bodies: values.bodies,
  };
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  installCleanupHandlers();
  // Generous: the load itself plus two minutes for start, enrollment and checks.
  const targets = options.bodies === 'state' ? 3 : 2;
  // state: plus up to 30 s settling after each collector round
  const settleSeconds = options.bodies === 'state' ? 2 * 30 * (options.rounds + 1) : 0;
  const loadSeconds =
    targets * (options.rounds * options.duration + options.warmup) + settleSeconds;
  const stopWatchdog = startWatchdog((loadSeconds + 120) * 1000, 'pnpm bench ingest');
  try {
    return await bench(options);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

async function bench(options: Options): Promise<number> {
  console.log('vcio ingest benchmark');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  ${options.agents} agents, ${options.connections} connections (pipelining 1), ` +
      `${options.rounds} × ${options.duration} s rounds per target after ${options.warmup} s ` +
      `warm-up, ${options.gzip ? 'gzip' : 'plain JSON'} bodies, synchronous=${options.synchronous}` +
      (options.bodies === 'state' ? ', performance and state bodies' : ''),
  );

  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-ingest-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup({ name: `remove ${dir}`, graceful: async () => removeDir(), immediate: removeDir });

  const collector = await startCollector(dir, options.synchronous);
  const enrollStart = performance.now();
  const agents = await enrollAgents(collector.service.url, collector.enrollToken, options.agents);
  console.log(
    `setup:   collector ${collector.service.url} (pid ${collector.service.pid}); enrolled ` +
      `${agents.length} agents through the API in ${fixed((performance.now() - enrollStart) / 1000, 2)} s`,
  );
  const bare = await startBareServer(dir);
  const bodies = new ReportBodies(agents, options.gzip);
  const sizes = bodies.sizes();
  console.log(
    `         bare Fastify endpoint ${bare.url} (pid ${bare.pid}); report body ${int(sizes.json)} B JSON` +
      (options.gzip ? `, ${int(sizes.wire)} B gzipped on the wire` : ''),
  );
  const stateBodies =
    options.bodies === 'state' ? new ReportBodies(agents, options.gzip, 'state') : null;
  if (stateBodies) {
    const stateSizes = stateBodies.sizes();
    console.log(
      `         state report body (performance + security + patches) ${int(stateSizes.json)} B JSON` +
        (options.gzip ? `, ${int(stateSizes.wire)} B gzipped on the wire` : ''),
    );
  }
  const idleRss = rssMiB(collector.service.pid) ?? NaN;

  const ledger = newLedger();
  const measure = roundRunner(options, bodies, collector, bare, ledger);
  const stateRounds = new Set<Round>();
  const rounds = await runRounds(options, measure, stateBodies, stateRounds, collector);
  const measured = rounds.filter((r) => r.round !== 'warm-up');
  const collectorRounds = measured.filter((r) => r.target === 'collector');
  const medians = {
    bare: medianRound(measured, 'bare'),
    collector: medianRound(
      measured.filter((r) => !stateRounds.has(r)),
      'collector',
    ),
  };
  const table = roundTable();
  console.log(table.row(medians.bare));
  console.log(table.row(medians.collector));
  const stateMedian = stateBodies
    ? {
        ...medianRound(
          measured.filter((r) => stateRounds.has(r)),
          'collector',
        ),
        round: 'med st',
      }
    : null;
  if (stateMedian) {
    console.log(table.row(stateMedian));
    console.log("(rounds 'N st' and 'med st': reports with state sections)");
  }
  console.log('(median rows: medians of the rounds; non-2xx and errors are totals)');

  // Checks, while the collector still runs, then after it has stopped.
  const checks = new Checks();
  const hosts = await apiHostTotal(collector.service.url, collector.adminToken).catch(String);
  checks.add(
    `GET ${API_PREFIX}/hosts total = ${hosts} (expected ${agents.length}: a host per agent that reported)`,
    hosts === agents.length,
  );
  const allCollector = rounds.filter((r) => r.target === 'collector');
  const non2xx = allCollector.reduce((n, r) => n + r.non2xx, 0);
  const errors = allCollector.reduce((n, r) => n + r.errors, 0);
  checks.add(
    `collector answered ${int(non2xx)} non-2xx${non2xx ? ` (${errorStatuses(allCollector)})` : ''} ` +
      `and had ${int(errors)} connection errors/timeouts, warm-up included`,
    non2xx === 0 && errors === 0,
  );
  const walAtEnd = fileBytes(collector.walPath);
  const rssAfter = rssMiB(collector.service.pid) ?? NaN;
  const exit = await collector.service.stop();
  checks.add(
    `collector stopped on SIGTERM in ${int(exit.stopMs)} ms, exit code ${exit.code ?? exit.signal}`,
    exit.code === 0,
  );
  await bare.stop();
  checkDatabase(checks, collector, ledger, options.connections * allCollector.length);

  console.log('\nchecks:');
  for (const line of checks.lines()) console.log(`  ${line}`);
  console.log('\ncollector:');
  console.log(
    `  RSS ${fixed(idleRss)} MiB idle before load; peak per round ` +
      `${collectorRounds.map((r) => fixed(r.peakRssMiB)).join(', ')} MiB; ${fixed(rssAfter)} MiB after load`,
  );
  console.log(
    `  WAL peak ${mib(Math.max(...allCollector.map((r) => r.peakFileBytes)))} during the rounds, ` +
      `${mib(walAtEnd)} at the end of load, ${mib(fileBytes(collector.walPath))} after shutdown; ` +
      `database ${mib(fileBytes(collector.dbPath))}`,
  );
  console.log(`  log: ${logSummary(collector.service.logLines())}`);
  return verdict(medians.bare, medians.collector, checks, stateMedian);
}

/** Measures one round against one target: load, the server's CPU and memory, the rest. */
function roundRunner(
  options: Options,
  bodies: ReportBodies,
  collector: Collector,
  bare: Service,
  ledger: Ledger,
): (target: TargetName, seconds: number, label: string, source?: ReportBodies) => Promise<Round> {
  // Both targets get the generator's exact per-request work, ledger included, so the
  // generator's CPU is the same on both sides of the ratio; only the collector's is kept.
  const targets = {
    bare: { service: bare, path: '/', ledger: newLedger, wal: null },
    collector: {
      service: collector.service,
      path: `${API_PREFIX}/reports`,
      ledger: () => ledger,
      wal: collector.walPath,
    },
  };
  return async (target, seconds, label, source = bodies) => {
    const t = targets[target];
    const book = t.ledger();
    const sampler = new UsageSampler(t.service.pid, t.wal);
    const busyBefore = machineBusySeconds();
    const wallBefore = performance.now();
    sampler.start();
    const load = await runLoad({
      url: t.service.url,
      path: t.path,
      durationSeconds: seconds,
      connections: options.connections,
      next: () => {
        const request = source.next();
        book.sent.add(request.id);
        return request;
      },
      onAnswer: (id, status) =>
        (status >= 200 && status < 300 ? book.acknowledged : book.rejected).add(id),
    });
    const usage = sampler.stop();
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    const busyPercent = ((machineBusySeconds() - busyBefore) / wallSeconds) * 100;
    const otherCpuPercent = Math.max(0, busyPercent - usage.cpuPercent - load.generatorCpuPercent);
    return { ...load, ...usage, otherCpuPercent, round: label, target };
  };
}

/** Warm-up (the first seconds of a fresh process run cold code), then bare and collector
 * rounds in turn, each printed as it completes. Returns them all, warm-up included. */
async function runRounds(
  options: Options,
  measure: ReturnType<typeof roundRunner>,
  stateBodies: ReportBodies | null,
  stateRounds: Set<Round>,
  collector: Collector,
): Promise<Round[]> {
  const rounds: Round[] = [];
  const table = roundTable();
  const record = (round: Round) => {
    rounds.push(round);
    if (round.round !== 'warm-up') console.log(table.row(round));
    const warning = refusalWarning(round);
    if (warning) console.log(warning);
  };
  // state mode: the posture work a round's reports queued runs on after the round; it is
  // let finish (and reported) so that the next round, bare or not, does not pay for it.
  const settled = async (round: Round) => {
    if (stateBodies) {
      const { seconds, cpu } = await settle(collector.service.pid);
      console.log(
        `         (round ${round.round}: collector busy ${fixed(seconds, 1)} s more, ` +
          `${fixed(cpu, 2)} CPU s, before it went quiet)`,
      );
    }
    return round;
  };
  const measureState = async (seconds: number, label: string) => {
    const round = await measure('collector', seconds, label, stateBodies!);
    stateRounds.add(round);
    return settled(round);
  };
  if (options.warmup > 0) {
    console.log(`\nwarm-up: ${options.warmup} s per target, not counted`);
    record(await measure('bare', options.warmup, 'warm-up'));
    record(await settled(await measure('collector', options.warmup, 'warm-up')));
    if (stateBodies) record(await measureState(options.warmup, 'warm-up'));
  }
  console.log(`\n${table.header()}`);
  for (let r = 1; r <= options.rounds; r++) {
    record(await measure('bare', options.duration, String(r)));
    record(await settled(await measure('collector', options.duration, String(r))));
    if (stateBodies) record(await measureState(options.duration, `${r} st`));
  }
  return rounds;
}

/**
 * Waits until the collector's CPU stays under 5% of a core for two 250 ms windows in a
 * row (at most 30 s); returns how long that took and the CPU it used meanwhile.
 */
async function settle(pid: number): Promise<{ seconds: number; cpu: number }> {
  const started = performance.now();
  const cpuAtStart = cpuSeconds(pid);
  let before = cpuAtStart;
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < 30_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = cpuSeconds(pid);
    quiet = now - before < 0.0125 ? quiet + 1 : 0;
    before = now;
  }
  return { seconds: (performance.now() - started) / 1000, cpu: before - cpuAtStart };
}

/** What the stopped collector's database holds, against what it acknowledged. */
function checkDatabase(
  checks: Checks,
  collector: Collector,
  ledger: Ledger,
  maxInFlight: number,
): void {
  let stored;
  try {
    stored = checkStored(collector.dbPath, ledger);
  } catch (error) {
    checks.add(`reading the database: ${String(error)}`, false);
    return;
  }
  checks.add(
    `${int(ledger.acknowledged.size)} reports answered 2xx, ${int(stored.rows)} rows in reports ` +
      `(= 2xx + ${int(stored.inFlight)} in flight when a round stopped, at most ${maxInFlight}); ` +
      `${stored.missing} acknowledged but missing, ${stored.unknown} never sent, ` +
      `${stored.rejectedButStored} refused but stored`,
    stored.missing === 0 &&
      stored.unknown === 0 &&
      stored.rejectedButStored === 0 &&
      stored.inFlight <= maxInFlight,
  );
  checks.add(
    `${int(stored.samples)} performance_samples rows = reports rows`,
    stored.samples === stored.rows,
  );
}

/** The result lines and the exit code: 0 when both targets are met and every check passed. */
function verdict(bare: Round, collector: Round, checks: Checks, state: Round | null): number {
  const ratio = collector.okPerSecond / bare.okPerSecond;
  console.log('\nresult:');
  console.log(
    `  collector ${int(collector.okPerSecond)} reports/s, bare ${int(bare.okPerSecond)}/s: ` +
      `ratio ${fixed(ratio, 2)} (target ≥ ${MIN_RATIO}); absolute target ≥ ${int(MIN_RATE)}/s`,
  );
  console.log(
    `  per second of one core of server CPU: collector ${int(perCoreSecond(collector))}, ` +
      `bare ${int(perCoreSecond(bare))} ` +
      `(ratio ${fixed(perCoreSecond(collector) / perCoreSecond(bare), 2)}; informative, not a target)`,
  );
  if (bare.generatorCpuPercent > 90) {
    console.log(
      `  note: the load generator used ${fixed(bare.generatorCpuPercent)}% of a core in the bare ` +
        'rounds; the bare figure is partly limited by the generator, which flatters the ratio',
    );
  }
  const missed: string[] = [];
  if (state) {
    const stateRatio = state.okPerSecond / bare.okPerSecond;
    console.log(
      `  state reports: ${int(state.okPerSecond)} reports/s, ` +
        `${fixed(state.okPerSecond / collector.okPerSecond, 2)} × performance-only; ` +
        `ratio to bare ${fixed(stateRatio, 2)} (target ≥ ${MIN_RATIO})`,
    );
    if (!(stateRatio >= MIN_RATIO)) {
      missed.push(`state reports: ratio ${fixed(stateRatio, 2)} < ${MIN_RATIO}`);
    }
  }
  if (!(ratio >= MIN_RATIO)) missed.push(`ratio ${fixed(ratio, 2)} < ${MIN_RATIO}`);
  if (!(collector.okPerSecond >= MIN_RATE)) {
    missed.push(`${int(collector.okPerSecond)} reports/s < ${int(MIN_RATE)}`);
  }
  if (!checks.allPassed()) missed.push('a check failed (see checks)');
  console.log(missed.length === 0 ? '  PASS' : `  FAIL: ${missed.join('; ')}`);
  return missed.length === 0 ? 0 : 1;
}
