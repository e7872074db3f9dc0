// `pnpm bench live`: delivery latency of the live feed, from a report's POST to its
// host.reported event arriving at each of 500 websocket clients on loopback.
//
// A real collector process; simulated agents enrolled through the API post ~2 KB
// performance reports at a steady rate; every client is subscribed to the tenant. The
// latency of one delivery is the client's receive time minus the time the report was sent
// (one clock: both ends are in this process). Rounds alternate between the full client
// count and a baseline of one client, so both see the same machine drift; the verdict
// uses the medians of the full rounds, and the ratio to the baseline says what the
// fan-out costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { API_PREFIX, agentAuthorization } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import type { EnrolledAgent } from './ingest-bodies.js';
import { enrollAgents, startCollector, type Collector } from './ingest-setup.js';
import { intOption, parseBenchArgs } from './support/benchmark.js';
import { cleanupAll, installCleanupHandlers, onCleanup, startWatchdog } from './support/cleanup.js';
import { UsageSampler } from './support/proc.js';
import { fixed, int, machineLines, median, Table } from './support/report.js';

/** The target: p99 from ingest to client under 100 ms with 500 clients. */
const TARGET_P99_MS = 100;

export const usage = `usage: pnpm bench live [options]

Starts a real collector on a temporary data directory, enrolls simulated agents
through the API, connects websocket clients to /api/v1/live (each signs in with
the admin token and subscribes to the tenant), and posts performance reports at a
steady rate. Measures, per delivered host.reported event, the time from the
report's POST to the client receiving it. Alternates rounds of all clients with
rounds of one client (the baseline), prints each round and the medians, and
checks p99 < ${TARGET_P99_MS} ms with every event delivered to every client.

options:
  --clients N     websocket clients                    (default 500)
  --rate N        reports (events) per second          (default 100)
  --duration S    seconds per measured round            (default 10)
  --rounds N      measured rounds per client count      (default 3)
  --agents N      simulated agents posting in turn      (default 50)
  --warmup S      unmeasured seconds first              (default 2; 0 skips)
  -h, --help      this text

Exit status: 0 target met and every event delivered; 1 the target missed, an
event lost or a client dropped; 2 a bad command line.`;

interface Options {
  clients: number;
  rate: number;
  duration: number;
  rounds: number;
  agents: number;
  warmup: number;
}

function parseOptions(args: string[]): Options {
  const values = parseBenchArgs(args, {
    clients: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    agents: { type: 'string' },
    warmup: { type: 'string' },
  });
  return {
    clients: intOption('clients', values.clients, 500, 1, 20_000),
    rate: intOption('rate', values.rate, 100, 1, 5_000),
    duration: intOption('duration', values.duration, 10, 1, 600),
    rounds: intOption('rounds', values.rounds, 3, 1, 100),
    agents: intOption('agents', values.agents, 50, 1, 10_000),
    warmup: intOption('warmup', values.warmup, 2, 0, 60),
  };
}

/** One websocket client: it only needs each event's report id, found without a full parse. */
class FeedClient {
  readonly ws: WebSocket;
  /**
   * Called with each delivered report id, the receive time (performance.now()), and the
   * milliseconds since the collector published the event (wall clocks, ms resolution).
   */
  onReport: (reportId: string, at: number, sincePublishMs: number) => void = () => {};
  closeCode: number | null = null;
  subscribed = false;
  private readonly ready: Promise<void>;
  private ack: (() => void) | null = null;

