// `pnpm bench ingest`: how many reports per second a real collector process stores, next
// to a bare Fastify endpoint measured in the same run on the same machine; with a
// PostgreSQL server (`--database` or `--postgres`), also one and two collector processes
// on PostgreSQL, in the same run, each as a ratio to the same bare endpoint.
//
// Figures on a shared 2-core machine drift by well over 1.5× between runs, so the
// benchmark alternates bare and collector rounds (all see the same drift), reports
// medians, and judges the SQLite collector by its ratio to the bare endpoint as well as
// by an absolute floor (PostgreSQL's figures are informative: the database server shares
// the machine). It then checks that every acknowledged report was stored, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PREFIX } from '@vcio/shared';
import { ReportBodies, type BodyKind, type EnrolledAgent } from './ingest-bodies.js';
import {
  externalPostgres,
  maskPassword,
  postgresCounts,
  startBenchPostgres,
  type BenchPostgres,
} from './ingest-postgres.js';
import {
  Checks,
  combineLoads,
  errorStatuses,
  logSummary,
  medianRound,
  perCoreSecond,
  refusalWarning,
  roundTable,
  type Round,
  type TargetName,
} from './ingest-results.js';
import {
  enrollAgents,
  startBareServer,
  startCollector,
  startPostgresCollector,
  type Collector,
  type CollectorProcess,
} from './ingest-setup.js';
import {
  apiHostTotal,
  checkStored,
  checkStoredPostgres,
  newLedger,
  type Ledger,
  type StoredCheck,
} from './ingest-verify.js';
import { intOption, parseBenchArgs, UsageError } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { runLoad } from './support/load.js';
import { cpuSeconds, fileBytes, machineBusySeconds, rssMiB, UsageSampler } from './support/proc.js';
import { fixed, int, machineLines, mib } from './support/report.js';
import type { Service } from './support/service.js';

/** The targets: the SQLite collector keeps at least half the bare rate, and 2,000 reports/s. */
const MIN_RATIO = 0.5;
const MIN_RATE = 2_000;

export const usage = `usage: pnpm bench ingest [options]

Starts a real collector on a temporary data directory, enrolls simulated agents
through the API, and loads it with fresh ~2 KB performance reports (a new report id
each time, agents in turn), alternating rounds with a bare Fastify endpoint that
only parses JSON. Prints each round and the medians, checks the targets
(collector >= ${MIN_RATIO} x bare and >= ${int(MIN_RATE)} reports/s), then checks that every
report answered 202 is in the database, once.

With --database or --postgres, the same rounds also run against collectors on
PostgreSQL: one collector, and (--collectors 2) two collector processes on the one
database with the connections split between them. Their figures are printed as
ratios to the same bare endpoint, without a target; the stored check covers them.

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
                     (SQLite only)
  --database URL     also measure collectors on this PostgreSQL database
                     (postgres://...; it must be empty: the first collector bootstraps it)
  --postgres         also measure collectors on a throwaway PostgreSQL cluster started
                     for the run (initdb into a temporary directory; needs PostgreSQL)
  --postgres-fsync F on (default: fsync and synchronous commit, as in production) or
                     off (the store's own work, without waiting for the disk); --postgres only
  --collectors N     PostgreSQL collectors: 1, or 2 (default: one, then two on one database)
  -h, --help         this text

Exit status: 0 targets met and checks passed; 1 a target missed or a check failed
(a non-2xx from a collector, a lost or twice-stored report); 2 a bad command line.`;

interface Options {
  agents: number;
  duration: number;
  connections: number;
  rounds: number;
  warmup: number;
  gzip: boolean;
  synchronous: 'normal' | 'full';
  bodies: BodyKind;
  /** PostgreSQL: none, a throwaway cluster, or the caller's URL */
  postgres: { kind: 'none' } | { kind: 'throwaway'; fsync: boolean } | { kind: 'url'; url: string };
  collectors: 1 | 2;
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
    database: { type: 'string' },
    postgres: { type: 'boolean', default: false },
    'postgres-fsync': { type: 'string' },
    collectors: { type: 'string' },
  });
  if (values.bodies !== 'performance' && values.bodies !== 'state') {
    throw new UsageError(`--bodies '${values.bodies}' must be performance or state`);
  }
  if (values.synchronous !== 'normal' && values.synchronous !== 'full') {
    throw new UsageError(`--synchronous '${values.synchronous}' must be normal or full`);
  }
  const postgres = postgresOption(values);
  if (postgres.kind !== 'none' && values.bodies === 'state') {
    throw new UsageError('--bodies state measures SQLite only: leave out --database/--postgres');
  }
  if (postgres.kind === 'none' && values.collectors !== undefined) {
    throw new UsageError('--collectors needs --database or --postgres');
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
    postgres,
    collectors: intOption('collectors', values.collectors, 2, 1, 2) as 1 | 2,
  };
}

