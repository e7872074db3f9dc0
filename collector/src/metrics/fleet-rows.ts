// The parts of a fleet snapshot that both sources (fleet-sqlite.ts, fleet-postgres.ts) build
// the same way from the same query rows. Rows are arrays (better-sqlite3's raw mode,
// node-postgres' rowMode 'array'): an object per row costs more at tens of thousands.
import type { FleetHost, FleetHostPosture, FleetTenantPosture } from './fleet.js';

export type HostRow = [
  key: number,
  id: string,
  hostname: string,
  tenant: string,
  platform: string | null,
  distro: string | null,
  release: string | null,
  lastSeen: number,
];
export type SampleRow = [
  hostKey: number,
  collectedAt: number,
  cpu: number | null,
  memoryTotal: number,
  memoryUsed: number,
];
export type PendingRow = [hostKey: number, severity: string | null, n: number, security: number];
export type FindingCountRow = [tenant: string, severity: string, n: number];

/** A host with only its identity and OS: the later queries fill in the rest. */
export function fleetHost([, id, hostname, tenant, platform, distro, release, lastSeen]: HostRow) {
  const host: FleetHost = {
    id,
    hostname,
    tenant,
    os: platform ? { platform, distro, release } : null,
    lastSeenMs: lastSeen,
    cpuUtilisation: null,
    memoryUsedRatio: null,
    diskUsedRatio: null,
    patches: null,
    posture: null,
  };
  return host;
}

/** CPU and memory from the host's newest sample (the fullest disk is read apart). */
export function applySample(host: FleetHost, [, , cpu, total, used]: SampleRow): void {
  host.cpuUtilisation = cpu;
  host.memoryUsedRatio = total > 0 ? used / total : null;
}

/** A host with a patches section: its counts start at zero, pending updates add to them. */
export const emptyPatches = (rebootRequired: boolean | null): FleetHost['patches'] => ({
  pending: 0,
  security: 0,
  bySeverity: new Map(),
  rebootRequired,
});

/** Pending updates by host and severity, added to hosts that have a patches section. */
export function addPending(byKey: Map<number, FleetHost>, rows: Iterable<PendingRow>): void {
  for (const [hostKey, stated, n, security] of rows) {
    const p = byKey.get(hostKey)?.patches;
    if (!p) continue;
    const severity = stated ?? 'unknown';
    p.pending += n;
    p.security += security;
    p.bySeverity.set(severity, (p.bySeverity.get(severity) ?? 0) + n);
  }
}

/** The figures of one assessment; `due` is the replacement date (YYYY-MM-DD) or null. */
export function fleetHostPosture(
  score: number | null,
  osStatus: string | null,
  virtual: boolean,
  due: string | null,
): FleetHostPosture {
  const dueMs = due ? Date.parse(`${due}T00:00:00Z`) : NaN;
  return {
    score,
    osStatus: osStatus ?? 'unknown',
    virtual,
    replacementDueMs: Number.isNaN(dueMs) ? null : dueMs,
  };
}

/** Open findings by tenant and severity; a tenant without a score yet gets an empty one. */
export function addFindingCounts(
  tenantPosture: Map<string, FleetTenantPosture>,
  rows: Iterable<FindingCountRow>,
): void {
  for (const [slug, severity, n] of rows) {
    let posture = tenantPosture.get(slug);
    if (!posture) {
      posture = { score: null, categories: {}, findings: new Map() };
      tenantPosture.set(slug, posture);
    }
    posture.findings.set(severity, n);
  }
}

/** Hosts removed from the database leave the per-host caches. */
export function forgetRemovedHosts(
  byKey: Map<number, FleetHost>,
  caches: Map<number, unknown>[],
): void {
  for (const cache of caches) {
    for (const key of cache.keys()) if (!byKey.has(key)) cache.delete(key);
  }
}
