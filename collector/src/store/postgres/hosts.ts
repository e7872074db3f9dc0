// Hosts: the list (by tenant, by site), one host with its latest sections, and its
// performance history.
import type { HostDetail, HostStore } from '../types.js';
import { jsonDecoded, toMillis } from '../rows/columns.js';
import {
  hostRecords,
  toHostSummary,
  type HostRow,
  type SampleRow,
  type SectionRow,
  type SoftwareItemRow,
  type SoftwareStateRow,
} from '../rows/hosts.js';
import type { PgDatabase } from './database.js';

const { toSample, toHostDetail } = hostRecords(jsonDecoded);

const HOST_COLUMNS = `h.*, t.slug AS tenant_slug, s.slug AS site_slug, s.name AS site_name,
  p.score AS posture_score, p.assessed_at AS posture_assessed_at,
  p.detail -> 'os' ->> 'state' AS os_state, p.detail -> 'os' ->> 'label' AS os_label,
  p.detail -> 'os' ->> 'eol' AS os_eol`;
const HOST_TABLES = `hosts h JOIN tenants t ON t.id = h.tenant_id
  LEFT JOIN sites s ON s.id = h.site_id
  LEFT JOIN host_posture p ON p.host_id = h.id`;

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
      return { hosts: page.rows.map(toHostSummary), total: count.rows[0]!.n };
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
        db.query<SectionRow>(
          'SELECT section, collected_at, data FROM host_sections WHERE host_id = $1',
          [id],
        ),
        db.query<SoftwareStateRow>(
          'SELECT hash, count, sources, updated_at FROM host_software_state WHERE host_key = $1',
          [row.key],
        ),
        withItems
          ? db.query<SoftwareItemRow>(
              `SELECT name, version, publisher, installed_at, arch, source FROM host_software
               WHERE host_key = $1 ORDER BY item`,
              [row.key],
            )
          : null,
        db.query<SampleRow>(HISTORY, [id, 0, 1]),
      ]);
      return toHostDetail({
        host: row,
        sections: sections.rows,
        software: software.rows[0],
        items: items?.rows ?? null,
        latest: latest.rows[0],
      });
    },
    async performanceHistory(hostId, since, limit) {
      const { rows } = await db.query<SampleRow>(HISTORY, [hostId, toMillis(since), limit]);
      return rows.map(toSample);
    },
  };
}