  constructor(
    url: string,
    token: string,
    private readonly tenantId: string,
  ) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}${API_PREFIX}/live`);
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.on('open', () => this.ws.send(JSON.stringify({ type: 'auth', token })));
      this.ws.on('message', (data) => {
        const at = performance.now();
        const wall = Date.now();
        const text = data.toString();
        if (text.includes('"type":"hello"')) {
          this.ws.send(JSON.stringify({ type: 'subscribe', tenant: tenantId }));
        }
        if (text.includes('"type":"subscribed"')) {
          this.subscribed = true;
          resolve();
          this.ack?.();
        }
        if (text.includes('"type":"unsubscribed"')) {
          this.subscribed = false;
          this.ack?.();
        }
        // A frame is a JSON array of messages; each event has its publish time ("at") and,
        // in its data, "reportId":"<uuid>". A regex keeps this process's CPU for the clients.
        for (const match of text.matchAll(/,"at":"([^"]+)"[^]*?"reportId":"([0-9a-f-]{36})"/g)) {
          this.onReport(match[2]!, at, wall - Date.parse(match[1]!));
        }
      });
      this.ws.on('close', (code) => {
        this.closeCode = code;
        reject(new Error(`closed with ${code} before subscribing`));
      });
    });
  }

  opened(): Promise<void> {
    return this.ready;
  }

  /** Subscribes to the tenant or unsubscribes from everything; resolves on the answer. */
  async subscribe(on: boolean): Promise<void> {
    if (this.subscribed === on) return;
    const answered = new Promise<void>((resolve) => (this.ack = resolve));
    this.ws.send(
      JSON.stringify(on ? { type: 'subscribe', tenant: this.tenantId } : { type: 'unsubscribe' }),
    );
    await answered;
    this.ack = null;
  }
}

interface RoundResult {
  round: string;
  clients: number;
  sent: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  /** POST to 202: the ingest part of the latency */
  ingestP99: number;
  /** the collector's publish to the client: the feed's own part (ms clock resolution) */
  feedP99: number;
  /** this process's own event-loop delay: how late its clients read what arrived */
  benchLoopP99: number;
  /** events delivered per second over all clients */
  deliveriesPerSecond: number;
  collectorCpuPercent: number;
  benchCpuPercent: number;
  postErrors: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(args: string[]): Promise<number> {
  const options = parseOptions(args);
  installCleanupHandlers();
  const loadSeconds = 2 * options.rounds * (options.duration + 5) + options.warmup;
  const stopWatchdog = startWatchdog((loadSeconds + 180) * 1000, 'pnpm bench live');
  try {
    return await bench(options);
  } finally {
    await cleanupAll();
    stopWatchdog();
  }
}

async function bench(options: Options): Promise<number> {
  console.log('vcio live feed benchmark');
  for (const line of machineLines()) console.log(line);
  console.log(
    `config:  ${options.clients} clients (baseline: 1), ${options.rate} reports/s from ` +
      `${options.agents} agents, ${options.rounds} × ${options.duration} s rounds each after ` +
      `${options.warmup} s warm-up`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-live-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup({ name: `remove ${dir}`, graceful: async () => removeDir(), immediate: removeDir });

  const collector = await startCollector(dir, 'normal');
  const agents = await enrollAgents(collector.service.url, collector.enrollToken, options.agents);
  const tenantId = await defaultTenantId(collector);

  const clients: FeedClient[] = [];
  const connectStart = performance.now();
  for (let i = 0; i < options.clients; i += 50) {
    const batch = Array.from(
      { length: Math.min(50, options.clients - i) },
      () => new FeedClient(collector.service.url, collector.adminToken, tenantId),
    );
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.opened()));
  }
  onCleanup({
    name: 'close websocket clients',
    graceful: async () => clients.forEach((c) => c.ws.terminate()),
    immediate: () => clients.forEach((c) => c.ws.terminate()),
  });
  console.log(
    `setup:   collector ${collector.service.url} (pid ${collector.service.pid}); ` +
      `${agents.length} agents enrolled; ${clients.length} clients connected and subscribed ` +
      `in ${fixed((performance.now() - connectStart) / 1000, 2)} s`,
  );

  const poster = new Poster(collector.service.url, agents);
  if (options.warmup > 0) {
    await measureRound(
      'warm-up',
      clients,
      clients,
      options.rate,
      options.warmup,
      poster,
      collector,
    );
  }
  const table = new Table<RoundResult>([
    { title: 'round', value: (r) => r.round, left: true, width: 12 },
    { title: 'clients', value: (r) => int(r.clients) },
    { title: 'events', value: (r) => int(r.sent) },
    { title: 'delivered', value: (r) => `${int(r.delivered)}/${int(r.expected)}`, width: 17 },
    { title: 'p50 ms', value: (r) => fixed(r.p50) },
    { title: 'p99 ms', value: (r) => fixed(r.p99) },
    { title: 'max ms', value: (r) => fixed(r.max) },
    { title: 'ingest p99', value: (r) => fixed(r.ingestP99) },
    { title: 'feed p99', value: (r) => fixed(r.feedP99) },
    { title: 'bench loop p99', value: (r) => fixed(r.benchLoopP99) },
    { title: 'deliveries/s', value: (r) => int(r.deliveriesPerSecond) },
    { title: 'collector CPU', value: (r) => `${fixed(r.collectorCpuPercent)}%` },
    { title: 'bench CPU', value: (r) => `${fixed(r.benchCpuPercent)}%` },
  ]);
  console.log(`\n${table.header()}`);
  const results: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const group of [clients.slice(0, 1), clients]) {
      const label = `${group.length === 1 ? 'baseline' : 'clients'} ${round}`;
      const result = await measureRound(
        label,
        group,
        clients,
        options.rate,
        options.duration,
        poster,
        collector,
      );
      results.push(result);
      console.log(table.row(result));
    }
  }
  const medianOf = (rows: RoundResult[], label: string): RoundResult => ({
    round: label,
    clients: rows[0]!.clients,
    sent: median(rows.map((r) => r.sent)),
    expected: median(rows.map((r) => r.expected)),
    delivered: median(rows.map((r) => r.delivered)),
    p50: median(rows.map((r) => r.p50)),
    p99: median(rows.map((r) => r.p99)),
    max: median(rows.map((r) => r.max)),
    ingestP99: median(rows.map((r) => r.ingestP99)),
    feedP99: median(rows.map((r) => r.feedP99)),
    benchLoopP99: median(rows.map((r) => r.benchLoopP99)),
    deliveriesPerSecond: median(rows.map((r) => r.deliveriesPerSecond)),
    collectorCpuPercent: median(rows.map((r) => r.collectorCpuPercent)),
    benchCpuPercent: median(rows.map((r) => r.benchCpuPercent)),
    postErrors: rows.reduce((n, r) => n + r.postErrors, 0),
  });
  const baseline = medianOf(
    results.filter((r) => r.clients === 1),
    'median 1',
  );
  const full = medianOf(
    results.filter((r) => r.clients === clients.length && r.round.startsWith('clients')),
    `median ${clients.length}`,
  );
  console.log(table.row(baseline));
  console.log(table.row(full));
  console.log(
    '(median rows: medians of the rounds. ingest: POST to 202; feed: publish to receipt; ' +
      "bench loop: this process's event-loop delay, which every receipt waits behind)",
  );

  const lost = results.reduce((n, r) => n + (r.expected - r.delivered), 0);
  const postErrors = results.reduce((n, r) => n + r.postErrors, 0);
  const dropped = clients.filter((c) => c.closeCode !== null).length;
  const exit = await collector.service.stop();
  const checks: [string, boolean][] = [
    [
      `p99 ${fixed(full.p99)} ms with ${clients.length} clients < ${TARGET_P99_MS} ms ` +
        `(baseline, one client: p99 ${fixed(baseline.p99)} ms; ratio ${fixed(full.p99 / baseline.p99, 2)}×)`,
      full.p99 < TARGET_P99_MS,
    ],
    [`every event reached every client: ${int(lost)} deliveries missing`, lost === 0],
    [`${int(postErrors)} reports not answered 202`, postErrors === 0],
    [`${dropped} clients closed by the collector during the run`, dropped === 0],
    [
      `collector stopped on SIGTERM in ${int(exit.stopMs)} ms, exit code ${exit.code ?? exit.signal}`,
      exit.code === 0,
    ],
  ];
  console.log('\nchecks:');
  for (const [text, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  const pass = checks.every(([, ok]) => ok);
  console.log(
    `\n${pass ? 'PASS' : 'FAIL'}: live feed p99 ${fixed(full.p99)} ms (target < ${TARGET_P99_MS} ms)`,
  );
  return pass ? 0 : 1;
}

async function defaultTenantId(collector: Collector): Promise<string> {
  const res = await fetch(`${collector.service.url}${API_PREFIX}/tenants`, {
    headers: { authorization: `Bearer ${collector.adminToken}` },
  });
  const body = (await res.json()) as { tenants: { id: string; slug: string }[] };
  const tenant = body.tenants.find((t) => t.slug === 'default');
  if (!tenant) throw new Error(`no default tenant: ${JSON.stringify(body)}`);
  return tenant.id;
}

/** Posts reports from the agents in turn; remembers when each was sent. */
class Poster {
  private next = 0;
  sentAt = new Map<string, number>();
  /** POST to 202, per report, ms */
  ingestMs: number[] = [];
  errors = 0;
  inFlight = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly agents: EnrolledAgent[],
  ) {}

  post(): void {
    const agent = this.agents[this.next++ % this.agents.length]!;
    const report = sampleReport({
      agentId: agent.agentId,
      machineId: agent.machineId,
      hostname: agent.hostname,
      seed: agent.seed,
    });
    const body = JSON.stringify(report);
    const sentAt = performance.now();
    this.sentAt.set(report.reportId, sentAt);
    const ingestMs = this.ingestMs;
    const request = fetch(`${this.url}${API_PREFIX}/reports`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: agentAuthorization(agent.agentId, agent.secret),
      },
      body,
    }).then(
      async (res) => {
        await res.arrayBuffer();
        ingestMs.push(performance.now() - sentAt);
        if (res.status !== 202) this.errors++;
      },
      () => {
        this.errors++;
      },
    );
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }
}

async function measureRound(
  label: string,
  group: FeedClient[],
  allClients: FeedClient[],
  rate: number,
  seconds: number,
  poster: Poster,
  collector: Collector,
): Promise<RoundResult> {
  // Only the round's clients receive events: the baseline's one client is alone.
  const members = new Set(group);
  await Promise.all(allClients.map((c) => c.subscribe(members.has(c))));
  poster.sentAt = new Map();
  poster.ingestMs = [];
  poster.errors = 0;
  const latencies: number[] = [];
  const feedLatencies: number[] = [];
  const sentAt = poster.sentAt;
  for (const client of group) {
    client.onReport = (reportId, at, sincePublishMs) => {
      const sent = sentAt.get(reportId);
      if (sent !== undefined) {
        latencies.push(at - sent);
        feedLatencies.push(sincePublishMs);
      }
    };
  }
  const collectorUsage = new UsageSampler(collector.service.pid);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const benchCpuStart = process.cpuUsage();
  const wallStart = performance.now();
  collectorUsage.start();

  // A steady rate: every 10 ms, post as many reports as the schedule is behind by.
  const total = rate * seconds;
  let posted = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - wallStart) / 1000) * rate));
      while (posted < due) {
        poster.post();
        posted++;
      }
      if (posted >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  await Promise.all(poster.inFlight);
  // the last events: the batch interval plus the fan-out, generously
  const expected = posted * group.length;
  const drainUntil = performance.now() + 5000;
  while (latencies.length < expected && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const usage = collectorUsage.stop();
  loopDelay.disable();
  const wall = (performance.now() - wallStart) / 1000;
  const cpu = process.cpuUsage(benchCpuStart);
  for (const client of group) client.onReport = () => {};

  const sorted = Float64Array.from(latencies).sort();
  const p99Of = (values: number[]) => percentile(Float64Array.from(values).sort(), 99);
  return {
    round: label,
    clients: group.length,
    sent: posted,
    expected,
    delivered: latencies.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    ingestP99: p99Of(poster.ingestMs),
    feedP99: p99Of(feedLatencies),
    benchLoopP99: loopDelay.percentile(99) / 1e6,
    deliveriesPerSecond: latencies.length / seconds,
    collectorCpuPercent: usage.cpuPercent,
    benchCpuPercent: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
    postErrors: poster.errors,
  };
}
