// `pnpm bench metrics`: how long a real collector process takes to answer GET /metrics
// with 1,000, 10,000 and 50,000 hosts in its database, cache miss (cold: the fleet and
// per-host figures are read from SQLite and rendered) and cache hit (warm), next to a
// baseline measured in the same run (the same scrape with no hosts).
//
// Hosts are seeded straight into the collector's SQLite database (the collector's own
// schema, through a second connection, as the collector runs): a host row, its latest
// performance sample, a patches section and a few pending updates each, spread over
// tenants. Enrolling and ingesting 50,000 agents through HTTP would take minutes and
// measure ingest, which `pnpm bench ingest` does.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { samplePerformance } from '@vcio/shared/testing';
import { intOption, parseBenchArgs, UsageError } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { rssMiB } from './support/proc.js';
import { fixed, int, machineLines, median, mib, Table } from './support/report.js';
import { startService } from './support/service.js';

const COLLECTOR_MAIN = fileURLToPath(new URL('../../../collector/dist/main.js', import.meta.url));
/** The target: under 250 ms to render /metrics at 10,000 hosts on this machine. */
const TARGET_MS = 250;
const TARGET_HOSTS = 10_000;

export const usage = `usage: pnpm bench metrics [options]

Starts two real collectors on one temporary database, seeds hosts into it (a host
row, a performance sample, a patches section and pending updates each), and times
GET /metrics over HTTP, median of several scrapes per size, next to the same scrapes
with no hosts, measured first:
  cold   a collector with --metrics-cache-seconds 0: every scrape waits for a fresh
         read and render of the fleet (in its worker thread)
  warm   a collector with a long cache: scrapes are served from the rendered text
While the cold scrapes run, GET /healthz is polled on that collector: its worst
latency shows how long the main thread (ingest, API) was held up.
Check (the issue's target, which allows a cache between scrapes): the scrape as a
collector with its default cache serves it (warm) at ${int(TARGET_HOSTS)} hosts under ${TARGET_MS} ms. The
cold figure is printed beside it, not checked: it is the cost of a fresh render, which
the default configuration pays in the worker thread, at most once per cache period.

options:
  --sizes A,B,C      host counts, ascending        (default 1000,10000,50000)
  --rounds N         scrapes per size and kind     (default 5)
  --tenants N        tenants the hosts spread over (default 20)
  --per-host MODE    the collector's --metrics-per-host: on, off or a cap (default on)
  -h, --help         this text

Exit status: 0 target met (or ${int(TARGET_HOSTS)} not among the sizes); 1 target missed or a
scrape failed; 2 a bad command line.`;

interface Options {
  sizes: number[];
  rounds: number;
  tenants: number;
  perHost: string;
}

