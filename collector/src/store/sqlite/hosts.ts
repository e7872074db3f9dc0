import type { LifecycleState, SectionName } from '@vcio/shared';
import type { HostDetail, HostStore, HostSummary, PerformanceSampleRow } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { fromMillis, toMillis } from './rows.js';

interface HostRow {
  key: number;
  id: string;
  tenant_id: string;
  tenant_slug: string;
  machine_id: string;
  hostname: string;
  agent_id: string;
  agent_version: string;
  os_platform: string | null;
  os_distro: string | null;
  os_release: string | null;
  first_seen: number;
  last_seen: number;
  last_report_at: number;
  site_id: string | null;
  site_slug: string | null;
  site_name: string | null;
  posture_score: number | null;
  posture_assessed_at: number | null;
  os_state: LifecycleState | null;
  os_label: string | null;
  os_eol: string | null;
}

interface SampleRow {
  collected_at: number;
  cpu_utilisation: number | null;
  load1: number | null;
  memory_total_bytes: number;
  memory_used_bytes: number;
  memory_available_bytes: number;
  swap_used_bytes: number | null;
  process_count: number | null;
  detail: string;
}

interface SoftwareStateRow {
  hash: string;
  count: number;
  sources: string;
  updated_at: number;
}

interface SoftwareItemRow {
  name: string;
  version: string | null;
  publisher: string | null;
  installed_at: string | null;
  arch: string | null;
  source: string;
}

const HOST_COLUMNS = `h.*, t.slug AS tenant_slug, s.slug AS site_slug, s.name AS site_name,
  p.score AS posture_score,
  p.assessed_at AS posture_assessed_at, json_extract(p.detail, '$.os.state') AS os_state,
  json_extract(p.detail, '$.os.label') AS os_label, json_extract(p.detail, '$.os.eol') AS os_eol`;
const HOST_TABLES = `hosts h JOIN tenants t ON t.id = h.tenant_id
  LEFT JOIN sites s ON s.id = h.site_id
  LEFT JOIN host_posture p ON p.host_id = h.id`;

const toSummary = (r: HostRow): HostSummary => ({
  id: r.id,
  tenantId: r.tenant_id,
  tenantSlug: r.tenant_slug,
  machineId: r.machine_id,
  hostname: r.hostname,
  agentId: r.agent_id,
  agentVersion: r.agent_version,
  os: { platform: r.os_platform, distro: r.os_distro, release: r.os_release },
  firstSeen: fromMillis(r.first_seen),
  lastSeen: fromMillis(r.last_seen),
  lastReportAt: fromMillis(r.last_report_at),
  site: r.site_id === null ? null : { id: r.site_id, slug: r.site_slug!, name: r.site_name! },
  posture:
    r.posture_assessed_at === null
      ? null
      : {
          score: r.posture_score,
          assessedAt: fromMillis(r.posture_assessed_at),
          os: r.os_state ? { state: r.os_state, label: r.os_label, eol: r.os_eol } : null,
        },
});

const toSample = (r: SampleRow): PerformanceSampleRow => ({
  collectedAt: fromMillis(r.collected_at),
  cpuUtilisation: r.cpu_utilisation,
  load1: r.load1,
  memoryTotalBytes: r.memory_total_bytes,
  memoryUsedBytes: r.memory_used_bytes,
  memoryAvailableBytes: r.memory_available_bytes,
  swapUsedBytes: r.swap_used_bytes,
  processCount: r.process_count,
  detail: JSON.parse(r.detail) as PerformanceSampleRow['detail'],
});

