// Hosts: the list (by tenant, by site), one host with its latest sections, and its
// performance history.
import type { LifecycleState, SectionName } from '@vcio/shared';
import type { HostDetail, HostStore, HostSummary, PerformanceSampleRow } from '../types.js';
import { fromMillis, toMillis } from '../sqlite/rows.js';
import type { PgDatabase } from './database.js';

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

/** JSON columns arrive parsed. */
interface SampleRow {
  collected_at: number;
  cpu_utilisation: number | null;
  load1: number | null;
  memory_total_bytes: number;
  memory_used_bytes: number;
  memory_available_bytes: number;
  swap_used_bytes: number | null;
  process_count: number | null;
  detail: PerformanceSampleRow['detail'];
}

const HOST_COLUMNS = `h.*, t.slug AS tenant_slug, s.slug AS site_slug, s.name AS site_name,
  p.score AS posture_score, p.assessed_at AS posture_assessed_at,
  p.detail -> 'os' ->> 'state' AS os_state, p.detail -> 'os' ->> 'label' AS os_label,
  p.detail -> 'os' ->> 'eol' AS os_eol`;
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
  detail: r.detail,
});

const HISTORY = `
  SELECT s.* FROM performance_samples s JOIN hosts h ON h.key = s.host_key
  WHERE h.id = $1 AND s.collected_at >= $2
  ORDER BY s.collected_at DESC LIMIT $3`;

export function pgHostStore(db: PgDatabase): HostStore {
  return {
    async listHosts({ tenantId, siteId, limit, offset }) {
      // Filters as conditions on parameters: $1 the tenant (NULL: any); $2 whether to
      // filter by site at all, $3 the site (NULL with $2: hosts in no site).
      const where = `WHERE ($1::text IS NULL OR h.tenant_id = $1)
        AND (NOT $2::boolean OR h.site_id IS NOT DISTINCT FROM $3::text)`;
      const filters = [tenantId ?? null, siteId !== undefined, siteId ?? null];
      const [page, count] = await Promise.all([
        db.query<HostRow>(
          `SELECT ${HOST_COLUMNS} FROM ${HOST_TABLES} ${where}
           ORDER BY t.slug, h.hostname, h.id LIMIT $4 OFFSET $5`,
          [...filters, limit, offset],
        ),
        db.query<{ n: number }>(`SELECT count(*) AS n FROM hosts h ${where}`, filters),
      ]);
      return { hosts: page.rows.map(toSummary), total: count.rows[0]!.n };
    },
    async getHost(id, options = {}): Promise<HostDetail | null> {
      const { rows } = await db.query<HostRow>(
        `SELECT ${HOST_COLUMNS} FROM ${HOST_TABLES} WHERE h.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      const withItems = options.softwareItems !== false;
      const [sections, software, items, latest] = await Promise.all([
        db.query<{ section: string; collected_at: number; data: unknown }>(
          'SELECT section, collected_at, data FROM host_sections WHERE host_id = $1',
          [id],
        ),
        db.query<{ hash: string; count: number; sources: unknown; updated_at: number }>(
          'SELECT hash, count, sources, updated_at FROM host_software_state WHERE host_key = $1',
          [row.key],
        ),
        withItems
          ? db.query<{
              name: string;
              version: string | null;
              publisher: string | null;
              installed_at: string | null;
              arch: string | null;
              source: string;
            }>(
              `SELECT name, version, publisher, installed_at, arch, source FROM host_software
               WHERE host_key = $1 ORDER BY item`,
              [row.key],
            )
          : null,
        db.query<SampleRow>(HISTORY, [id, 0, 1]),
      ]);
      const detail: HostDetail = { ...toSummary(row), sections: {}, latestPerformance: null };
      for (const s of sections.rows) {
        detail.sections[s.section as SectionName] = {
          collectedAt: fromMillis(s.collected_at),
          data: s.data,
        };
      }
      const state = software.rows[0];
      if (state) {
        const updatedAt = fromMillis(state.updated_at);
        detail.sections.software = {
          collectedAt: updatedAt,
          data: {
            hash: state.hash,
            count: state.count,
            updatedAt,
            sources: state.sources,
            items:
              items === null
                ? null
                : items.rows.map((r) => ({
                    name: r.name,
                    version: r.version,
                    publisher: r.publisher,
                    installedAt: r.installed_at,
                    arch: r.arch,
                    source: r.source,
                  })),
          },
        };
      }
      detail.latestPerformance = latest.rows[0] ? toSample(latest.rows[0]) : null;
      return detail;
    },
    async performanceHistory(hostId, since, limit) {
      const { rows } = await db.query<SampleRow>(HISTORY, [hostId, toMillis(since), limit]);
      return rows.map(toSample);
    },
  };
}