function postgresOption(values: {
  database?: string;
  postgres: boolean;
  'postgres-fsync'?: string;
}): Options['postgres'] {
  const fsync = values['postgres-fsync'];
  if (fsync !== undefined && fsync !== 'on' && fsync !== 'off') {
    throw new UsageError(`--postgres-fsync '${fsync}' must be on or off`);
  }
  if (values.database !== undefined) {
    if (values.postgres) throw new UsageError('--database and --postgres: give one of them');
    if (fsync !== undefined) {
      throw new UsageError('--postgres-fsync applies to --postgres (your server has its own)');
    }
    if (!/^postgres(ql)?:\/\//.test(values.database)) {
      throw new UsageError(
        `--database '${maskPassword(values.database)}' must be a postgres:// or postgresql:// URL`,
      );
    }
    return { kind: 'url', url: values.database };
  }
  if (values.postgres) return { kind: 'throwaway', fsync: fsync !== 'off' };
  if (fsync !== undefined) throw new UsageError('--postgres-fsync needs --postgres');
  return { kind: 'none' };
}

/** A server the rounds load: the bare endpoint, or one or two collectors on one database. */
interface Target {
  name: TargetName;
  services: Service[];
  path: string;
  /** where a round's answers are booked (the bare endpoint: a fresh book each round) */
  ledger: () => Ledger;
  /** a file whose peak size each round records (SQLite's WAL) */
  watchFile: string | null;
  bodies: ReportBodies;
}