export function sqliteHostStore(db: SqliteDatabase): HostStore {
  const listAll = db.prepare(`
    SELECT ${HOST_COLUMNS} FROM ${HOST_TABLES}
    ORDER BY t.slug, h.hostname, h.id LIMIT ? OFFSET ?`);
  const countAll = db.prepare('SELECT count(*) AS n FROM hosts');
  const listTenant = db.prepare(`
    SELECT ${HOST_COLUMNS} FROM ${HOST_TABLES}
    WHERE h.tenant_id = ? ORDER BY h.hostname, h.id LIMIT ? OFFSET ?`);
  const countTenant = db.prepare('SELECT count(*) AS n FROM hosts WHERE tenant_id = ?');
  // By site (or in no site, @noSite = 1), optionally within a tenant.
  const siteFilter = `WHERE (@tenantId IS NULL OR h.tenant_id = @tenantId)
    AND (CASE WHEN @noSite = 1 THEN h.site_id IS NULL ELSE h.site_id = @siteId END)`;
  const listSite = db.prepare(`
    SELECT ${HOST_COLUMNS} FROM ${HOST_TABLES} ${siteFilter}
    ORDER BY t.slug, h.hostname, h.id LIMIT @limit OFFSET @offset`);
  const countSite = db.prepare(`SELECT count(*) AS n FROM hosts h ${siteFilter}`);
  const byId = db.prepare(`SELECT ${HOST_COLUMNS} FROM ${HOST_TABLES} WHERE h.id = ?`);
  const sections = db.prepare(
    'SELECT section, collected_at, data FROM host_sections WHERE host_id = ?',
  );
  const softwareState = db.prepare(
    'SELECT hash, count, sources, updated_at FROM host_software_state WHERE host_key = ?',
  );
  const softwareItems = db.prepare(`
    SELECT name, version, publisher, installed_at, arch, source FROM host_software
    WHERE host_key = ? ORDER BY item`);
  const history = db.prepare(`
    SELECT s.* FROM performance_samples s JOIN hosts h ON h.key = s.host_key
    WHERE h.id = ? AND s.collected_at >= ?
    ORDER BY s.collected_at DESC LIMIT ?`);

  return {
    async listHosts({ tenantId, siteId, limit, offset }) {
      if (siteId !== undefined) {
        const filters = { tenantId: tenantId ?? null, siteId, noSite: siteId === null ? 1 : 0 };
        return {
          hosts: (listSite.all({ ...filters, limit, offset }) as HostRow[]).map(toSummary),
          total: (countSite.get(filters) as { n: number }).n,
        };
      }
      if (tenantId === undefined) {
        return {
          hosts: (listAll.all(limit, offset) as HostRow[]).map(toSummary),
          total: (countAll.get() as { n: number }).n,
        };
      }
      return {
        hosts: (listTenant.all(tenantId, limit, offset) as HostRow[]).map(toSummary),
        total: (countTenant.get(tenantId) as { n: number }).n,
      };
    },
    async getHost(id, options = {}): Promise<HostDetail | null> {
      const row = byId.get(id) as HostRow | undefined;
      if (!row) return null;
      const detail: HostDetail = { ...toSummary(row), sections: {}, latestPerformance: null };
      for (const s of sections.all(id) as {
        section: string;
        collected_at: number;
        data: string;
      }[]) {
        detail.sections[s.section as SectionName] = {
          collectedAt: fromMillis(s.collected_at),
          data: JSON.parse(s.data) as unknown,
        };
      }
      const software = softwareState.get(row.key) as SoftwareStateRow | undefined;
      if (software) {
        const updatedAt = fromMillis(software.updated_at);
        const items =
          options.softwareItems === false
            ? null
            : (softwareItems.all(row.key) as SoftwareItemRow[]).map((r) => ({
                name: r.name,
                version: r.version,
                publisher: r.publisher,
                installedAt: r.installed_at,
                arch: r.arch,
                source: r.source,
              }));
        detail.sections.software = {
          collectedAt: updatedAt,
          data: {
            hash: software.hash,
            count: software.count,
            updatedAt,
            sources: JSON.parse(software.sources) as unknown,
            items,
          },
        };
      }
      const latest = history.get(id, 0, 1) as SampleRow | undefined;
      detail.latestPerformance = latest ? toSample(latest) : null;
      return detail;
    },
    async performanceHistory(hostId, since, limit) {
      return (history.all(hostId, toMillis(since), limit) as SampleRow[]).map(toSample);
    },
  };
}
