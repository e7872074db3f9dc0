// Retention of old time series (store/sqlite/maintenance.ts): per table, what is older than
// the cut-off goes and what is newer stays; history is thinned to one point a day, never
// emptied; the audit trail is kept; and ingest gets its turn while a long run goes on.
import t from 'tap';
import { sampleReport } from '@vcio/shared/testing';
import { sqliteMaintenance } from '../src/store/sqlite/maintenance.js';
import { testCollector, type TestCollector } from './helpers.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');
const at = (iso: string) => Date.parse(iso);

const count = (c: TestCollector, sql: string, ...params: unknown[]) =>
  (c.store.db
    .prepare(sql)
    .pluck()
    .get(...params) as number) ?? 0;

/** Hosts, each with one report ingested now (so each has one recent sample). */
async function hostsWithReports(c: TestCollector, machines: string[]) {
  const keys: number[] = [];
  for (const machineId of machines) {
    const agent = await c.enroll(machineId);
    await c.store.reports.ingest({
      report: sampleReport({ agentId: agent.agentId, machineId }),
      agent: (await c.store.access.findAgent(agent.agentId))!,
      receivedAt: new Date(),
      sections: ['performance'],
    });
    keys.push(
      c.store.db
        .prepare('SELECT key FROM hosts WHERE machine_id = ?')
        .pluck()
        .get(machineId) as number,
    );
  }
  return keys;
}

function addSamples(c: TestCollector, hostKey: number, times: number[]) {
  const insert = c.store.db.prepare(`
    INSERT INTO performance_samples (host_key, collected_at, memory_total_bytes,
      memory_used_bytes, memory_available_bytes, detail) VALUES (?, ?, 1, 1, 1, '{}')`);
  for (const time of times) insert.run(hostKey, time);
}

const times = (from: number, n: number, step = 60_000) =>
  Array.from({ length: n }, (_, i) => from + i * step);

t.test('performance samples and the report ledger: older than the cut-off go', async (t) => {
  const c = await testCollector(t);
  const [a, b, cc] = await hostsWithReports(c, ['m-a', 'm-b', 'm-c']);
  const cutoff = NOW - 30 * DAY;
  addSamples(c, a!, times(cutoff - 25 * 60_000, 25)); // 25 old
  addSamples(c, a!, times(cutoff, 5)); // 5 exactly at or after the cut-off
  addSamples(c, b!, times(cutoff + DAY, 3));
  addSamples(c, cc!, times(cutoff - 10 * DAY, 12));

  const ledger = c.store.db.prepare(
    "INSERT INTO reports (report_id, agent_id, collected_at, received_at) VALUES (?, 'a', ?, ?)",
  );
  ledger.run('old-1', cutoff - DAY, cutoff - DAY);
  ledger.run('old-2', cutoff - 2 * DAY, cutoff - DAY + 5);
  // received long ago, but its agent's clock ran ahead: its sample is still kept, so the
  // id must be too, or a retry would store that sample twice
  ledger.run('skewed', cutoff + DAY, cutoff - DAY);
  ledger.run('new', cutoff + 1, cutoff + 1);
  const ledgerBefore = count(c, 'SELECT count(*) FROM reports');

  const maintenance = sqliteMaintenance(c.store.db, { batchRows: 7 });
  const removed = await maintenance.applyRetention({
    samplesBefore: new Date(cutoff),
    historyDetailBefore: new Date(NOW - 90 * DAY),
  });
  t.same(
    removed,
    { performanceSamples: 37, reportLedger: 2, postureHistory: 0, initiativeProgress: 0 },
    'rows removed per table',
  );
  const samplesOf = (key: number) =>
    count(c, 'SELECT count(*) FROM performance_samples WHERE host_key = ?', key);
  t.equal(samplesOf(a!), 6, 'host a: the 5 at or after the cut-off and the one ingested now');
  t.equal(samplesOf(b!), 4, 'host b: nothing old, nothing lost');
  t.equal(samplesOf(cc!), 1, 'host c: only the one ingested now');
  t.equal(count(c, 'SELECT count(*) FROM performance_samples WHERE collected_at < ?', cutoff), 0);
  t.equal(count(c, 'SELECT count(*) FROM reports'), ledgerBefore - 2);
  t.same(
    c.store.db
      .prepare("SELECT report_id FROM reports WHERE agent_id = 'a' ORDER BY report_id")
      .pluck()
      .all(),
    ['new', 'skewed'],
  );

  const again = await maintenance.applyRetention({
    samplesBefore: new Date(cutoff),
    historyDetailBefore: new Date(NOW - 90 * DAY),
  });
  t.same(Object.values(again), [0, 0, 0, 0], 'a second run finds nothing more');
});

