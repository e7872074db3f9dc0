// Reads the fleet snapshot for /metrics from the SQLite store: a handful of whole-table
// queries (no query per host), joined in memory by host key.
//
// The patches section is JSON that can run to tens of kilobytes a host, and parsing it on
// every refresh to find `rebootRequired` would dominate; it is re-read only for hosts
// whose section changed since the last snapshot (the collected_at column alone is read
// otherwise, without touching the JSON). The same for the fullest-disk ratio of the
// latest performance sample.
//
// fleet-postgres.ts reads the same snapshot from PostgreSQL; fleet-rows.ts holds what both share.
import type { SqliteDatabase } from '../store/sqlite/database.js';
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

export interface FleetSource {
  read(nowMs: number): FleetSnapshot;
}

// Rows come back as arrays (better-sqlite3's raw mode); the shared ones in fleet-rows.ts.
type PatchesRow = [hostKey: number, collectedAt: number];
type PostureRow = [hostKey: number, assessedAt: number];
type HostPostureRow = [
  score: number | null,
  osStatus: string | null,
  virtual: number | null,
  replacementDue: string | null,
];
type TenantScoreRow = [tenant: string, score: number | null, categories: string];

export function sqliteFleetSource(db: SqliteDatabase): FleetSource {
  const tenants = db.prepare('SELECT slug FROM tenants ORDER BY slug').pluck();
  const hosts = db
    .prepare(
      `
    SELECT h.key, h.id, h.hostname, t.slug AS tenant, h.os_platform, h.os_distro,
           h.os_release, h.last_seen
    FROM hosts h JOIN tenants t ON t.id = h.tenant_id
    ORDER BY t.slug, h.hostname, h.id`,
    )
    .raw();
  // The newest sample of each host, along the (host_key, collected_at) index.
  const samples = db
    .prepare(
      `
    SELECT s.host_key, s.collected_at, s.cpu_utilisation, s.memory_total_bytes,
           s.memory_used_bytes
    FROM hosts h JOIN performance_samples s ON s.rowid = (
      SELECT rowid FROM performance_samples WHERE host_key = h.key
      ORDER BY collected_at DESC LIMIT 1)`,
    )
    .raw();
  const fullestDisk = db
    .prepare(
      `SELECT max(CAST(json_extract(f.value, '$.usedBytes') AS REAL) /
                  json_extract(f.value, '$.sizeBytes'))
       FROM performance_samples s, json_each(s.detail, '$.filesystems') f
       WHERE s.host_key = ? AND s.collected_at = ? AND json_extract(f.value, '$.sizeBytes') > 0`,
    )
    .pluck();
  const pending = db
    .prepare(
      `
    SELECT host_key, severity, count(*) AS n, coalesce(sum(security = 1), 0) AS security
    FROM host_pending_updates GROUP BY host_key, severity`,
    )
    .raw();
  const patches = db
    .prepare(
      `
    SELECT h.key AS host_key, s.collected_at FROM host_sections s JOIN hosts h ON h.id = s.host_id
    WHERE s.section = 'patches'`,
    )
    .raw();
  const rebootRequired = db
    .prepare(
      `SELECT json_extract(data, '$.rebootRequired') FROM host_sections
       WHERE host_id = ? AND section = 'patches'`,
    )
    .pluck();

  // Posture: the assessed_at column of every host, and the figures re-read (from the
  // assessment's JSON) only for hosts assessed since the last snapshot.
  const postures = db
    .prepare('SELECT h.key, p.assessed_at FROM host_posture p JOIN hosts h ON h.id = p.host_id')
    .raw();
  const hostPosture = db
    .prepare(
      `SELECT score, json_extract(detail, '$.os.state'), json_extract(detail, '$.hardware.virtual'),
              json_extract(detail, '$.hardware.replacementDue')
       FROM host_posture WHERE host_id = ?`,
    )
    .raw();
  // The latest history point of each tenant: what the posture service last computed.
  const tenantScores = db
    .prepare(
      `SELECT t.slug, p.score, p.categories FROM tenants t JOIN posture_history p
       ON p.scope = 'tenant' AND p.scope_id = t.id AND p.recorded_at = (
         SELECT max(recorded_at) FROM posture_history
         WHERE scope = 'tenant' AND scope_id = t.id)`,
    )
    .raw();
  const findingCounts = db
    .prepare(
      `SELECT t.slug, f.severity, count(*) FROM findings f JOIN tenants t ON t.id = f.tenant_id
       WHERE f.resolved_at IS NULL GROUP BY t.slug, f.severity`,
    )
    .raw();

  const postureCache = new Map<number, { at: number; posture: FleetHostPosture }>();
  const diskCache = new Map<number, { at: number; ratio: number | null }>();
  const rebootCache = new Map<number, { at: number; reboot: boolean | null }>();

  return {
    read(nowMs) {
      // One read transaction: every query sees the same state of the database.
      return db.transaction((): FleetSnapshot => {
        const byKey = new Map<number, FleetHost>();
        const list: FleetHost[] = [];
        const ids = new Map<number, string>();
        for (const row of hosts.all() as HostRow[]) {
          const host = fleetHost(row);
          byKey.set(row[0], host);
          ids.set(row[0], host.id);
          list.push(host);
        }
        for (const row of samples.all() as SampleRow[]) {
          const [hostKey, collectedAt] = row;
          const host = byKey.get(hostKey);
          if (!host) continue;
          applySample(host, row);
          let disk = diskCache.get(hostKey);
          if (disk?.at !== collectedAt) {
            const value = fullestDisk.get(hostKey, collectedAt) as number | null;
            disk = { at: collectedAt, ratio: value ?? null };
            diskCache.set(hostKey, disk);
          }
          host.diskUsedRatio = disk.ratio;
        }
        for (const [hostKey, collectedAt] of patches.all() as PatchesRow[]) {
          const host = byKey.get(hostKey);
          if (!host) continue;
          let cached = rebootCache.get(hostKey);
          if (cached?.at !== collectedAt) {
            const value = rebootRequired.get(ids.get(hostKey)) as number | null | undefined;
            cached = { at: collectedAt, reboot: value === 1 ? true : value === 0 ? false : null };
            rebootCache.set(hostKey, cached);
          }
          host.patches = emptyPatches(cached.reboot);
        }
        addPending(byKey, pending.all() as PendingRow[]);
        for (const [hostKey, assessedAt] of postures.all() as PostureRow[]) {
          const host = byKey.get(hostKey);
          if (!host) continue;
          let cached = postureCache.get(hostKey);
          if (cached?.at !== assessedAt) {
            const [score, osStatus, virtual, due] = hostPosture.get(
              ids.get(hostKey),
            ) as HostPostureRow;
            cached = {
              at: assessedAt,
              posture: fleetHostPosture(score, osStatus, virtual === 1, due),
            };
            postureCache.set(hostKey, cached);
          }
          host.posture = cached.posture;
        }
        const tenantPosture = new Map<string, FleetTenantPosture>();
        for (const [slug, score, categories] of tenantScores.all() as TenantScoreRow[]) {
          tenantPosture.set(slug, {
            score,
            categories: JSON.parse(categories) as FleetTenantPosture['categories'],
            findings: new Map(),
          });
        }
        addFindingCounts(tenantPosture, findingCounts.all() as FindingCountRow[]);
        forgetRemovedHosts(byKey, [postureCache, diskCache, rebootCache]);
        return {
          tenants: tenants.all() as string[],
          hosts: list,
          readAtMs: nowMs,
          tenantPosture,
        };
      })();
    },
  };
}
