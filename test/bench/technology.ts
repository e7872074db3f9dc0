// `pnpm bench technology`: what the first GET /api/v1/tenants/:t/technology after a change
// of the tenant's software costs, and what it costs everyone else: how long the collector's
// main thread is held up while the software is grouped. Measured with the grouping on the
// main thread (the baseline, as the collector did before) and in the store's worker thread
// (the collector's default), in the same run, on the same database.
//
// The collector's store and server run in this process (loaded from collector/dist), so
// perf_hooks.monitorEventLoopDelay sees the collector's event loop. A cheap request
// (GET /api/v1/hosts?limit=1) is sent over and over from another thread while the
// technology request runs: its worst latency is what an agent's report or a console page
// waits meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { intOption, parseBenchArgs } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { fixed, int, machineLines, median, Table } from './support/report.js';
import {
  BENCH_TENANT,
  loadTechnologyCollector,
  seedTechnologyFleet,
  touchSoftware,
  type TechnologyCollectorModules,
} from './technology-setup.js';

export const usage = `usage: pnpm bench technology [options]

Seeds one tenant of hosts with their software lists into a temporary database, then,
with the collector's store and server in this process, times several rounds of: a
change to the tenant's software (one host's list), then the first
GET /api/v1/tenants/<t>/technology (the overview: the software is grouped again).
During each request GET /api/v1/hosts?limit=1 is sent again and again, and the event
loop's delay is recorded (perf_hooks.monitorEventLoopDelay). Twice, in one run:
  main     the grouping on the collector's main thread (the baseline)
  worker   the grouping in the store's worker thread (the collector's default)
Figures are medians over the rounds (the worker's first round includes starting it).

options:
  --hosts N        hosts in the tenant                 (default 500)
  --packages N     packages per host                   (default 1500)
  --rounds N       requests timed per mode             (default 5)
  --small          100 hosts × 300 packages, 3 rounds (a quick check)
  -h, --help       this text

Exit status: 0 every request answered 200 and, in the worker mode, the worst event-loop
delay stayed under half the median request time (the main thread was not the one
grouping); 1 otherwise; 2 a bad command line.`;

interface Options {
  hosts: number;
  packages: number;
  rounds: number;
}

export function parseOptions(args: string[]): Options {
  const values = parseBenchArgs(args, {
    hosts: { type: 'string' },
    packages: { type: 'string' },
    rounds: { type: 'string' },
    small: { type: 'boolean', default: false },
  });
  const small = values.small;
  return {
    hosts: intOption('hosts', values.hosts, small ? 100 : 500, 1, 100_000),
    packages: intOption('packages', values.packages, small ? 300 : 1500, 1, 20_000),
    rounds: intOption('rounds', values.rounds, small ? 3 : 5, 1, 100),
  };
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  installCleanupHandlers();
  const stopWatchdog = startWatchdog(30 * 60_000, 'pnpm bench technology');
  try {
    return await bench(options);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

interface Round {
  /** the technology request, ms to the last byte */
  requestMs: number;
  /** the same request again right after (served from the kept grouping) */
  cachedMs: number;
  /** the worst event-loop delay while the request ran, ms */
  loopDelayMs: number;
  /** the worst latency of the cheap requests sent meanwhile, ms */
  cheapMs: number;
  cheapCount: number;
  ok: boolean;
}

type Mode = 'main' | 'worker';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The cheap requests come from a thread of their own, as an agent's would come from
// another machine: a client on the collector's thread could not even send while the
// collector's thread is held up, and would see nothing of it.
const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
let polling = false;
parentPort.on('message', async (command) => {
  if (command === 'stop') { polling = false; return; }
  polling = true;
  let max = 0, count = 0, ok = true;
  while (polling) {
    const started = performance.now();
    try {
      const res = await fetch(workerData.url, { headers: { authorization: workerData.authorization } });
      await res.arrayBuffer();
      ok = ok && res.status === 200;
    } catch { ok = false; }
    max = Math.max(max, performance.now() - started);
    count++;
    await new Promise((r) => setTimeout(r, 25));
  }
  parentPort.postMessage({ max, count, ok });
});`;

interface PollResult {
  max: number;
  count: number;
  ok: boolean;
}

function startPoller(url: string, authorization: string) {
  const worker = new Worker(POLLER, { eval: true, workerData: { url, authorization } });
  return {
    start: () => worker.postMessage('start'),
    stop: () =>
      new Promise<PollResult>((resolve) => {
        worker.once('message', resolve);
        worker.postMessage('stop');
      }),
    close: () => worker.terminate(),
  };
}

async function timedGet(url: string, authorization: string): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  const res = await fetch(url, {
    headers: { authorization },
    signal: AbortSignal.timeout(300_000),
  });
  await res.arrayBuffer();
  return { ms: performance.now() - started, ok: res.status === 200 };
}

async function measureMode(
  modules: TechnologyCollectorModules,
  dataDir: string,
  mode: Mode,
  adminToken: string,
  rounds: number,
): Promise<Round[]> {
  const store = modules.openSqliteStore(dataDir, { technologyThread: mode });
  const app = modules.buildServer({
    config: { bodyLimitBytes: 1024 * 1024, tls: null },
    store,
    logger: modules.createLogger('silent'),
  });
  const stop = async () => {
    await app.close();
    await store.close();
  };
  const unregister = onCleanup({ name: `${mode} collector`, graceful: stop, immediate: () => {} });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const base = `http://127.0.0.1:${port}/api/v1`;
    const authorization = `Bearer ${adminToken}`;
    const technologyUrl = `${base}/tenants/${BENCH_TENANT}/technology`;
    const cheapUrl = `${base}/hosts?limit=1`;
    const out: Round[] = [];
    const poller = startPoller(cheapUrl, authorization);
    try {
      for (let round = 0; round < rounds; round++) {
        touchSoftware(store, round);
        const delay = monitorEventLoopDelay({ resolution: 5 });
        delay.enable();
        poller.start();
        // the histogram's first tick only starts its clock: a stall before it goes unseen
        await sleep(20);
        const request = await timedGet(technologyUrl, authorization);
        // and it records a stall when its timer finally runs: give it that turn
        await sleep(20);
        delay.disable();
        const cheap = await poller.stop();
        const cached = await timedGet(technologyUrl, authorization);
        out.push({
          requestMs: request.ms,
          cachedMs: cached.ms,
          loopDelayMs: delay.max / 1e6,
          cheapMs: cheap.max,
          cheapCount: cheap.count,
          ok: request.ok && cached.ok && cheap.ok,
        });
        await sleep(50);
      }
    } finally {
      await poller.close();
    }
    return out;
  } finally {
    unregister();
    await stop();
  }
}

