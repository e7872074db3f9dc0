import type { HostDetail, HostStore } from '../types.js';
import { jsonFromText, toMillis } from '../rows/columns.js';
import {
  hostRecords,
  toHostSummary,
  type HostRow,
  type SampleRow,
  type SectionRow,
  type SoftwareItemRow,
  type SoftwareStateRow,
} from '../rows/hosts.js';
import type { SqliteDatabase } from './database.js';

const { toSample, toHostDetail } = hostRecords(jsonFromText);

const HOST_COLUMNS = `h.*, t.slug AS tenant_slug, s.slug AS site_slug, s.name AS site_name,
  p.score AS posture_score,
  p.assessed_at AS posture_assessed_at, json_extract(p.detail, '$.os.state') AS os_state,
  json_extract(p.detail, '$.os.label') AS os_label, json_extract(p.detail, '$.os.eol') AS os_eol`;
const HOST_TABLES = `hosts h JOIN tenants t ON t.id = h.tenant_id
  LEFT JOIN sites s ON s.id = h.site_id
  LEFT JOIN host_posture p ON p.host_id = h.id`;

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
          hosts: (listSite.all({ ...filters, limit, offset }) as HostRow[]).map(toHostSummary),
          total: (countSite.get(filters) as { n: number }).n,
        };
      }
      if (tenantId === undefined) {
        return {
          hosts: (listAll.all(limit, offset) as HostRow[]).map(toHostSummary),
          total: (countAll.get() as { n: number }).n,
        };
      }
      return {
        hosts: (listTenant.all(tenantId, limit, offset) as HostRow[]).map(toHostSummary),
        total: (countTenant.get(tenantId) as { n: number }).n,
      };
    },
    async getHost(id, options = {}): Promise<HostDetail | null> {
      const row = byId.get(id) as HostRow | undefined;
      if (!row) return null;
      const software = softwareState.get(row.key) as SoftwareStateRow | undefined;
      return toHostDetail({
        host: row,
        sections: sections.all(id) as SectionRow[],
        software,
        items:
          software && options.softwareItems !== false
            ? (softwareItems.all(row.key) as SoftwareItemRow[])
            : null,
        latest: history.get(id, 0, 1) as SampleRow | undefined,
      });
    },
    async performanceHistory(hostId, since, limit) {
      return (history.all(hostId, toMillis(since), limit) as SampleRow[]).map(toSample);
    },
  };
}