t.test('history is thinned to the last point of each UTC day, then kept', async (t) => {
  const c = await testCollector(t);
  const tenantId = c.secrets.tenant.id;
  const point = c.store.db.prepare(
    "INSERT INTO posture_history (scope, scope_id, recorded_at, score, categories) VALUES (?, ?, ?, 50, '{}')",
  );
  c.store.db
    .prepare(
      `INSERT INTO initiatives (id, tenant_id, title, owner, filter, target, start_date, due_date,
         status, created_at, created_by, updated_at)
       VALUES ('i-1', ?, 'Patch', 'me', '{}', '{}', '2025-01-01', '2026-12-31', 'active', 0, 'me', 0)`,
    )
    .run(tenantId);
  const progress = c.store.db.prepare(
    "INSERT INTO initiative_progress (initiative_id, recorded_at, in_scope, met) VALUES ('i-1', ?, 10, ?)",
  );
  const oldDay = [
    at('2025-03-01T00:00:00Z'),
    at('2025-03-01T09:30:00Z'),
    at('2025-03-01T23:59:59.999Z'), // the day's last: kept
  ];
  const lonelyDay = [at('2025-03-05T08:00:00Z')];
  const cutoffDay = [at('2026-03-17T01:00:00Z'), at('2026-03-17T22:00:00Z')];
  const recent = [at('2026-06-01T08:00:00Z'), at('2026-06-01T09:00:00Z')];
  const all = [...oldDay, ...lonelyDay, ...cutoffDay, ...recent];
  for (const scope of [
    ['host', 'h-1'],
    ['host', 'h-2'],
    ['tenant', tenantId],
  ]) {
    for (const time of all) point.run(scope[0], scope[1], time);
  }
  all.forEach((time, i) => progress.run(time, i));
  c.store.db
    .prepare(
      "INSERT INTO audit_log (at, actor_name, action, target_type, detail) VALUES (?, 'me', 'x', 'y', '{}')",
    )
    .run(at('2020-01-01T00:00:00Z'));
  const auditBefore = count(c, 'SELECT count(*) FROM audit_log');

  // 2026-03-17 12:00: its day is kept whole (rounded down to the day's start)
  const detailBefore = new Date(at('2026-03-17T12:00:00Z'));
  const maintenance = sqliteMaintenance(c.store.db, { batchRows: 1 });
  const removed = await maintenance.applyRetention({
    samplesBefore: new Date(0),
    historyDetailBefore: detailBefore,
  });
  t.same(removed, {
    performanceSamples: 0,
    reportLedger: 0,
    postureHistory: 6,
    initiativeProgress: 2,
  });
  const kept = [oldDay[2], lonelyDay[0], ...cutoffDay, ...recent];
  for (const id of ['h-1', 'h-2', tenantId]) {
    t.same(
      c.store.db
        .prepare('SELECT recorded_at FROM posture_history WHERE scope_id = ? ORDER BY recorded_at')
        .pluck()
        .all(id),
      kept,
      `${id}: the last point of each old day, every point since`,
    );
  }
  t.same(
    c.store.db.prepare('SELECT met FROM initiative_progress ORDER BY recorded_at').pluck().all(),
    [2, 3, 4, 5, 6, 7],
    'initiative progress: the 2025-03-01 end-of-day figure, then every point',
  );
  t.equal(count(c, 'SELECT count(*) FROM audit_log'), auditBefore, 'the audit log is kept');

  // Later runs look only at the days that crossed the cut-off since: 2026-03-17 now has.
  const later = await maintenance.applyRetention({
    samplesBefore: new Date(0),
    historyDetailBefore: new Date(at('2026-03-20T00:00:00Z')),
  });
  t.equal(later.postureHistory, 3, "the cut-off's day, thinned once it is past");
  t.equal(later.initiativeProgress, 1);
  t.equal(
    count(
      c,
      'SELECT count(*) FROM posture_history WHERE scope_id = ? AND recorded_at < ?',
      'h-1',
      at('2026-03-20T00:00:00Z'),
    ),
    3,
    'one point for each of the three old days',
  );
});

t.test('ingest is not held up while a long retention run goes on', async (t) => {
  const c = await testCollector(t);
  const [key] = await hostsWithReports(c, ['m-busy']);
  addSamples(c, key!, times(NOW - 400 * DAY, 500));
  const agent = await c.enroll('m-other');
  const record = (await c.store.access.findAgent(agent.agentId))!;

  const maintenance = sqliteMaintenance(c.store.db, { batchRows: 10 });
  let retentionDone = false;
  const retention = maintenance
    .applyRetention({ samplesBefore: new Date(NOW - 30 * DAY), historyDetailBefore: new Date(0) })
    .then((removed) => {
      retentionDone = true;
      return removed;
    });
  const outcome = await c.store.reports.ingest({
    report: sampleReport({ agentId: agent.agentId, machineId: 'm-other' }),
    agent: record,
    receivedAt: new Date(),
    sections: ['performance'],
  });
  t.equal(outcome.status, 'stored');
  t.equal(retentionDone, false, 'the report was committed between two retention batches');
  t.equal((await retention).performanceSamples, 500);
});
