// Several collectors on one database (src/cluster/): the wire format of relayed events, the
// bus keeping relayed events apart from this collector's own, the background jobs gated on
// leadership, and on a throwaway PostgreSQL: leader election with failover, and events
// relayed between two buses once, never echoed back.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startCluster } from '../src/cluster/index.js';
import { startEventBridge } from '../src/cluster/events-bridge.js';
import { LEADER_LOCK, startPgLeadership, type Leadership } from '../src/cluster/leadership.js';
import {
  decodeNotification,
  encodeEvent,
  MAX_EVENT_BYTES,
  MAX_NOTIFY_BYTES,
  packNotifications,
} from '../src/cluster/wire.js';
import {
  CollectorEvents,
  type FindingEvent,
  type PostureChangedEvent,
  type ReportStoredEvent,
} from '../src/events.js';
import { startInitiativeTracker } from '../src/initiatives/tracker.js';
import { PostureService } from '../src/posture/service.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { postgresUnavailable, startTestPostgres } from './support/postgres.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with `what` after timeoutMs (a liveness bound, not a figure). */
async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    info: (_obj: object, msg: string) => lines.push(msg),
    warn: (_obj: object, msg: string) => lines.push(msg),
    debug: () => {},
  };
}

const stored = (n = 1): ReportStoredEvent => ({
  tenantId: 'tn-1',
  hostId: `h-${n}`,
  agentId: 'ag-1',
  hostname: `host-${n}`,
  reportId: `r-${n}`,
  collectedAt: new Date('2026-11-27T08:00:00.000Z'),
  receivedAt: new Date('2026-11-27T08:00:01.000Z'),
  sections: ['system', 'performance'],
  ingestSeconds: 0.002,
  summary: {
    os: { platform: 'linux', distro: 'debian', release: '12' },
    patches: null,
    performance: { cpuUtilisation: 0.25, memoryUsedRatio: 0.5, intervalSeconds: 60 },
  },
});

const finding = (evidence: string): FindingEvent => ({
  tenantId: 'tn-1',
  hostId: 'h-1',
  finding: {
    id: 7,
    tenantId: 'tn-1',
    hostId: 'h-1',
    hostname: 'host-1',
    checkId: 'patches.security',
    severity: 'high',
    weight: 3,
    credit: 0,
    evidence,
    openedAt: new Date('2026-11-27T08:00:00.000Z'),
    updatedAt: new Date('2026-11-27T08:00:00.000Z'),
    resolvedAt: null,
    resolution: null,
  },
});

t.test('wire: events round-trip with their times, large ones cut to fit', async (t) => {
  const json = encodeEvent('report.stored', stored());
  t.ok(json);
  const [decoded] = decodeNotification(packNotifications('a', [json!])[0]!.payload)!.events;
  t.equal(decoded!.name, 'report.stored');
  t.same(decoded!.payload, stored(), 'every field back, times as Dates');
  t.ok((decoded!.payload as ReportStoredEvent).receivedAt instanceof Date);

  const huge = 'x'.repeat(20_000);
  const cut = encodeEvent('finding.opened', finding(huge));
  t.ok(cut && Buffer.byteLength(cut) <= MAX_EVENT_BYTES, 'a finding with huge evidence fits');
  const back = decodeNotification(packNotifications('a', [cut!])[0]!.payload)!.events[0]!;
  const evidence = (back.payload as FindingEvent).finding.evidence;
  t.ok(evidence.length < 600 && evidence.endsWith('…'), 'its evidence cut deliberately');
  t.equal((back.payload as FindingEvent).finding.resolvedAt, null);
  t.ok((back.payload as FindingEvent).finding.openedAt instanceof Date);

  const longName = { ...stored(), hostname: 'h'.repeat(2_600) };
  const withoutSummary = encodeEvent('report.stored', longName);
  t.ok(withoutSummary, 'a report event too large loses its summary, not its ids');
  t.notMatch(withoutSummary!, /"summary"/);
  t.equal(encodeEvent('report.stored', { ...stored(), hostname: 'h'.repeat(9_000) }), null);

  // many events: several notifications, each under PostgreSQL's limit, none lost
  const many = Array.from({ length: 200 }, (_, i) => encodeEvent('report.stored', stored(i))!);
  const packed = packNotifications('sender-1', many);
  t.ok(packed.length > 1, `${packed.length} notifications`);
  t.ok(packed.every((p) => Buffer.byteLength(p.payload) <= MAX_NOTIFY_BYTES));
  t.equal(
    packed.reduce((n, p) => n + decodeNotification(p.payload)!.events.length, 0),
    200,
  );
  t.equal(
    packed.reduce((n, p) => n + p.count, 0),
    200,
  );

  t.equal(decodeNotification('not json'), null);
  t.equal(decodeNotification('{"x":1}'), null);
  const mixed = decodeNotification(
    JSON.stringify({
      o: 'b',
      e: [
        ['report.duplicate', { tenantId: 't' }],
        ['report.stored', { tenantId: 't', collectedAt: 'nope' }],
        5,
      ],
    }),
  )!;
  t.equal(mixed.events.length, 0);
  t.equal(mixed.skipped, 3, 'unknown types, bad times and junk are skipped');
});

