// `pnpm bench overload`: a real collector under more load than it can store. It must shed
// the excess with 503 overloaded (and Retry-After) instead of queueing it, keep storing,
// and keep its memory bounded.
//
// Rounds alternate on the same collector process: "nominal" with fewer connections than
// its in-flight cap (nothing shed: its capacity at that concurrency), and "overload" with
// many times the cap's connections, so most requests are shed. autocannon is closed-loop
// (a connection sends its next request when the previous one is answered), so the offered
// load is what the connections manage to send: a shed answer is cheap and its connection
// comes straight back. On a 2-core machine the generator shares the cores with the
// collector, which caps the offered load (the figures say how much was offered). Results
// are medians per kind and their ratio (overload / nominal), within the same run. Every
// report answered 202 is then checked to be in the database, once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PREFIX } from '@vcio/shared';
import { ReportBodies, type BodyKind } from './ingest-bodies.js';
import { Checks, logSummary } from './ingest-results.js';
import { enrollAgents } from './ingest-setup.js';
import { checkStored, newLedger, type Ledger } from './ingest-verify.js';
import { intOption, parseBenchArgs, UsageError } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { runLoad, type LoadResult } from './support/load.js';
import { UsageSampler, type Usage } from './support/proc.js';
import { fixed, int, machineLines, median, Table } from './support/report.js';
import { startService, type Service } from './support/service.js';

const COLLECTOR_MAIN = fileURLToPath(new URL('../../../collector/dist/main.js', import.meta.url));

export const usage = `usage: pnpm bench overload [options]

Starts a real collector with a small in-flight cap and alternates rounds at nominal
load (the ingest benchmark's connections) with rounds at many times that load, all
to 127.0.0.1. Prints per round and as medians: reports accepted/s, shed (503) count
and share, p50/p99 latency of the accepted ones, the collector's peak RSS and CPU,
and the overload/nominal ratios. Then checks every 202 is stored exactly once.

options:
  --agents N           simulated agents to enroll                    (default 200)
  --duration S         seconds per measured round                    (default 10)
  --rounds N           measured rounds per kind                      (default 3)
  --nominal N          connections in the nominal rounds             (default 24)
  --overload N         connections in the overload rounds            (default 400)
  --max-in-flight N    the collector's --max-in-flight-reports       (default 32)
  --bodies B           performance (default): ~1.8 KB reports; state: they also carry
                       security and patches sections (the costliest to store)
  -h, --help           this text

Exit status: 0 checks passed; 1 a check failed (nothing shed under overload, a
status other than 202/503, a connection error, a lost or duplicated report); 2 a
bad command line.`;

interface Options {
  agents: number;
  duration: number;
  rounds: number;
  nominal: number;
  overload: number;
  maxInFlight: number;
  bodies: BodyKind;
}

type Kind = 'nominal' | 'overload';

interface Round extends LoadResult, Usage {
  label: string;
  kind: Kind;
  connections: number;
  shed: number;
}

function parseOptions(args: string[]): Options {
  const values = parseBenchArgs(args, {
    agents: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    nominal: { type: 'string' },
    overload: { type: 'string' },
    'max-in-flight': { type: 'string' },
    bodies: { type: 'string', default: 'performance' },
  });
  if (values.bodies !== 'performance' && values.bodies !== 'state') {
    throw new UsageError(`--bodies '${values.bodies}' must be performance or state`);
  }
  return {
    agents: intOption('agents', values.agents, 200, 1, 100_000),
    duration: intOption('duration', values.duration, 10, 1, 600),
    rounds: intOption('rounds', values.rounds, 3, 1, 100),
    nominal: intOption('nominal', values.nominal, 24, 1, 10_000),
    overload: intOption('overload', values.overload, 400, 1, 20_000),
    maxInFlight: intOption('max-in-flight', values['max-in-flight'], 32, 1, 1_000_000),
    bodies: values.bodies,
  };
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  installCleanupHandlers();
  const loadSeconds = 2 * options.rounds * options.duration + 4;
  const stopWatchdog = startWatchdog((loadSeconds + 120) * 1000, 'pnpm bench overload');
  try {
    return await bench(options);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

async function startCollector(dir: string, maxInFlight: number) {
  const dataDir = join(dir, 'data');
  const service = await startService({
    name: 'collector',
    args: [
      COLLECTOR_MAIN,
      ['--listen', '127.0.0.1:0'],
      ['--data-dir', dataDir],
      ['--log-level', 'info'],
      ['--max-in-flight-reports', String(maxInFlight)],
    ].flat(),
    // A VCIO_* variable left in the shell must not change what is measured.
    env: Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('VCIO_')),
    ),
    logFile: join(dir, 'collector.log'),
    findUrl: (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
        return typeof entry.msg === 'string' &&
          entry.msg.startsWith('vcio collector listening on') &&
          typeof entry.url === 'string'
          ? entry.url
          : null;
      } catch {
        return null;
      }
    },
  });
  const secrets = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as {
    enrollToken: string;
  };
  return { service, dbPath: join(dataDir, 'vcio.db'), enrollToken: secrets.enrollToken };
}

function roundTable(): Table<Round> {
  return new Table<Round>([
    { title: 'round', value: (r) => r.label, left: true, width: 9 },
    { title: 'conns', value: (r) => int(r.connections) },
    { title: 'accepted/s', value: (r) => int(r.okPerSecond) },
    { title: 'shed', value: (r) => int(r.shed) },
    { title: 'shed %', value: (r) => fixed(shedShare(r)) },
    { title: 'offered/s', value: (r) => int((r.ok + r.shed) / r.durationSeconds) },
    { title: 'p50 ms', value: (r) => fixed(r.p50Ms) },
    { title: 'p99 ms', value: (r) => fixed(r.p99Ms) },
    { title: 'peak RSS MiB', value: (r) => fixed(r.peakRssMiB) },
    { title: 'CPU %', value: (r) => int(r.cpuPercent) },
  ]);
}