function parseOptions(args: string[]): Options {
  const values = parseBenchArgs(args, {
    sizes: { type: 'string', default: '1000,10000,50000' },
    rounds: { type: 'string' },
    tenants: { type: 'string' },
    'per-host': { type: 'string', default: 'on' },
  });
  const sizes = values.sizes.split(',').map((s) => intOption('sizes', s.trim(), 0, 1, 500_000));
  if (sizes.some((s, i) => i > 0 && s <= sizes[i - 1]!)) {
    throw new UsageError(`--sizes '${values.sizes}' must be ascending`);
  }
  if (!/^(on|off|\d+)$/.test(values['per-host'])) {
    throw new UsageError(`--per-host '${values['per-host']}' must be on, off or a number`);
  }
  return {
    sizes,
    rounds: intOption('rounds', values.rounds, 5, 1, 100),
    tenants: intOption('tenants', values.tenants, 20, 1, 1000),
    perHost: values['per-host'],
  };
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  installCleanupHandlers();
  const stopWatchdog = startWatchdog(30 * 60_000, 'pnpm bench metrics');
  try {
    return await bench(options);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

interface Scrape {
  ms: number;
  bytes: number;
  /** the collector's own figure: reading and rendering the fleet part (cold scrapes) */
  fleetMs: number;
  status: number;
}

async function scrape(url: string): Promise<Scrape> {
  const started = performance.now();
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(60_000) });
  const body = await response.text();
  const ms = performance.now() - started;
  const read = /^vcio_metrics_fleet_read_duration_seconds (\S+)$/m.exec(body);
  return {
    ms,
    bytes: Buffer.byteLength(body),
    fleetMs: read ? Number(read[1]) * 1000 : NaN,
    status: response.status,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  hosts: string;
  coldMs: number;
  fleetMs: number;
  warmMs: number;
  stallMs: number;
  ratio: number;
  body: string;
  rss: string;
}

/** Cold scrapes on one collector while its /healthz is polled; warm ones on the other. */
async function measure(
  coldUrl: string,
  warmUrl: string,
  rounds: number,
): Promise<{ cold: Scrape[]; warm: Scrape[]; stallMs: number }> {
  const cold: Scrape[] = [];
  const warm: Scrape[] = [];
  let stallMs = 0;
  await scrape(warmUrl); // fills its cache
  for (let i = 0; i < rounds; i++) {
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const started = performance.now();
        await fetch(`${coldUrl}/healthz`).then((r) => r.arrayBuffer());
        stallMs = Math.max(stallMs, performance.now() - started);
        await sleep(5);
      }
    })();
    cold.push(await scrape(coldUrl));
    polling = false;
    await poller;
    warm.push(await scrape(warmUrl));
  }
  return { cold, warm, stallMs };
}

