// Admission control and storage availability, in process on a real listening server:
// reports held in flight (their bodies half sent) fill the cap, the next ones are shed
// with 503 overloaded and a Retry-After, and every report that was admitted is stored.
// Storage declared unavailable refuses reports at the door, keeps reads answering,
// shows on /healthz and in the metrics, and recovers through the probe.
import { request as httpRequest, type ClientRequest } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import pino from 'pino';
import { agentAuthorization, type EnrollResponse } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import { bootstrapIfEmpty } from '../src/bootstrap.js';
import { buildServer } from '../src/server.js';
import { CollectorMetrics } from '../src/metrics/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import {
  StorageAvailability,
  repeatLimitedWarning,
  sqliteWriteProbe,
  storageFailureReason,
} from '../src/store/availability.js';
import { StoreUnavailableError } from '../src/store/types.js';
import type { IngestLimits } from '../src/http/overload.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A log that keeps its lines, for "said once" checks. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

async function startServer(
  t: { teardown(fn: () => unknown): void },
  ingest: IngestLimits,
  storage?: (logger: pino.Logger, metrics: CollectorMetrics) => StorageAvailability,
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-overload-test-'));
  const metrics = new CollectorMetrics();
  const store = openSqliteStore(dataDir, { onCommit: metrics.observeCommit });
  const { logger, lines } = capturingLogger();
  const secrets = (await bootstrapIfEmpty(store, dataDir, pino({ level: 'silent' })))!;
  const storageState = storage?.(logger, metrics);
  const app = buildServer({
    config: { bodyLimitBytes: 1024 * 1024, tls: null, ingest },
    store,
    logger,
    metrics,
    storage: storageState,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    storageState?.close();
    await app.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const address = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  let n = 0;
  const enroll = async () => {
    const machineId = `machine-${++n}`;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: { token: secrets.enrollToken, machineId, hostname: machineId, agentVersion: '0.1' },
    });
    const body = res.json<EnrollResponse>();
    return { ...body, machineId, authorization: agentAuthorization(body.agentId, body.secret) };
  };
  const metric = async (name: string): Promise<number> => {
    const text = (await app.inject({ url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').pop()) : NaN;
  };
  const admin = { authorization: `Bearer ${secrets.adminToken}` };
  return { app, store, base, enroll, metric, lines, admin };
}

/** A report sent over a real socket; `hold` sends all but its last byte until release(). */
function sendReport(
  base: string,
  authorization: string,
  body: string,
  hold = false,
): { answer: Promise<Answer>; release(): void } {
  const buffer = Buffer.from(body);
  let req: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = httpRequest(
      `${base}/api/v1/reports`,
      {
        method: 'POST',
        agent: false, // a connection each: held requests must not queue the others
        headers: {
          'content-type': 'application/json',
          'content-length': String(buffer.length),
          authorization,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
  });
  if (hold) req!.write(buffer.subarray(0, buffer.length - 1));
  else req!.end(buffer);
  return { answer, release: () => req.end(buffer.subarray(buffer.length - 1)) };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const reportFor = (agent: { agentId: string; machineId: string }) =>
  JSON.stringify(
    sampleReport({ agentId: agent.agentId, machineId: agent.machineId, sections: ['performance'] }),
  );

t.test('over the in-flight cap, reports are shed with 503 and Retry-After', async (t) => {
  const c = await startServer(t, {
    maxInFlight: 4,
    maxInFlightBytes: 1 << 26,
    retryAfterSeconds: 3,
  });
  const agents = await Promise.all(Array.from({ length: 10 }, () => c.enroll()));
  const bodies = agents.map(reportFor);

  const held = agents
    .slice(0, 4)
    .map((a, i) => sendReport(c.base, a.authorization, bodies[i]!, true));
  await until(
    async () => (await c.metric('vcio_ingest_in_flight_reports')) === 4,
    'four in flight',
  );

  const extra = await Promise.all(
    agents.slice(4).map((a, i) => sendReport(c.base, a.authorization, bodies[4 + i]!).answer),
  );
  for (const answer of extra) {
    t.equal(answer.status, 503, 'shed');
    t.equal(JSON.parse(answer.body).error, 'overloaded');
    const retryAfter = Number(answer.headers['retry-after']);
    t.ok(retryAfter >= 3 && retryAfter < 6, `Retry-After ${retryAfter} within [3, 6)`);
  }

  // Without credentials a caller never takes a slot: it is refused before admission, so
  // slow bodies sent without credentials cannot shut agents out.
  const stranger = await sendReport(c.base, 'Bearer nobody.nothing', bodies[4]!).answer;
  t.equal(stranger.status, 401, 'no credentials: 401 even with every slot taken');
  t.equal(await c.metric('vcio_ingest_in_flight_reports'), 4, 'and no slot was taken');

  for (const h of held) h.release();
  const accepted = await Promise.all(held.map((h) => h.answer));
  t.same(
    accepted.map((a) => a.status),
    [202, 202, 202, 202],
    'every admitted report is accepted',
  );
  const stored = c.store.db.prepare('SELECT count(*) FROM reports').pluck().get();
  t.equal(stored, 4, 'exactly the accepted reports are stored');
  await until(async () => (await c.metric('vcio_ingest_in_flight_reports')) === 0, 'slots freed');
  t.equal(await c.metric('vcio_ingest_shed_total{limit="requests"}'), 6, 'six shed, counted');
  t.equal(await c.metric('vcio_reports_rejected_total{reason="overloaded"}'), 6);

  const later = await sendReport(c.base, agents[5]!.authorization, bodies[5]!).answer;
  t.equal(later.status, 202, 'once the load is gone, a shed report is accepted on retry');
  const injected = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: { 'content-type': 'application/json', authorization: agents[6]!.authorization },
    payload: bodies[6]!,
  });
  t.equal(injected.statusCode, 202, 'inject() (the in-process tests) is admitted too');
  t.equal(await c.metric('vcio_ingest_in_flight_reports'), 0, 'and releases its slot');
  const rejectedLines = c.lines.filter((l) => l.msg === 'request rejected' && l.status === 503);
  t.equal(rejectedLines.length, 0, 'no log line per shed request');
  t.equal(
    c.lines.filter((l) => l.msg.startsWith('ingest overloaded')).length,
    1,
    'one summary line for the shedding',
  );
});

t.test('the in-flight byte budget sheds by declared size', async (t) => {
  const c = await startServer(t, {
    maxInFlight: 100,
    maxInFlightBytes: 2048,
    retryAfterSeconds: 1,
  });
  const [a, b, small] = await Promise.all([c.enroll(), c.enroll(), c.enroll()]);
  const big = reportFor(a!);
  t.ok(big.length > 1024 && big.length < 2048, `a report of ${big.length} bytes`);
  const held = sendReport(c.base, a!.authorization, big, true);
  await until(async () => (await c.metric('vcio_ingest_in_flight_reports')) === 1, 'one in flight');
  t.equal(await c.metric('vcio_ingest_in_flight_report_bytes'), big.length);
  const second = await sendReport(c.base, b!.authorization, reportFor(b!)).answer;
  t.equal(second.status, 503, 'a second body would pass the budget');
  t.equal(JSON.parse(second.body).error, 'overloaded');
  t.equal(await c.metric('vcio_ingest_shed_total{limit="bytes"}'), 1);
  held.release();
  t.equal((await held.answer).status, 202);
  const third = await sendReport(c.base, small!.authorization, reportFor(small!)).answer;
  t.equal(third.status, 202, 'alone, a report fits again');
});

t.test(
  'storage unavailable: reports refused at the door, reads answer, probe recovers',
  async (t) => {
    let storage!: StorageAvailability;
    let probeWorks = false;
    const c = await startServer(
      t,
      { maxInFlight: 100, maxInFlightBytes: 1 << 26, retryAfterSeconds: 5 },
      (logger, metrics) => {
        storage = new StorageAvailability({
          logger,
          registry: metrics.registry,
          probeIntervalMs: 3_600_000, // the test probes by hand
          probe: () => {
            if (!probeWorks) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
          },
        });
        return storage;
      },
    );
    const agent = await c.enroll();
    t.equal(await c.metric('vcio_storage_available'), 1);

    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    for (let i = 0; i < 3; i++) {
      storage.reportFailure(
        new StoreUnavailableError('SQLITE_FULL: database or disk is full', { cause: full }),
      );
    }
    t.equal(storage.available, false);
    for (let i = 0; i < 3; i++) {
      const refused = await sendReport(c.base, agent.authorization, reportFor(agent)).answer;
      t.equal(refused.status, 503);
      t.equal(refused.headers['retry-after'], '30');
      t.match(JSON.parse(refused.body), { error: 'storage_unavailable', message: /full/ });
    }
    const health = await c.app.inject({ url: '/healthz' });
    t.equal(health.statusCode, 503, 'not ready');
    t.match(health.json(), {
      error: 'storage_unavailable',
      storage: { available: false, reason: 'full' },
    });
    t.equal(
      (await c.app.inject({ url: '/api/v1/hosts', headers: c.admin })).statusCode,
      200,
      'reads answer',
    );
    t.equal(await c.metric('vcio_storage_available'), 0);
    t.equal(await c.metric('vcio_storage_errors_total{reason="full"}'), 3);

    t.equal(storage.probeNow(), false, 'the probe still fails');
    t.equal(await c.metric('vcio_storage_errors_total{reason="full"}'), 4, 'failed probes count');
    probeWorks = true;
    t.equal(storage.probeNow(), true, 'the probe succeeds: recovered');
    const accepted = await sendReport(c.base, agent.authorization, reportFor(agent)).answer;
    t.equal(accepted.status, 202, accepted.body);
    t.equal((await c.app.inject({ url: '/healthz' })).statusCode, 200);
    t.equal(await c.metric('vcio_storage_available'), 1);

    const down = c.lines.filter((l) => l.msg.startsWith('storage unavailable'));
    t.equal(down.length, 1, 'unavailability logged once');
    t.equal(down[0]!.reason, 'full');
    const up = c.lines.filter((l) => l.msg.startsWith('storage recovered'));
    t.equal(up.length, 1, 'recovery logged once');
    t.equal(up[0]!.refusedRequests, 3);
    t.equal(c.lines.filter((l) => l.msg === 'request rejected').length, 0, 'no line per refusal');
  },
);

t.test('a busy database answers 503 without declaring storage unavailable', async (t) => {
  const { logger, lines } = capturingLogger();
  const storage = new StorageAvailability({ logger });
  storage.reportFailure(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
  t.equal(storage.available, true);
  t.equal(lines.length, 0);
  t.equal(storageFailureReason({ code: 'SQLITE_IOERR_WRITE' }), 'ioerr');
  t.equal(storageFailureReason({ code: 'SQLITE_READONLY_DBMOVED' }), 'readonly');
  t.equal(storageFailureReason({ code: 'SQLITE_CONSTRAINT' }), null);
  t.equal(storageFailureReason(new Error('plain')), null);
});

t.test('the SQLite probe makes a real commit', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-probe-test-'));
  const store = openSqliteStore(dataDir);
  const other = new Database(join(dataDir, 'vcio.db'), { readonly: true });
  t.teardown(async () => {
    other.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  // data_version, read on another connection, changes when a commit happened elsewhere.
  const version = () => other.pragma('data_version', { simple: true }) as number;
  const before = version();
  sqliteWriteProbe(store.db, dataDir)();
  t.not(version(), before, 'the probe committed a write');
  t.notOk(existsSync(join(dataDir, '.write-probe')), 'the headroom file is removed');
});

t.test('a warning repeated every second is logged once, then once per interval', async (t) => {
  const logged: { obj: object; msg: string }[] = [];
  let clock = 0;
  const warn = repeatLimitedWarning(
    (obj, msg) => logged.push({ obj, msg }),
    60_000,
    () => clock,
  );
  for (let i = 0; i < 59; i++, clock += 1000) warn('WAL checkpoint failed: disk full');
  t.equal(logged.length, 1, 'one line in the first minute');
  clock = 60_000;
  warn('WAL checkpoint failed: disk full');
  t.same(logged[1], { obj: { repeats: 58 }, msg: 'WAL checkpoint failed: disk full' });
  warn('WAL checkpoint failed: I/O error');
  t.equal(logged.length, 3, 'a different message is logged at once');
});

t.test('without a probe, writes keep being tried and the first success recovers', async (t) => {
  const { logger, lines } = capturingLogger();
  const storage = new StorageAvailability({ logger });
  storage.reportFailure(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }));
  t.equal(storage.available, false, 'unavailable');
  t.equal(storage.refusing, false, 'but reports are not refused at the door');
  storage.reportSuccess();
  t.equal(storage.available, true, 'a write that succeeded ends the outage');
  t.same(
    lines.map((l) => l.msg.split(':')[0]),
    ['storage unavailable', 'storage recovered'],
  );
});
