// A tenant's sites, and which site each host is in.
import type { TenantStore } from '../types.js';
import { toMillis, toNullableMillis } from '../rows/columns.js';
import { toSite, toSiteSummary, type Counted, type SiteRow } from '../rows/tenants.js';
import type { SqliteDatabase } from './database.js';

type SiteMethods = Pick<
  TenantStore,
  | 'createSite'
  | 'listSites'
  | 'getSite'
  | 'getSiteById'
  | 'renameSite'
  | 'setSiteArchived'
  | 'setHostSite'
>;

export function sqliteSiteMethods(db: SqliteDatabase): SiteMethods {
  const insert = db.prepare(`
    INSERT INTO sites (id, tenant_id, slug, name, created_at, archived_at)
    VALUES (@id, @tenantId, @slug, @name, @createdAt, @archivedAt)`);
  const list = db.prepare(`
    SELECT s.*, (SELECT count(*) FROM hosts h WHERE h.site_id = s.id) AS host_count
    FROM sites s WHERE s.tenant_id = ? ORDER BY s.slug`);
  const byIdOrSlug = db.prepare(
    'SELECT * FROM sites WHERE tenant_id = @tenantId AND (id = @key OR slug = @key)',
  );
  const byId = db.prepare('SELECT * FROM sites WHERE id = ?');
  const rename = db.prepare('UPDATE sites SET name = ? WHERE id = ?');
  const archive = db.prepare('UPDATE sites SET archived_at = ? WHERE id = ?');
  const revokeTokens = db.prepare(
    'UPDATE enrollment_tokens SET revoked_at = ? WHERE site_id = ? AND revoked_at IS NULL',
  );
  // The site must belong to the host's tenant: checked here as well as by the caller, so
  // no path can put a host in another client's site.
  const moveHost = db.prepare(`
    UPDATE hosts SET site_id = @siteId
    WHERE id = @hostId AND (@siteId IS NULL OR EXISTS (
      SELECT 1 FROM sites s WHERE s.id = @siteId AND s.tenant_id = hosts.tenant_id))`);

  const setArchived = db.transaction((id: string, at: number | null) => {
    const changed = archive.run(at, id).changes > 0;
    if (changed && at !== null) revokeTokens.run(at, id);
    return changed;
  });

  return {
    async createSite(site) {
      insert.run({
        ...site,
        createdAt: toMillis(site.createdAt),
        archivedAt: toNullableMillis(site.archivedAt),
      });
    },
    async listSites(tenantId) {
      return (list.all(tenantId) as Counted<SiteRow>[]).map(toSiteSummary);
    },
    async getSite(tenantId, key) {
      const row = byIdOrSlug.get({ tenantId, key }) as SiteRow | undefined;
      return row ? toSite(row) : null;
    },
    async getSiteById(id) {
      const row = byId.get(id) as SiteRow | undefined;
      return row ? toSite(row) : null;
    },
    async renameSite(id, name) {
      return rename.run(name, id).changes > 0;
    },
    async setSiteArchived(id, at) {
      return setArchived(id, toNullableMillis(at));
    },
    async setHostSite(hostId, siteId) {
      return moveHost.run({ hostId, siteId }).changes > 0;
    },
  };
}