async function bench(options: Options): Promise<number> {
  console.log('vcio metrics benchmark: GET /metrics render time');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  sizes ${options.sizes.map(int).join(', ')} hosts over ${options.tenants} tenants; ` +
      `${options.rounds} cold + ${options.rounds} warm scrapes per size; --metrics-per-host ${options.perHost}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-metrics-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup({ name: `remove ${dir}`, graceful: async () => removeDir(), immediate: removeDir });
  const dataDir = join(dir, 'data');
  const start = (name: string, cacheSeconds: number) =>
    startService({
      name,
      args: [
        COLLECTOR_MAIN,
        ['--listen', '127.0.0.1:0'],
        ['--data-dir', dataDir],
        ['--log-level', 'info'],
        ['--metrics-cache-seconds', String(cacheSeconds)],
        ['--metrics-per-host', options.perHost],
      ].flat(),
      // A VCIO_* variable left in the shell must not change what is measured.
      env: Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('VCIO_')),
      ),
      logFile: join(dir, `${name}.log`),
      findUrl: collectorUrl,
      startTimeoutMs: 30_000,
    });
  const service = await start('cold-collector', 0);
  let warmService = await start('warm-collector', 3600);
  console.log(
    `setup:   cold collector ${service.url} (pid ${service.pid}, --metrics-cache-seconds 0); ` +
      `warm collector (pid ${warmService.pid}, cache 3600 s); one database`,
  );

  const table = new Table<Row>([
    { title: 'hosts', value: (r) => r.hosts, left: true, width: 9 },
    { title: 'cold ms', value: (r) => fixed(r.coldMs), width: 9 },
    { title: '(worker read+render ms)', value: (r) => fixed(r.fleetMs) },
    { title: 'warm ms', value: (r) => fixed(r.warmMs), width: 9 },
    { title: 'worst /healthz ms', value: (r) => fixed(r.stallMs) },
    { title: 'cold / baseline', value: (r) => fixed(r.ratio, 1) },
    { title: 'body', value: (r) => r.body, width: 10 },
    { title: 'cold RSS', value: (r) => r.rss },
  ]);
  console.log('\n' + table.header());
  let failures = 0;
  const check = (scrapes: Scrape[]) => {
    failures += scrapes.filter((s) => s.status !== 200).length;
  };

  const base = await measure(service.url, warmService.url, options.rounds);
  check([...base.cold, ...base.warm]);
  const baseline = median(base.cold.map((s) => s.ms));
  console.log(
    table.row({
      hosts: '0 (base)',
      coldMs: baseline,
      fleetMs: median(base.cold.map((s) => s.fleetMs)),
      warmMs: median(base.warm.map((s) => s.ms)),
      stallMs: base.stallMs,
      ratio: 1,
      body: mib(base.cold[0]!.bytes),
      rss: `${fixed(rssMiB(service.pid) ?? NaN)} MiB`,
    }),
  );

  const db = new Database(join(dataDir, 'vcio.db'));
  db.pragma('busy_timeout = 10000');
  const seeder = hostSeeder(db, options.tenants);
  let target: { cold: number; warm: number } | null = null;
  for (const size of options.sizes) {
    const seedStart = performance.now();
    seeder.seedTo(size);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    // The warm collector's cache holds the previous size: a fresh process starts over.
    await warmService.stop();
    warmService = await start(`warm-collector-${size}`, 3600);
    const { cold, warm, stallMs } = await measure(
      service.url,
      warmService.url,
      options.rounds,
    ).catch((error: unknown) => {
      for (const s of [service, warmService]) {
        console.error(`${s.name} log (last lines):\n  ${s.logLines().slice(-5).join('\n  ')}`);
      }
      throw error;
    });
    check([...cold, ...warm]);
    const coldMs = median(cold.map((s) => s.ms));
    const warmMs = median(warm.map((s) => s.ms));
    if (size === TARGET_HOSTS) target = { cold: coldMs, warm: warmMs };
    console.log(
      table.row({
        hosts: int(size),
        coldMs,
        fleetMs: median(cold.map((s) => s.fleetMs)),
        warmMs,
        stallMs,
        ratio: coldMs / baseline,
        body: mib(cold[0]!.bytes),
        rss: `${fixed(rssMiB(service.pid) ?? NaN)} MiB`,
      }) + `   (seeded in ${fixed(seedSeconds)} s)`,
    );
  }
  db.close();
  console.log(
    "\n(ms: medians over HTTP, request to last byte. worker read+render: the cold collector's " +
      'vcio_metrics_fleet_read_duration_seconds (its worker thread reads SQLite and renders). ' +
      'warm: served from the rendered text, which a collector keeps for --metrics-cache-seconds ' +
      '(15 s by default), re-rendering in the background. worst /healthz: polled on the cold ' +
      'collector during its scrapes, how long the main thread was held up.)',
  );
  await warmService.stop();
  await service.stop();

  console.log('\nchecks:');
  let pass = failures === 0;
  console.log(
    `  ${failures === 0 ? 'PASS' : 'FAIL'}  every scrape answered 200 (${failures} did not)`,
  );
  if (target !== null) {
    const ok = target.warm < TARGET_MS;
    pass &&= ok;
    console.log(
      `  ${ok ? 'PASS' : 'FAIL'}  /metrics at ${int(TARGET_HOSTS)} hosts as served with the default ` +
        `cache: ${fixed(target.warm)} ms (target < ${TARGET_MS} ms; figures at most 15 s + one render old)`,
    );
    console.log(
      `  info  a fresh render at ${int(TARGET_HOSTS)} hosts (--metrics-cache-seconds 0): ` +
        `${fixed(target.cold)} ms, ${fixed(target.cold / baseline, 1)}× the no-host scrape` +
        (target.cold < TARGET_MS ? '' : ` (over ${TARGET_MS} ms; done in the worker thread)`),
    );
  } else {
    console.log(`  SKIP  ${int(TARGET_HOSTS)} hosts not among --sizes: no target to check`);
  }
  return pass ? 0 : 1;
}

/**
 * Adds hosts (and their rows) up to a total, in one transaction per call. Tenants and one
 * agent per host are created as the schema requires; values vary by host.
 */