/** Collectors on PostgreSQL: the first bootstrapped the database; both share its agents. */
interface PostgresSide {
  database: BenchPostgres;
  collectors: CollectorProcess[];
  agents: EnrolledAgent[];
  ledger: Ledger;
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  installCleanupHandlers();
  const postgresTargets = options.postgres.kind === 'none' ? 0 : options.collectors;
  const targets = (options.bodies === 'state' ? 3 : 2) + postgresTargets;
  // state: plus up to 30 s settling after each collector round
  const settleSeconds = options.bodies === 'state' ? 2 * 30 * (options.rounds + 1) : 0;
  const loadSeconds =
    targets * (options.rounds * options.duration + options.warmup) + settleSeconds;
  // Generous: the load itself plus two minutes for start, enrollment and checks (three
  // with PostgreSQL: a cluster to start, a second enrollment, a database to read back).
  const spareSeconds = postgresTargets > 0 ? 180 : 120;
  const stopWatchdog = startWatchdog((loadSeconds + spareSeconds) * 1000, 'pnpm bench ingest');
  try {
    return await bench(options);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

function postgresDescription(options: Options): string {
  const pg = options.postgres;
  if (pg.kind === 'none') return '';
  const where = pg.kind === 'url' ? 'on --database' : `fsync ${pg.fsync ? 'on' : 'off'}`;
  return `; PostgreSQL (${where}) with ${options.collectors === 2 ? '1 and 2 collectors' : '1 collector'}`;
}

async function bench(options: Options): Promise<number> {
  console.log('vcio ingest benchmark');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  ${options.agents} agents, ${options.connections} connections (pipelining 1), ` +
      `${options.rounds} × ${options.duration} s rounds per target after ${options.warmup} s ` +
      `warm-up, ${options.gzip ? 'gzip' : 'plain JSON'} bodies, synchronous=${options.synchronous}` +
      (options.bodies === 'state' ? ', performance and state bodies' : '') +
      postgresDescription(options),
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
  const postgres = await startPostgresSide(options, dir);
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
  const targets: Target[] = [
    { name: 'bare', services: [bare], path: '/', ledger: newLedger, watchFile: null, bodies },
    {
      name: 'sqlite',
      services: [collector.service],
      path: `${API_PREFIX}/reports`,
      ledger: () => ledger,
      watchFile: collector.walPath,
      bodies,
    },
    ...postgresTargets(postgres, options.gzip),
  ];
  const measure = roundRunner(options);
  const stateRounds = new Set<Round>();
  const rounds = await runRounds(options, targets, measure, stateBodies, stateRounds, collector);
  const measured = rounds.filter((r) => r.round !== 'warm-up');
  const medians = new Map<TargetName, Round>();
  const table = roundTable();
  for (const target of targets) {
    const median = medianRound(
      measured.filter((r) => !stateRounds.has(r)),
      target.name,
    );
    medians.set(target.name, median);
    console.log(table.row(median));
  }
  const stateMedian = stateBodies
    ? {
        ...medianRound(
          measured.filter((r) => stateRounds.has(r)),
          'sqlite',
        ),
        round: 'med st',
      }
    : null;
  if (stateMedian) {
    console.log(table.row(stateMedian));
    console.log("(rounds 'N st' and 'med st': reports with state sections)");
  }
  console.log('(median rows: medians of the rounds; non-2xx and errors are totals)');
  if (postgres) {
    console.log(
      '(postgres×2: two collectors, half the connections each; latency is the worse of the two, ' +
        "cpu % their sum, RSS the larger; the PostgreSQL server's CPU is in other cpu %)",
    );
  }

  // Checks, while the collectors still run, then after they have stopped.
  const checks = new Checks();
  const sqliteRounds = rounds.filter((r) => r.target === 'sqlite');
  await checkRunning(checks, 'sqlite', collector, agents.length, sqliteRounds);
  const postgresRounds = rounds.filter((r) => r.target.startsWith('postgres'));
  if (postgres) {
    await checkRunning(checks, 'postgres', postgres.collectors[0]!, agents.length, postgresRounds);
  }
  const walAtEnd = fileBytes(collector.walPath);
  const rssAfter = rssMiB(collector.service.pid) ?? NaN;
  await checkStop(checks, collector.service);
  for (const c of postgres?.collectors ?? []) await checkStop(checks, c.service);
  await bare.stop();
  checkDatabase(checks, 'sqlite', () => checkStored(collector.dbPath, ledger), ledger, {
    maxInFlight: options.connections * sqliteRounds.length,
  });
  if (postgres) {
    checkDatabase(
      checks,
      'postgres',
      () => checkStoredPostgres(postgres.database.url, postgres.ledger),
      postgres.ledger,
      { maxInFlight: options.connections * postgresRounds.length },
    );
  }

  console.log('\nchecks:');
  for (const line of checks.lines()) console.log(`  ${line}`);
  console.log('\ncollector (sqlite):');
  console.log(
    `  RSS ${fixed(idleRss)} MiB idle before load; peak per round ` +
      `${sqliteRounds
        .filter((r) => r.round !== 'warm-up')
        .map((r) => fixed(r.peakRssMiB))
        .join(', ')} MiB; ${fixed(rssAfter)} MiB after load`,
  );
  console.log(
    `  WAL peak ${mib(Math.max(...sqliteRounds.map((r) => r.peakFileBytes)))} during the rounds, ` +
      `${mib(walAtEnd)} at the end of load, ${mib(fileBytes(collector.walPath))} after shutdown; ` +
      `database ${mib(fileBytes(collector.dbPath))}`,
  );
  console.log(`  log: ${logSummary(collector.service.logLines())}`);
  if (postgres) printPostgres(postgres);
  return verdict(medians, checks, stateMedian);
}

/** The PostgreSQL server, its first collector (which bootstraps it), agents, a second. */
async function startPostgresSide(options: Options, dir: string): Promise<PostgresSide | null> {
  const pg = options.postgres;
  if (pg.kind === 'none') return null;
  const database = pg.kind === 'url' ? externalPostgres(pg.url) : startBenchPostgres(pg.fsync);
  console.log(`         ${database.description}`);
  const first = await startPostgresCollector(dir, 'pg-a', database.url);
  const enrollStart = performance.now();
  const agents = await enrollAgents(first.service.url, first.enrollToken, options.agents);
  const collectors = [first];
  if (options.collectors === 2) {
    collectors.push(await startPostgresCollector(dir, 'pg-b', database.url, first));
  }
  console.log(
    `         collectors on PostgreSQL ${collectors
      .map((c) => `${c.service.url} (pid ${c.service.pid})`)
      .join(' and ')}; enrolled ${agents.length} agents in ` +
      `${fixed((performance.now() - enrollStart) / 1000, 2)} s`,
  );
  return { database, collectors, agents, ledger: newLedger() };
}

function postgresTargets(postgres: PostgresSide | null, gzip: boolean): Target[] {
  if (!postgres) return [];
  const bodies = new ReportBodies(postgres.agents, gzip);
  const target = (name: TargetName, services: Service[]): Target => ({
    name,
    services,
    path: `${API_PREFIX}/reports`,
    ledger: () => postgres.ledger,
    watchFile: null,
    bodies,
  });
  const services = postgres.collectors.map((c) => c.service);
  return [
    target('postgres', services.slice(0, 1)),
    ...(services.length > 1 ? [target('postgres×2', services)] : []),
  ];
}

function printPostgres(postgres: PostgresSide): void {
  let size = 'unknown';
  try {
    size = mib(postgresCounts(postgres.database.url).bytes);
  } catch (error) {
    size = `unknown (${String(error)})`;
  }
  console.log('\ncollectors (postgres):');
  console.log(`  database ${size} (pg_database_size) after the rounds`);
  for (const c of postgres.collectors) {
    console.log(`  ${c.service.name} log: ${logSummary(c.service.logLines())}`);
  }
}

/** Measures one round against one target: load, the servers' CPU and memory, the rest. */
function roundRunner(
  options: Options,
): (target: Target, seconds: number, label: string, source?: ReportBodies) => Promise<Round> {
  // Every target gets the generator's exact per-request work, ledger included, so the
  // generator's CPU is the same on both sides of a ratio; only the collectors' is kept.
  return async (target, seconds, label, source = target.bodies) => {
    const book = target.ledger();
    const samplers = target.services.map(
      (service, i) => new UsageSampler(service.pid, i === 0 ? target.watchFile : null),
    );
    const busyBefore = machineBusySeconds();
    const wallBefore = performance.now();
    for (const sampler of samplers) sampler.start();
    // Two collectors: the connections split between them, as a load balancer would.
    const n = target.services.length;
    const loads = await Promise.all(
      target.services.map((service, i) =>
        runLoad({
          url: service.url,
          path: target.path,
          durationSeconds: seconds,
          connections: Math.floor(options.connections / n) + (i < options.connections % n ? 1 : 0),
          next: () => {
            const request = source.next();
            book.sent.add(request.id);
            return request;
          },
          onAnswer: (id, status) =>
            (status >= 200 && status < 300 ? book.acknowledged : book.rejected).add(id),
        }),
      ),
    );
    const usages = samplers.map((s) => s.stop());
    const load = combineLoads(loads);
    const usage = {
      cpuPercent: usages.reduce((a, u) => a + u.cpuPercent, 0),
      peakRssMiB: Math.max(...usages.map((u) => u.peakRssMiB)),
      lastRssMiB: Math.max(...usages.map((u) => u.lastRssMiB)),
      peakFileBytes: usages[0]!.peakFileBytes,
    };
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    const busyPercent = ((machineBusySeconds() - busyBefore) / wallSeconds) * 100;
    const otherCpuPercent = Math.max(0, busyPercent - usage.cpuPercent - load.generatorCpuPercent);
    return { ...load, ...usage, otherCpuPercent, round: label, target: target.name };
  };
}

/** Warm-up (the first seconds of a fresh process run cold code), then every target in
 * turn each round, each printed as it completes. Returns them all, warm-up included. */
async function runRounds(
  options: Options,
  targets: Target[],
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
    if (stateBodies && round.target === 'sqlite') {
      const { seconds, cpu } = await settle(collector.service.pid);
      console.log(
        `         (round ${round.round}: collector busy ${fixed(seconds, 1)} s more, ` +
          `${fixed(cpu, 2)} CPU s, before it went quiet)`,
      );
    }
    return round;
  };
  const sqlite = targets.find((t) => t.name === 'sqlite')!;
  const measureState = async (seconds: number, label: string) => {
    const round = await measure(sqlite, seconds, label, stateBodies!);
    stateRounds.add(round);
    return settled(round);
  };
  const oneOfEach = async (seconds: number, label: string) => {
    for (const target of targets) {
      record(await settled(await measure(target, seconds, label)));
      if (stateBodies && target === sqlite) {
        record(await measureState(seconds, label === 'warm-up' ? label : `${label} st`));
      }
    }
  };
  if (options.warmup > 0) {
    console.log(`\nwarm-up: ${options.warmup} s per target, not counted`);
    await oneOfEach(options.warmup, 'warm-up');
  }
  console.log(`\n${table.header()}`);
  for (let r = 1; r <= options.rounds; r++) await oneOfEach(options.duration, String(r));
  return rounds;
}

/** Through the API while the collector runs: its hosts, and what it answered. */
async function checkRunning(
  checks: Checks,
  store: string,
  collector: CollectorProcess,
  agents: number,
  rounds: Round[],
): Promise<void> {
  const hosts = await apiHostTotal(collector.service.url, collector.adminToken).catch(String);
  checks.add(
    `${store}: GET ${API_PREFIX}/hosts total = ${hosts} (expected ${agents}: a host per agent that reported)`,
    hosts === agents,
  );
  const non2xx = rounds.reduce((n, r) => n + r.non2xx, 0);
  const errors = rounds.reduce((n, r) => n + r.errors, 0);
  checks.add(
    `${store}: collectors answered ${int(non2xx)} non-2xx${non2xx ? ` (${errorStatuses(rounds)})` : ''} ` +
      `and had ${int(errors)} connection errors/timeouts, warm-up included`,
    non2xx === 0 && errors === 0,
  );
}

async function checkStop(checks: Checks, service: Service): Promise<void> {
  const exit = await service.stop();
  checks.add(
    `${service.name} stopped on SIGTERM in ${int(exit.stopMs)} ms, exit code ${exit.code ?? exit.signal}`,
    exit.code === 0,
  );
}

/** What the stopped collectors' database holds, against what they acknowledged. */
function checkDatabase(
  checks: Checks,
  store: string,
  read: () => StoredCheck,
  ledger: Ledger,
  { maxInFlight }: { maxInFlight: number },
): void {
  let stored: StoredCheck;
  try {
    stored = read();
  } catch (error) {
    checks.add(`${store}: reading the database: ${String(error)}`, false);
    return;
  }
  checks.add(
    `${store}: ${int(ledger.acknowledged.size)} reports answered 2xx, ${int(stored.rows)} rows in ` +
      `reports (= 2xx + ${int(stored.inFlight)} in flight when a round stopped, at most ` +
      `${maxInFlight}); ${stored.missing} acknowledged but missing, ${stored.unknown} never sent, ` +
      `${stored.rejectedButStored} refused but stored, ${int(stored.rows - stored.distinct)} stored twice`,
    stored.missing === 0 &&
      stored.unknown === 0 &&
      stored.rejectedButStored === 0 &&
      stored.rows === stored.distinct &&
      stored.inFlight <= maxInFlight,
  );
  checks.add(
    `${store}: ${int(stored.samples)} performance_samples rows = reports rows`,
    stored.samples === stored.rows,
  );
}

/** The result lines and the exit code: 0 when SQLite's targets are met and every check passed. */
function verdict(medians: Map<TargetName, Round>, checks: Checks, state: Round | null): number {
  const bare = medians.get('bare')!;
  const collector = medians.get('sqlite')!;
  const ratio = collector.okPerSecond / bare.okPerSecond;
  console.log('\nresult:');
  console.log(
    `  sqlite ${int(collector.okPerSecond)} reports/s, bare ${int(bare.okPerSecond)}/s: ` +
      `ratio ${fixed(ratio, 2)} (target ≥ ${MIN_RATIO}); absolute target ≥ ${int(MIN_RATE)}/s`,
  );
  for (const name of ['postgres', 'postgres×2'] as const) {
    const round = medians.get(name);
    if (!round) continue;
    console.log(
      `  ${name} ${int(round.okPerSecond)} reports/s: ratio ${fixed(round.okPerSecond / bare.okPerSecond, 2)} ` +
        `to bare, ${fixed(round.okPerSecond / collector.okPerSecond, 2)} × sqlite (informative, no target)`,
    );
  }
  console.log(
    `  per second of one core of server CPU: sqlite ${int(perCoreSecond(collector))}, ` +
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
