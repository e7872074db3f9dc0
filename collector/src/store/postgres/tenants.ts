// Tenants and their sites, and which site each host is in.
import type { TenantStore } from '../types.js';
import { toMillis, toNullableMillis } from '../rows/columns.js';
import {
  toSite,
  toSiteSummary,
  toTenant,
  toTenantSummary,
  type Counted,
  type SiteRow,
  type TenantRow,
} from '../rows/tenants.js';
import type { PgDatabase } from './database.js';

export function pgTenantStore(db: PgDatabase): TenantStore {
  return {
    async createTenant(t) {
      await db.query(
        `INSERT INTO tenants (id, slug, name, created_at, archived_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [t.id, t.slug, t.name, toMillis(t.createdAt), toNullableMillis(t.archivedAt ?? null)],
      );
    },
    async listTenants() {
      const { rows } = await db.query<Counted<TenantRow>>(`
        SELECT t.*, (SELECT count(*) FROM hosts h WHERE h.tenant_id = t.id) AS host_count
        FROM tenants t ORDER BY t.slug`);
      return rows.map(toTenantSummary);
    },
    async getTenant(idOrSlug) {
      const { rows } = await db.query<TenantRow>(
        'SELECT * FROM tenants WHERE id = $1 OR slug = $1',
        [idOrSlug],
      );
      return rows[0] ? toTenant(rows[0]) : null;
    },
    async countTenants() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM tenants');
      return rows[0]!.n;
    },
    async renameTenant(id, name) {
      return (
        (await db.query('UPDATE tenants SET name = $1 WHERE id = $2', [name, id])).rowCount! > 0
      );
    },
    async setTenantArchived(id, at) {
      const result = await db.query('UPDATE tenants SET archived_at = $1 WHERE id = $2', [
        toNullableMillis(at),
        id,
      ]);
      return result.rowCount! > 0;
    },

    async createSite(site) {
      await db.query(
        `INSERT INTO sites (id, tenant_id, slug, name, created_at, archived_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          site.id,
          site.tenantId,
          site.slug,
          site.name,
          toMillis(site.createdAt),
          toNullableMillis(site.archivedAt),
        ],
      );
    },
    async listSites(tenantId) {
      const { rows } = await db.query<Counted<SiteRow>>(
        `SELECT s.*, (SELECT count(*) FROM hosts h WHERE h.site_id = s.id) AS host_count
         FROM sites s WHERE s.tenant_id = $1 ORDER BY s.slug`,
        [tenantId],
      );
      return rows.map(toSiteSummary);
    },
    async getSite(tenantId, key) {
      const { rows } = await db.query<SiteRow>(
        'SELECT * FROM sites WHERE tenant_id = $1 AND (id = $2 OR slug = $2)',
        [tenantId, key],
      );
      return rows[0] ? toSite(rows[0]) : null;
    },
    async getSiteById(id) {
      const { rows } = await db.query<SiteRow>('SELECT * FROM sites WHERE id = $1', [id]);
      return rows[0] ? toSite(rows[0]) : null;
    },
    async renameSite(id, name) {
      return (await db.query('UPDATE sites SET name = $1 WHERE id = $2', [name, id])).rowCount! > 0;
    },
    async setSiteArchived(id, at) {
      const millis = toNullableMillis(at);
      // Archiving closes the site to new hosts: its live enrollment tokens are revoked in
      // the same transaction.
      return db.transaction(async (client) => {
        const changed =
          (await client.query('UPDATE sites SET archived_at = $1 WHERE id = $2', [millis, id]))
            .rowCount! > 0;
        if (changed && millis !== null) {
          await client.query(
            `UPDATE enrollment_tokens SET revoked_at = $1
             WHERE site_id = $2 AND revoked_at IS NULL`,
            [millis, id],
          );
        }
        return changed;
      });
    },
    async setHostSite(hostId, siteId) {
      // The site must belong to the host's tenant: checked here as well as by the caller, so
      // no path can put a host in another client's site.
      const result = await db.query(
        `UPDATE hosts SET site_id = $2
         WHERE id = $1 AND ($2::text IS NULL OR EXISTS (
           SELECT 1 FROM sites s WHERE s.id = $2 AND s.tenant_id = hosts.tenant_id))`,
        [hostId, siteId],
      );
      return result.rowCount! > 0;
    },
  };
}