export function hostSeeder(
  db: Database.Database,
  tenantCount: number,
): { seedTo(total: number): void } {
  const enrollmentToken = db
    .prepare('SELECT id FROM enrollment_tokens LIMIT 1')
    .pluck()
    .get() as string;
  const now = Date.now();
  const tenants: string[] = [];
  const insertTenant = db.prepare(
    'INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 1; i <= tenantCount; i++) {
      const id = randomUUID();
      insertTenant.run(id, `client-${String(i).padStart(3, '0')}`, `Client ${i}`, now);
      tenants.push(id);
    }
  })();
  const insertAgent = db.prepare(`INSERT INTO agents (id, tenant_id, secret_hash,
    enrollment_token_id, machine_id, hostname, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertHost = db.prepare(`INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id,
    agent_version, os_platform, os_distro, os_release, first_seen, last_seen, last_report_at)
    VALUES (?, ?, ?, ?, ?, '0.1.0', ?, ?, ?, ?, ?, ?) RETURNING key`);
  const insertSample = db.prepare(`INSERT INTO performance_samples (host_key, collected_at,
    cpu_utilisation, load1, memory_total_bytes, memory_used_bytes, memory_available_bytes,
    swap_used_bytes, process_count, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertSection = db.prepare(`INSERT INTO host_sections (host_id, section, collected_at,
    report_id, data) VALUES (?, 'patches', ?, ?, ?)`);
  const insertPending = db.prepare(`INSERT INTO host_pending_updates (host_key, source_index, item,
    manager, checked_at, name, current_version, available_version, security, severity, advisories)
    VALUES (?, 0, ?, 'apt', ?, ?, '1.0', '1.1', ?, ?, '[]')`);
  const os = [
    ['linux', 'Ubuntu', '22.04.4 LTS'],
    ['linux', 'Debian GNU/Linux', '12'],
    ['windows', 'Microsoft Windows 11 Pro', '10.0.22631'],
    ['darwin', 'macOS', '14.5'],
  ] as const;
  const severities = ['critical', 'important', 'moderate', 'low', null] as const;
  const secret = Buffer.alloc(32);
  let count = 0;
  return {
    seedTo: db.transaction((total: number) => {
      for (; count < total; count++) {
        const n = count + 1;
        const tenant = tenants[count % tenants.length]!;
        const agentId = randomUUID();
        const hostId = randomUUID();
        const machineId = `bench-machine-${n}`;
        const hostname = `ws-${String(n).padStart(6, '0')}`;
        insertAgent.run(
          agentId,
          tenant,
          secret,
          enrollmentToken,
          machineId,
          hostname,
          '0.1.0',
          now,
        );
        const [platform, distro, release] = os[n % os.length]!;
        // Most hosts recent; every tenth has been silent for an hour (offline).
        const seen = now - (n % 10 === 0 ? 3_600_000 : (n % 60) * 1000);
        const { key } = insertHost.get(
          hostId,
          tenant,
          machineId,
          hostname,
          agentId,
          platform,
          distro,
          release,
          now - 86_400_000,
          seen,
          seen,
        ) as { key: number };
        const perf = samplePerformance(n);
        insertSample.run(
          key,
          seen,
          perf.cpu.utilisation,
          perf.load?.one ?? null,
          perf.memory.totalBytes,
          perf.memory.usedBytes,
          perf.memory.availableBytes,
          perf.swap?.usedBytes ?? null,
          perf.processes.total,
          JSON.stringify({ filesystems: perf.filesystems, network: perf.network }),
        );
        const pendingCount = n % 7;
        insertSection.run(
          hostId,
          seen,
          randomUUID(),
          JSON.stringify({ sources: [], rebootRequired: n % 5 === 0, rebootReasons: [] }),
        );
        for (let i = 0; i < pendingCount; i++) {
          insertPending.run(
            key,
            i,
            seen,
            `pkg-${i}`,
            i % 2,
            severities[(n + i) % severities.length],
          );
        }
      }
    }),
  };
}

/** The collector logs `vcio collector listening on <url>` with a `url` field (pino JSON). */
function collectorUrl(line: string): string | null {
  try {
    const entry = JSON.parse(line) as { url?: unknown; msg?: unknown };
    if (typeof entry.msg === 'string' && entry.msg.startsWith('vcio collector listening on')) {
      return typeof entry.url === 'string' ? entry.url : null;
    }
  } catch {
    // not JSON: not the line we want
  }
  return null;
}