const shedShare = (r: Round) => (r.ok + r.shed > 0 ? (100 * r.shed) / (r.ok + r.shed) : NaN);

function medianOf(rounds: Round[], kind: Kind): Round {
  const of = rounds.filter((r) => r.kind === kind);
  const m = (pick: (r: Round) => number) => median(of.map(pick));
  return {
    ...of[0]!,
    label: `med ${kind === 'nominal' ? 'nom' : 'over'}`,
    okPerSecond: m((r) => r.okPerSecond),
    ok: m((r) => r.ok),
    shed: m((r) => r.shed),
    durationSeconds: m((r) => r.durationSeconds),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    peakRssMiB: m((r) => r.peakRssMiB),
    cpuPercent: m((r) => r.cpuPercent),
  };
}

async function bench(options: Options): Promise<number> {
  console.log('vcio overload benchmark');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  ${options.agents} agents; nominal ${options.nominal} connections, overload ` +
      `${options.overload} connections (pipelining 1); collector --max-in-flight-reports ` +
      `${options.maxInFlight}; ${options.rounds} × ${options.duration} s rounds per kind`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-overload-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup({ name: `remove ${dir}`, graceful: async () => removeDir(), immediate: removeDir });

  const collector = await startCollector(dir, options.maxInFlight);
  const agents = await enrollAgents(collector.service.url, collector.enrollToken, options.agents);
  const bodies = new ReportBodies(agents, false, options.bodies);
  console.log(
    `setup:   collector ${collector.service.url} (pid ${collector.service.pid}), ` +
      `${agents.length} agents enrolled; ${options.bodies} report body ${int(bodies.sizes().json)} B JSON\n`,
  );

  const ledger = newLedger();
  const measure = roundRunner(collector.service, bodies, ledger);
  const table = roundTable();
  // Warm-up: cold code in a fresh process would flatter nobody.
  await measure('nominal', options.nominal, 2, 'warm-up');
  console.log(table.header());
  const rounds: Round[] = [];
  for (let i = 1; i <= options.rounds; i++) {
    for (const [kind, connections] of [
      ['nominal', options.nominal],
      ['overload', options.overload],
    ] as const) {
      const round = await measure(kind, connections, options.duration, `${i} ${kind.slice(0, 4)}`);
      rounds.push(round);
      console.log(table.row(round));
    }
  }
  const nominal = medianOf(rounds, 'nominal');
  const overload = medianOf(rounds, 'overload');
  console.log(table.row(nominal));
  console.log(table.row(overload));
  console.log('(median rows: medians of the rounds; offered/s = accepted + shed per second)');
  console.log(
    `\noverload / nominal: accepted/s ${fixed(overload.okPerSecond / nominal.okPerSecond, 2)}, ` +
      `p99 ${fixed(overload.p99Ms / nominal.p99Ms, 2)}, peak RSS ${fixed(overload.peakRssMiB / nominal.peakRssMiB, 2)}; ` +
      `offered ${fixed((overload.ok + overload.shed) / overload.durationSeconds / nominal.okPerSecond, 1)}× ` +
      `the nominal accepted rate`,
  );

  const checks = new Checks();
  const overloadRounds = rounds.filter((r) => r.kind === 'overload');
  checks.add(
    `every overload round shed reports (${overloadRounds.map((r) => int(r.shed)).join(', ')})`,
    overloadRounds.every((r) => r.shed > 0),
  );
  const others = rounds.flatMap((r) =>
    Object.keys(r.statuses).filter((s) => s !== '202' && s !== '503'),
  );
  checks.add(
    `only 202 and 503 answers${others.length ? ` (also: ${[...new Set(others)].join(', ')})` : ''}`,
    others.length === 0,
  );
  const errors = rounds.reduce((n, r) => n + r.errors + r.timeouts, 0);
  checks.add(`${int(errors)} connection errors or timeouts`, errors === 0);
  const exit = await collector.service.stop();
  checks.add(
    `collector stopped on SIGTERM, exit code ${exit.code ?? exit.signal}`,
    exit.code === 0,
  );
  const stored = checkStored(collector.dbPath, ledger);
  checks.add(
    `${int(ledger.acknowledged.size)} reports answered 202, ${int(stored.rows)} stored: ` +
      `${stored.missing} lost, ${stored.unknown} unknown, ${stored.rejectedButStored} shed yet stored`,
    stored.missing === 0 && stored.unknown === 0 && stored.rejectedButStored === 0,
  );
  console.log('\nchecks:');
  for (const line of checks.lines()) console.log(`  ${line}`);
  console.log(`collector log: ${logSummary(collector.service.logLines())}`);
  return checks.allPassed() ? 0 : 1;
}

function roundRunner(service: Service, bodies: ReportBodies, ledger: Ledger) {
  return async (kind: Kind, connections: number, seconds: number, label: string) => {
    const sampler = new UsageSampler(service.pid);
    sampler.start();
    const load = await runLoad({
      url: service.url,
      path: `${API_PREFIX}/reports`,
      durationSeconds: seconds,
      connections,
      next: () => {
        const request = bodies.next();
        ledger.sent.add(request.id);
        return request;
      },
      onAnswer: (id, status) =>
        (status >= 200 && status < 300 ? ledger.acknowledged : ledger.rejected).add(id),
    });
    const usage = sampler.stop();
    return {
      ...load,
      ...usage,
      label,
      kind,
      connections,
      shed: load.statuses['503'] ?? 0,
    } satisfies Round;
  };
}
