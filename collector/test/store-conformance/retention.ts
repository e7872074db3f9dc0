// Retention (MaintenanceStore.applyRetention): samples and report ids past the cut-off go,
// history is thinned to the last point of each UTC day past the detail window and never
// emptied, and the same holds when the work is split into many small batches.
import type { Test } from 'tap';
import { samplePerformance } from '@vcio/shared/testing';
import type { MaintenanceStore, RetentionPolicy } from '../../src/store/types.js';
import { categories } from './assessments.js';
import type { ConformanceStore, StoreFactory } from './harness.js';
import { enrolledAgent, ingest, report, storedHost, tenant } from './fixtures.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');
const at = (ms: number) => new Date(ms);
const POLICY: RetentionPolicy = {
  samplesBefore: at(NOW - 30 * DAY),
  historyDetailBefore: at(NOW - 90 * DAY),
};

/** The store's own retention with tiny batches, so every batch boundary is crossed. */
async function smallBatches(
  factory: StoreFactory,
  store: ConformanceStore,
): Promise<MaintenanceStore> {
  const db = (store as unknown as { db: never }).db;
  if (factory.name === 'sqlite') {
    const { sqliteMaintenance } = await import('../../src/store/sqlite/maintenance.js');
    return sqliteMaintenance(db, { batchRows: 2 });
  }
  const { pgMaintenanceStore } = await import('../../src/store/postgres/maintenance.js');
  return pgMaintenanceStore(db, { batchRows: 2 });
}

/** Three hosts with samples either side of the samples cut-off; returns their ids. */
async function hostsWithSamples(store: ConformanceStore) {
  const a = await tenant(store, 'a');
  const cutoff = POLICY.samplesBefore.getTime();
  // per host: [old samples, recent samples]
  const plan = [
    [5, 2],
    [0, 3],
    [4, 0],
  ] as const;
  const hosts: string[] = [];
  for (const [i, [old, recent]] of plan.entries()) {
    const agent = await enrolledAgent(store, a.id, `m-${i}`);
    let hostId = '';
    const times = [
      ...Array.from({ length: old }, (_, n) => cutoff - (n + 1) * HOUR),
      ...Array.from({ length: recent }, (_, n) => cutoff + n * HOUR), // at the cut-off stays
    ];
    for (const [n, time] of times.entries()) {
      const r = report(agent, { performance: samplePerformance(n) }, { collectedAt: at(time) });
      hostId = storedHost(await ingest(store, agent, r, at(time + 1000)));
    }
    hosts.push(hostId);
  }
  return { hosts, agentTenant: a };
}

const sampleCounts = async (store: ConformanceStore, hosts: string[]) =>
  Promise.all(hosts.map(async (h) => (await store.hosts.performanceHistory(h, at(0), 100)).length));

/** Tenant score points: several a day on old days, several on a recent day. */
async function tenantHistory(store: ConformanceStore, tenantId: string) {
  const detail = POLICY.historyDetailBefore.getTime();
  const oldDay = Math.floor(detail / DAY) * DAY - 10 * DAY; // well before the detail window
  const edgeDay = Math.floor(detail / DAY) * DAY; // the day the cut-off falls in: kept whole
  const recentDay = NOW - DAY;
  const times = [
    oldDay + 1 * HOUR,
    oldDay + 5 * HOUR,
    oldDay + 23 * HOUR, // the last of its day: stays
    oldDay + DAY + 2 * HOUR, // alone on its day: stays
    edgeDay + 1 * HOUR,
    edgeDay + 2 * HOUR,
    recentDay,
    recentDay + HOUR,
  ];
  let score = 50;
  for (const time of times) {
    // a different score each time: every point is recorded
    const value = score++;
    const recorded = await store.posture.recordTenantPosture(tenantId, {
      at: at(time),
      score: value,
      categories: categories(value),
    });
    if (!recorded) throw new Error('tenant history point not recorded');
  }
  return { times, kept: [times[2], times[3], ...times.slice(4)] };
}

