// Reads the fleet snapshot for /metrics from the PostgreSQL store: the same handful of
// whole-table queries as fleet-sqlite.ts (no query per host), joined in memory by host key,
// on a pooled connection in one read-only REPEATABLE READ transaction, so every query sees
// the same state of the database. Every collector on the database reads the same figures,
// whichever of them Prometheus scrapes.
//
// No worker thread: the queries run in the database server, and what the collector does
// (turning rows into text) is the same work fleet-renderer.ts's in-thread renderer does.
// As in fleet-sqlite.ts, JSON is looked into only for hosts whose section, sample or
// assessment changed since the last snapshot (the fullest disk, the reboot flag, the
// posture figures), in one query for all of them.
import type { PgDatabase, Queryable } from '../store/postgres/database.js';
import { renderFleet, type FleetRenderOptions } from './fleet.js';
import type { FleetHost, FleetHostPosture, FleetSnapshot, FleetTenantPosture } from './fleet.js';
import {
  addFindingCounts,
  addPending,
  applySample,
  emptyPatches,
  fleetHost,
  fleetHostPosture,
  forgetRemovedHosts,
  type FindingCountRow,
  type HostRow,
  type PendingRow,
  type SampleRow,
} from './fleet-rows.js';
import type { FleetRenderer } from './fleet-renderer.js';

// Rows as arrays (rowMode 'array'); the shared ones in fleet-rows.ts.
type KeyedFigure<T> = [hostKey: number, value: T];
type StampRow = [hostKey: number, at: number];
type HostPostureRow = [
  hostKey: number,
  score: number | null,
  osStatus: string | null,
  virtual: boolean,
  replacementDue: string | null,
];
type TenantScoreRow = [tenant: string, score: number | null, categories: unknown];

export interface AsyncFleetSource {
  read(nowMs: number): Promise<FleetSnapshot>;
}

const rows = async <R>(client: Queryable, text: string, values: unknown[] = []): Promise<R[]> =>
  (await client.query({ text, values, rowMode: 'array' })).rows as R[];