t.test('the bus: relayed events reach onCluster listeners only', async (t) => {
  const events = new CollectorEvents();
  const plain: ReportStoredEvent[] = [];
  const cluster: ReportStoredEvent[] = [];
  const onCluster = (e: ReportStoredEvent) => cluster.push(e);
  events.on('report.stored', (e) => plain.push(e));
  events.onCluster('report.stored', onCluster);

  const local = stored(1);
  events.emit('report.stored', local);
  const remote = stored(2);
  events.emitRemote('report.stored', remote);
  t.same(
    plain.map((e) => e.reportId),
    ['r-1'],
    'a plain listener (counters, posture) hears only this collector',
  );
  t.same(
    cluster.map((e) => e.reportId),
    ['r-1', 'r-2'],
    'onCluster hears both',
  );
  t.equal(events.isRemote(local), false);
  t.equal(events.isRemote(remote), true);

  events.offCluster('report.stored', onCluster);
  events.emit('report.stored', stored(3));
  events.emitRemote('report.stored', stored(4));
  t.equal(cluster.length, 2, 'offCluster removes it from both');
});

t.test('SQLite: one collector, always the leader, nothing relayed', async (t) => {
  const cluster = await startCluster({
    database: { kind: 'sqlite' },
    events: new CollectorEvents(),
    logger: recordingLogger(),
  });
  t.equal(cluster.leadership.isLeader(), true);
  t.equal(cluster.bridge, null);
  await cluster.stop();
  const noDatabase = await startCluster({
    database: undefined,
    events: new CollectorEvents(),
    logger: recordingLogger(),
  });
  t.equal(noDatabase.leadership.isLeader(), true, 'the default database is SQLite');
  t.equal(noDatabase.bridge, null);
});

t.test('the posture sweep and the initiative pass run on the leader only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-cluster-'));
  const store = openSqliteStore(dir);
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let sweeps = 0;
  const staleHosts = store.posture.staleHosts.bind(store.posture);
  store.posture.staleHosts = (...args) => {
    sweeps++;
    return staleHosts(...args);
  };
  let passes = 0;
  const list = store.initiatives.list.bind(store.initiatives);
  store.initiatives.list = (tenantId, ...rest) => {
    if (tenantId === null) passes++;
    return list(tenantId, ...rest);
  };
  const leadership = fakeLeadership();
  const events = new CollectorEvents();
  const logger = recordingLogger();
  const posture = new PostureService({ store, events, logger, leadership, sweepEveryMs: 20 });
  const tracker = startInitiativeTracker({ store, events, logger, leadership, everyMs: 20 });
  t.teardown(() => tracker.stop());
  t.teardown(() => posture.stop());
  posture.start();
  await sleep(150);
  t.equal(sweeps, 0, 'a follower does not sweep');
  t.equal(passes, 0, 'a follower does not run the timed initiative pass');
  leadership.become(true);
  await waitFor(() => sweeps > 0 && passes > 0, 'the leader sweeps and measures');
  t.pass(`leader: ${sweeps} sweeps, ${passes} passes`);
});