export function retentionSuite(t: Test, factory: StoreFactory): void {
  t.test('retention: samples and report ids before the cut-off go, the rest stays', async (t) => {
    const { store } = await factory.open(t);
    const { hosts } = await hostsWithSamples(store);
    t.same(await sampleCounts(store, hosts), [7, 3, 4]);

    const outcome = await store.maintenance.applyRetention(POLICY);
    t.equal(outcome.performanceSamples, 9, 'the 9 old samples');
    t.equal(outcome.reportLedger, 9, 'and their 9 report ids');
    t.same(await sampleCounts(store, hosts), [2, 3, 0]);
    t.same(
      await store.maintenance.applyRetention(POLICY),
      { performanceSamples: 0, reportLedger: 0, postureHistory: 0, initiativeProgress: 0 },
      'a second run finds nothing',
    );
  });

  t.test('retention: a report id whose collected time is recent is kept', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const cutoff = POLICY.samplesBefore.getTime();
    // received long ago, but collected (by a clock running ahead) after the cut-off
    const ahead = report(
      agent,
      { performance: samplePerformance(1) },
      {
        collectedAt: at(cutoff + DAY),
      },
    );
    const old = report(
      agent,
      { performance: samplePerformance(2) },
      {
        collectedAt: at(cutoff - DAY),
      },
    );
    await ingest(store, agent, ahead, at(cutoff - 2 * DAY));
    await ingest(store, agent, old, at(cutoff - DAY + 1000));
    const outcome = await store.maintenance.applyRetention(POLICY);
    t.equal(outcome.reportLedger, 1);
    t.equal(
      (await ingest(store, agent, ahead, at(NOW))).status,
      'duplicate',
      'the id of a sample still stored is still recognised',
    );
    t.equal(
      (await ingest(store, agent, old, at(NOW))).status,
      'stored',
      'a pruned id is forgotten',
    );
  });

  t.test('retention: history is thinned to the last point of each old day', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const histories = [await tenantHistory(store, a.id), await tenantHistory(store, b.id)];

    const outcome = await store.maintenance.applyRetention(POLICY);
    t.equal(outcome.postureHistory, 4, 'two points of one old day, in each of two tenants');
    for (const [i, id] of [a.id, b.id].entries()) {
      const left = await store.posture.history('tenant', id, at(0));
      t.same(
        left.map((p) => p.at.getTime()),
        histories[i]!.kept,
        `tenant ${i}: the last of each old day, every point since`,
      );
    }
    t.equal((await store.maintenance.applyRetention(POLICY)).postureHistory, 0);
  });

  t.test('retention: initiative progress is thinned the same way', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const created = at(NOW - 200 * DAY);
    await store.initiatives.create({
      id: 'in-1',
      tenantId: a.id,
      title: 'Patch everything',
      owner: 'ops',
      filter: {},
      target: { type: 'lifecycle', os: 'supported' },
      startDate: '2025-12-01',
      dueDate: '2026-12-31',
      status: 'active',
      suggestionKey: null,
      createdAt: created,
      createdBy: 'test',
      updatedAt: created,
    });
    const day = Math.floor((NOW - 120 * DAY) / DAY) * DAY;
    const times = [day + HOUR, day + 2 * HOUR, day + 3 * HOUR, NOW - HOUR, NOW];
    for (const [n, time] of times.entries()) {
      t.equal(
        await store.initiatives.recordProgress('in-1', { at: at(time), inScope: 10, met: n }),
        true,
      );
    }
    const outcome = await store.maintenance.applyRetention(POLICY);
    t.equal(outcome.initiativeProgress, 2);
    t.same(
      (await store.initiatives.progressHistory('in-1')).map((p) => [p.at.getTime(), p.met]),
      [
        [day + 3 * HOUR, 2],
        [NOW - HOUR, 3],
        [NOW, 4],
      ],
    );
  });

  t.test('two Store instances running retention at once remove each row once', async (t) => {
    const db = await factory.open(t);
    const other = await db.another();
    const { hosts, agentTenant } = await hostsWithSamples(db.store);
    const history = await tenantHistory(db.store, agentTenant.id);
    const outcomes = await Promise.all([
      db.store.maintenance.applyRetention(POLICY),
      other.maintenance.applyRetention(POLICY),
    ]);
    const sum = (k: keyof (typeof outcomes)[0]) => outcomes[0][k] + outcomes[1][k];
    t.same(
      [sum('performanceSamples'), sum('reportLedger'), sum('postureHistory')],
      [9, 9, 2],
      'between them, every old row once',
    );
    t.same(await sampleCounts(other, hosts), [2, 3, 0]);
    t.same(
      (await other.posture.history('tenant', agentTenant.id, at(0))).map((p) => p.at.getTime()),
      history.kept,
    );
  });

  t.test('retention in batches of two rows: the same outcome', async (t) => {
    const { store } = await factory.open(t);
    const { hosts, agentTenant } = await hostsWithSamples(store);
    const history = await tenantHistory(store, agentTenant.id);
    const maintenance = await smallBatches(factory, store);
    const outcome = await maintenance.applyRetention(POLICY);
    t.same(outcome, {
      performanceSamples: 9,
      reportLedger: 9,
      postureHistory: 2,
      initiativeProgress: 0,
    });
    t.same(await sampleCounts(store, hosts), [2, 3, 0]);
    t.same(
      (await store.posture.history('tenant', agentTenant.id, at(0))).map((p) => p.at.getTime()),
      history.kept,
    );
  });
}
