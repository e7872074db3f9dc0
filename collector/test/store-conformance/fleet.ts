// The fleet figures /metrics exports, read from either store: SQLite through
// metrics/fleet-sqlite.ts (what the metrics worker runs), PostgreSQL through
// metrics/fleet-postgres.ts. The same data gives the same snapshot and the same text.
import type { Test } from 'tap';
import { samplePerformance, sampleSystem } from '@vcio/shared/testing';
import { renderFleet, type FleetSnapshot } from '../../src/metrics/fleet.js';
import { patches, patchSource, pending } from '../sections.js';
import { assessment, categories, detail, finding } from './assessments.js';
import type { ConformanceStore, StoreFactory } from './harness.js';
import { enrolledAgent, ingest, minutes, report, storedHost, tenant } from './fixtures.js';

/** The store's fleet reader, as the metrics route would pick it. */
async function fleetReader(
  factory: StoreFactory,
  store: ConformanceStore,
): Promise<(nowMs: number) => Promise<FleetSnapshot>> {
  const db = (store as unknown as { db: never }).db;
  if (factory.name === 'sqlite') {
    const { sqliteFleetSource } = await import('../../src/metrics/fleet-sqlite.js');
    const source = sqliteFleetSource(db);
    return async (nowMs) => source.read(nowMs);
  }
  const { postgresFleetSource } = await import('../../src/metrics/fleet-postgres.js');
  const source = postgresFleetSource(db);
  return (nowMs) => source.read(nowMs);
}

const fullestDisk = (seed: number) => {
  const fs = samplePerformance(seed).filesystems;
  return Math.max(...fs.map((f) => f.usedBytes / f.sizeBytes));
};

export function fleetSuite(t: Test, factory: StoreFactory): void {
  t.test('fleet figures for /metrics: hosts, samples, patches, tenant posture', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    await tenant(store, 'empty');
    const web = await enrolledAgent(store, a.id, 'm-web');
    const db = await enrolledAgent(store, a.id, 'm-db');
    const sections = (seed: number, reboot: boolean | null) => ({
      system: sampleSystem(`host-${seed}`, seed),
      performance: samplePerformance(seed),
      patches: {
        ...patches([
          patchSource('apt', [
            pending('openssl', '3.0.1', '3.0.2', { security: true, severity: 'critical' }),
            pending('curl', '7.0', '7.1', { security: true, severity: 'critical' }),
            pending('vim', '9.0', '9.1'),
          ]),
        ]),
        rebootRequired: reboot,
      },
    });
    const webHost = storedHost(
      await ingest(store, web, report(web, sections(1, true), { collectedAt: minutes(1) })),
    );
    await store.posture.recordHostPosture(
      assessment(webHost, a.id, minutes(4), {
        score: 64,
        detail: detail({ os: 'end_of_life', virtual: true, replacementDue: '2028-01-01' }),
        open: [finding('ssh-root-login', 5, { severity: 'high' })],
      }),
    );
    await ingest(store, db, report(db, { performance: samplePerformance(2) }));
    await store.posture.recordTenantPosture(a.id, {
      at: minutes(2),
      score: 71,
      categories: categories(70),
    });
    await store.posture.recordTenantPosture(a.id, {
      at: minutes(3),
      score: 72,
      categories: categories(72),
    });

    const read = await fleetReader(factory, store);
    const now = minutes(10).getTime();
    const snapshot = await read(now);
    t.same(snapshot.tenants, ['a', 'empty'], 'every tenant, those without hosts too');
    t.same(
      snapshot.hosts.map((h) => [h.tenant, h.hostname]),
      [
        ['a', 'host-m-db'],
        ['a', 'host-m-web'],
      ],
      'by tenant, then hostname',
    );
    const [plain, withPatches] = snapshot.hosts;
    const perf = samplePerformance(1);
    t.equal(withPatches!.cpuUtilisation, perf.cpu.utilisation);
    t.equal(withPatches!.memoryUsedRatio, perf.memory.usedBytes / perf.memory.totalBytes);
    t.ok(Math.abs(withPatches!.diskUsedRatio! - fullestDisk(1)) < 1e-12, 'the fullest disk');
    t.same(withPatches!.os, { platform: 'linux', distro: 'Ubuntu', release: '22.04.4 LTS' });
    t.equal(withPatches!.patches?.pending, 3);
    t.equal(withPatches!.patches?.security, 2);
    t.same([...(withPatches!.patches?.bySeverity ?? [])].sort(), [
      ['critical', 2],
      ['unknown', 1],
    ]);
    t.equal(withPatches!.patches?.rebootRequired, true);
    t.equal(plain!.patches, null, 'no patches section: no patch figures');
    t.ok(Math.abs(plain!.diskUsedRatio! - fullestDisk(2)) < 1e-12);
    t.equal(plain!.posture, null, 'never assessed');
    t.same(withPatches!.posture, {
      score: 64,
      osStatus: 'end_of_life',
      virtual: true,
      replacementDueMs: Date.parse('2028-01-01T00:00:00Z'),
    });
    const posture = snapshot.tenantPosture.get('a');
    t.equal(posture?.score, 72, 'the latest tenant score');
    t.same(posture?.categories, categories(72));
    t.same([...(posture?.findings ?? [])], [['high', 1]], 'open findings by severity');
    t.equal(snapshot.tenantPosture.get('empty'), undefined);

    // a newer patches section: the cached reboot flag is read again
    await ingest(store, web, report(web, sections(3, false), { collectedAt: minutes(5) }));
    const again = await read(now);
    t.equal(again.hosts[1]!.patches?.rebootRequired, false, 'the cache follows the new section');
    t.ok(Math.abs(again.hosts[1]!.diskUsedRatio! - fullestDisk(3)) < 1e-12);

    const text = renderFleet(again, { perHostLimit: Infinity, onlineSeconds: 3600 }).text;
    t.match(text, /vcio_tenant_hosts\{tenant="a"\} 2\n/, 'the rendered text counts the hosts');
  });
}