export function postgresFleetSource(db: PgDatabase): AsyncFleetSource {
  const postureCache = new Map<number, { at: number; posture: FleetHostPosture }>();
  const diskCache = new Map<number, { at: number; ratio: number | null }>();
  const rebootCache = new Map<number, { at: number; reboot: boolean | null }>();

  async function snapshot(client: Queryable, nowMs: number): Promise<FleetSnapshot> {
    const byKey = new Map<number, FleetHost>();
    const list: FleetHost[] = [];
    const hosts = await rows<HostRow>(
      client,
      `SELECT h.key, h.id, h.hostname, t.slug, h.os_platform, h.os_distro, h.os_release,
              h.last_seen
       FROM hosts h JOIN tenants t ON t.id = h.tenant_id
       ORDER BY t.slug, h.hostname, h.id`,
    );
    for (const row of hosts) {
      const host = fleetHost(row);
      byKey.set(row[0], host);
      list.push(host);
    }

    // The newest sample of each host, along the (host_key, collected_at) index.
    const samples = await rows<SampleRow>(
      client,
      `SELECT h.key, s.collected_at, s.cpu_utilisation, s.memory_total_bytes, s.memory_used_bytes
       FROM hosts h CROSS JOIN LATERAL (
         SELECT collected_at, cpu_utilisation, memory_total_bytes, memory_used_bytes
         FROM performance_samples WHERE host_key = h.key
         ORDER BY collected_at DESC LIMIT 1) s`,
    );
    const diskStale: number[] = [];
    const diskAt: number[] = [];
    for (const row of samples) {
      const [hostKey, collectedAt] = row;
      const host = byKey.get(hostKey);
      if (!host) continue;
      applySample(host, row);
      const cached = diskCache.get(hostKey);
      if (cached?.at === collectedAt) host.diskUsedRatio = cached.ratio;
      else {
        diskStale.push(hostKey);
        diskAt.push(collectedAt);
      }
    }
    if (diskStale.length > 0) {
      const ratios = new Map(
        await rows<KeyedFigure<number | null>>(
          client,
          `SELECT s.host_key, max((f ->> 'usedBytes')::float8 / (f ->> 'sizeBytes')::float8)
           FROM unnest($1::bigint[], $2::bigint[]) AS k(host_key, collected_at)
           JOIN performance_samples s
             ON s.host_key = k.host_key AND s.collected_at = k.collected_at
           LEFT JOIN LATERAL json_array_elements(
             CASE WHEN json_typeof(s.detail -> 'filesystems') = 'array'
                  THEN s.detail -> 'filesystems' END) f
             ON (f ->> 'sizeBytes')::float8 > 0
           GROUP BY s.host_key`,
          [diskStale, diskAt],
        ),
      );
      diskStale.forEach((hostKey, i) => {
        const ratio = ratios.get(hostKey) ?? null;
        diskCache.set(hostKey, { at: diskAt[i]!, ratio });
        byKey.get(hostKey)!.diskUsedRatio = ratio;
      });
    }

    const patches = await rows<StampRow>(
      client,
      `SELECT h.key, s.collected_at FROM host_sections s JOIN hosts h ON h.id = s.host_id
       WHERE s.section = 'patches'`,
    );
    const rebootStale: number[] = [];
    const rebootAt = new Map<number, number>();
    for (const [hostKey, collectedAt] of patches) {
      const host = byKey.get(hostKey);
      if (!host) continue;
      const cached = rebootCache.get(hostKey);
      host.patches = emptyPatches(cached?.reboot ?? null);
      if (cached?.at !== collectedAt) {
        rebootStale.push(hostKey);
        rebootAt.set(hostKey, collectedAt);
      }
    }
    if (rebootStale.length > 0) {
      const flags = await rows<KeyedFigure<string | null>>(
        client,
        `SELECT h.key, s.data ->> 'rebootRequired'
         FROM hosts h JOIN host_sections s ON s.host_id = h.id AND s.section = 'patches'
         WHERE h.key = ANY ($1::bigint[])`,
        [rebootStale],
      );
      const byHost = new Map(flags);
      for (const hostKey of rebootStale) {
        const value = byHost.get(hostKey);
        const reboot = value === 'true' ? true : value === 'false' ? false : null;
        rebootCache.set(hostKey, { at: rebootAt.get(hostKey)!, reboot });
        byKey.get(hostKey)!.patches!.rebootRequired = reboot;
      }
    }
    const pending = await rows<PendingRow>(
      client,
      `SELECT host_key, severity, count(*)::int, count(*) FILTER (WHERE security)::int
       FROM host_pending_updates GROUP BY host_key, severity`,
    );
    addPending(byKey, pending);

    // Posture: the assessed_at column of every host, the figures (from the assessment's
    // JSON) only for hosts assessed since the last snapshot.
    const postures = await rows<StampRow>(
      client,
      'SELECT h.key, p.assessed_at FROM host_posture p JOIN hosts h ON h.id = p.host_id',
    );
    const postureStale: number[] = [];
    const assessedAt = new Map<number, number>();
    for (const [hostKey, at] of postures) {
      const host = byKey.get(hostKey);
      if (!host) continue;
      const cached = postureCache.get(hostKey);
      if (cached?.at === at) host.posture = cached.posture;
      else {
        postureStale.push(hostKey);
        assessedAt.set(hostKey, at);
      }
    }
    if (postureStale.length > 0) {
      const figures = await rows<HostPostureRow>(
        client,
        `SELECT h.key, p.score, p.detail -> 'os' ->> 'state',
                coalesce(p.detail -> 'hardware' ->> 'virtual' = 'true', false),
                p.detail -> 'hardware' ->> 'replacementDue'
         FROM host_posture p JOIN hosts h ON h.id = p.host_id
         WHERE h.key = ANY ($1::bigint[])`,
        [postureStale],
      );
      for (const [hostKey, score, osStatus, virtual, due] of figures) {
        const posture = fleetHostPosture(score, osStatus, virtual, due);
        postureCache.set(hostKey, { at: assessedAt.get(hostKey)!, posture });
        const host = byKey.get(hostKey);
        if (host) host.posture = posture;
      }
    }

    // The latest history point of each tenant: what the posture service last computed.
    const tenantPosture = new Map<string, FleetTenantPosture>();
    const scores = await rows<TenantScoreRow>(
      client,
      `SELECT t.slug, p.score, p.categories FROM tenants t CROSS JOIN LATERAL (
         SELECT score, categories FROM posture_history
         WHERE scope = 'tenant' AND scope_id = t.id ORDER BY recorded_at DESC LIMIT 1) p`,
    );
    for (const [slug, score, categories] of scores) {
      tenantPosture.set(slug, {
        score,
        categories: categories as FleetTenantPosture['categories'],
        findings: new Map(),
      });
    }
    const findings = await rows<FindingCountRow>(
      client,
      `SELECT t.slug, f.severity, count(*)::int FROM findings f JOIN tenants t ON t.id = f.tenant_id
       WHERE f.resolved_at IS NULL GROUP BY t.slug, f.severity`,
    );
    addFindingCounts(tenantPosture, findings);
    const tenants = (await rows<[string]>(client, 'SELECT slug FROM tenants ORDER BY slug')).map(
      (r) => r[0],
    );

    forgetRemovedHosts(byKey, [postureCache, diskCache, rebootCache]);
    return { tenants, hosts: list, readAtMs: nowMs, tenantPosture };
  }

  return {
    read(nowMs) {
      // One snapshot for every query; READ ONLY: a scrape never writes.
      return db.transaction(async (client) => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        return snapshot(client, nowMs);
      });
    },
  };
}

/** Reads with SQL on the pool and renders on the calling thread (see the header). */
export function postgresRenderer(db: PgDatabase, options: FleetRenderOptions): FleetRenderer {
  const source = postgresFleetSource(db);
  return {
    async render(nowMs) {
      const started = performance.now();
      const rendered = renderFleet(await source.read(nowMs), options);
      return { ...rendered, seconds: (performance.now() - started) / 1000 };
    },
    async close() {},
  };
}