/** A leadership the test hands over by hand. */
function fakeLeadership() {
  let leader = false;
  const listeners = new Set<(leader: boolean) => void>();
  return {
    isLeader: () => leader,
    onChange(listener: (leader: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    become(value: boolean) {
      leader = value;
      for (const listener of listeners) listener(value);
    },
  };
}

t.test('a collector that becomes leader sweeps at once, not at its next minute', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-cluster-'));
  const store = openSqliteStore(dir);
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let sweeps = 0;
  const staleHosts = store.posture.staleHosts.bind(store.posture);
  store.posture.staleHosts = (...args) => {
    sweeps++;
    return staleHosts(...args);
  };
  const leadership = fakeLeadership();
  const posture = new PostureService({
    store,
    events: new CollectorEvents(),
    logger: recordingLogger(),
    leadership,
    sweepEveryMs: 3_600_000,
  });
  t.teardown(() => posture.stop());
  posture.start();
  await sleep(50);
  t.equal(sweeps, 0, 'started as a follower: no sweep');
  leadership.become(true);
  await waitFor(() => sweeps === 1, 'the sweep on winning the lock');
  t.pass('swept on becoming leader');
  await posture.stop();
  leadership.become(true);
  await sleep(50);
  t.equal(sweeps, 1, 'a stopped service no longer listens');
});

const unavailable = postgresUnavailable();

async function database(t: Teardown): Promise<string> {
  const server = await startTestPostgres(t);
  return server.createDatabase();
}

async function admin(t: Teardown, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  return client;
}

t.test(
  'PostgreSQL: one leader; failover when its connection dies',
  { skip: unavailable ?? false },
  async (t) => {
    const url = await database(t);
    const logger = recordingLogger();
    const leaders: Leadership[] = ['a', 'b'].map((instanceId) =>
      startPgLeadership({ connectionString: url, logger, intervalMs: 100, instanceId }),
    );
    t.teardown(() => Promise.all(leaders.map((l) => l.stop())));
    const [a, b] = leaders as [Leadership, Leadership];
    // Never two at once: whenever one becomes leader, the other is not.
    const overlaps: string[] = [];
    a.onChange((v) => v && b.isLeader() && overlaps.push('a while b led'));
    b.onChange((v) => v && a.isLeader() && overlaps.push('b while a led'));

    await waitFor(() => a.isLeader() || b.isLeader(), 'a leader is elected');
    await sleep(500); // several more rounds of tries
    t.equal(leaders.filter((l) => l.isLeader()).length, 1, 'exactly one leader');
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];

    const stepsDown = new Promise<boolean>((resolve) =>
      leader.onChange((v) => {
        if (!v) resolve(leader.isLeader());
      }),
    );
    const db = await admin(t, url);
    const killed = await db.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory'
       AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2 AND granted`,
      [...LEADER_LOCK],
    );
    t.same(killed.rows, [{ ok: true }], "the leader's connection terminated");
    t.equal(await stepsDown, false, 'the old leader stops acting as leader at once');
    await waitFor(() => follower.isLeader(), 'the follower takes over');
    t.pass('the follower leads');
    await sleep(400);
    t.equal(leader.isLeader(), false, 'the old leader, reconnected, follows');

    // a collector that stops gives the lock back at once
    await follower.stop();
    t.equal(follower.isLeader(), false);
    await waitFor(() => leader.isLeader(), 'the other one leads again');
    t.same(overlaps, [], 'never two leaders at once');
    t.ok(logger.lines.some((l) => /became leader/.test(l)));
    t.ok(logger.lines.some((l) => /lost leadership/.test(l)));
  },
);

t.test(
  'PostgreSQL: an event relayed once to the other bus, never echoed',
  { skip: unavailable ?? false },
  async (t) => {
    const url = await database(t);
    const logger = recordingLogger();
    const eventsA = new CollectorEvents();
    const eventsB = new CollectorEvents();
    const a = startEventBridge({ connectionString: url, events: eventsA, logger, instanceId: 'a' });
    const b = startEventBridge({
      connectionString: url,
      events: eventsB,
      logger,
      instanceId: 'b',
      reconnectMs: 50,
    });
    t.teardown(() => Promise.all([a.stop(), b.stop()]));
    await Promise.all([a.ready(), b.ready()]);

    const onB: ReportStoredEvent[] = [];
    const plainB: ReportStoredEvent[] = [];
    const onA: ReportStoredEvent[] = [];
    const postureB: PostureChangedEvent[] = [];
    eventsB.onCluster('report.stored', (e) => onB.push(e));
    eventsB.on('report.stored', (e) => plainB.push(e));
    eventsA.onCluster('report.stored', (e) => onA.push(e));
    eventsB.onCluster('posture.changed', (e) => postureB.push(e));

    eventsA.emit('report.stored', stored(1));
    eventsA.emit('posture.changed', {
      scope: 'host',
      tenantId: 'tn-1',
      hostId: 'h-1',
      hostname: 'host-1',
      score: 71.5,
      previousScore: null,
      categories: { patching: 50 } as PostureChangedEvent['categories'],
      assessedAt: new Date('2026-11-27T08:00:02.000Z'),
    });
    await waitFor(() => onB.length > 0 && postureB.length > 0, 'B hears A');
    t.same(onB, [stored(1)], 'B hears the report once, as it was');
    t.ok(eventsB.isRemote(onB[0]!), 'marked as relayed');
    t.equal(plainB.length, 0, "B's counters and posture service do not hear it");
    t.ok(postureB[0]!.assessedAt instanceof Date);

    // B relays only its own: after B's event reaches A (B's notifications are in order),
    // an echo of A's event would have arrived before it.
    eventsB.emit('report.stored', stored(2));
    await waitFor(() => onA.length >= 2, 'A hears B');
    t.same(
      onA.map((e) => e.reportId),
      ['r-1', 'r-2'],
      "A: its own event once, then B's, no echo",
    );
    t.equal(b.stats().sent, 1, 'B sent one event: its own');
    t.equal(a.stats().received, 1);
    t.equal(b.stats().received, 2);

    // B's listening connection dies: it reconnects, and events flow again
    const resumed = new Promise((resolve) => eventsB.once('cluster.resumed', resolve));
    const db = await admin(t, url);
    const killed = await db.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`,
      ['vcio-collector listen b'],
    );
    t.same(killed.rows, [{ ok: true }], "B's listening connection terminated");
    await resumed;
    eventsA.emit('report.stored', stored(3));
    await waitFor(() => onB.length >= 3, 'B hears A after reconnecting');
    t.same(
      onB.map((e) => e.reportId),
      ['r-1', 'r-2', 'r-3'],
      "its own (r-2) and A's before and after the break",
    );
    t.ok(logger.lines.some((l) => /lost the connection for live events/.test(l)));
  },
);