async function bench(options: Options): Promise<number> {
  console.log('vcio technology benchmark: the first technology overview after a software change');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  ${int(options.hosts)} hosts × ${int(options.packages)} packages ` +
      `(${int(options.hosts * options.packages)} software rows) in one tenant; ` +
      `${options.rounds} rounds per mode`,
  );
  const modules = await loadTechnologyCollector();
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-technology-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup({ name: `remove ${dir}`, graceful: async () => removeDir(), immediate: removeDir });
  const dataDir = join(dir, 'data');

  // The first store bootstraps the database (its admin token) and holds the seeded rows.
  const seedStarted = performance.now();
  const setup = modules.openSqliteStore(dataDir, { technologyThread: 'main' });
  const secrets = await modules.bootstrapIfEmpty(setup, dataDir, modules.createLogger('silent'));
  seedTechnologyFleet(setup, { hosts: options.hosts, packagesPerHost: options.packages });
  await setup.close();
  console.log(`setup:   seeded in ${fixed((performance.now() - seedStarted) / 1000)} s`);
  if (!secrets) throw new Error('the new database was not bootstrapped');

  const table = new Table<{ mode: string; r: Round[] }>([
    { title: 'mode', value: (x) => x.mode, left: true, width: 8 },
    { title: 'first request ms', value: (x) => fixed(median(x.r.map((r) => r.requestMs))) },
    { title: 'worst loop delay ms', value: (x) => fixed(median(x.r.map((r) => r.loopDelayMs))) },
    { title: 'worst /hosts?limit=1 ms', value: (x) => fixed(median(x.r.map((r) => r.cheapMs))) },
    { title: 'cheap requests', value: (x) => int(median(x.r.map((r) => r.cheapCount))) },
    { title: 'cached ms', value: (x) => fixed(median(x.r.map((r) => r.cachedMs))) },
  ]);
  console.log('\n' + table.header());
  const results: Record<Mode, Round[]> = { main: [], worker: [] };
  for (const mode of ['main', 'worker'] as const) {
    results[mode] = await measureMode(modules, dataDir, mode, secrets.adminToken, options.rounds);
    console.log(table.row({ mode, r: results[mode] }));
  }
  console.log(
    '\n(medians over the rounds. first request: the overview right after a change, to the last ' +
      'byte. worst loop delay: the longest the main thread could not run a callback meanwhile. ' +
      'worst /hosts?limit=1: the slowest of the cheap requests sent meanwhile. cached: the ' +
      'same overview again, from the kept grouping.)',
  );

  console.log('\nchecks:');
  const all = [...results.main, ...results.worker];
  const failed = all.filter((r) => !r.ok).length;
  console.log(
    `  ${failed === 0 ? 'PASS' : 'FAIL'}  every request answered 200 (${failed} rounds did not)`,
  );
  const workerRequest = median(results.worker.map((r) => r.requestMs));
  const workerDelay = median(results.worker.map((r) => r.loopDelayMs));
  const offThread = workerDelay < workerRequest / 2;
  console.log(
    `  ${offThread ? 'PASS' : 'FAIL'}  worker: the main thread's worst delay ${fixed(workerDelay)} ms ` +
      `is under half the request's ${fixed(workerRequest)} ms`,
  );
  const mainDelay = median(results.main.map((r) => r.loopDelayMs));
  console.log(
    `  info  main-thread baseline: the loop held up ${fixed(mainDelay)} ms ` +
      `(${fixed(mainDelay / Math.max(workerDelay, 0.001), 0)}× the worker's)`,
  );
  return failed === 0 && offThread ? 0 : 1;
}
