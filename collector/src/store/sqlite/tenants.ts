import type { TenantStore } from '../types.js';
import { toMillis, toNullableMillis } from '../rows/columns.js';
import { toTenant, toTenantSummary, type Counted, type TenantRow } from '../rows/tenants.js';
import type { SqliteDatabase } from './database.js';
import { sqliteSiteMethods } from './sites.js';

export function sqliteTenantStore(db: SqliteDatabase): TenantStore {
  const insert = db.prepare(`
    INSERT INTO tenants (id, slug, name, created_at, archived_at)
    VALUES (@id, @slug, @name, @createdAt, @archivedAt)`);
  const list = db.prepare(`
    SELECT t.*, (SELECT count(*) FROM hosts h WHERE h.tenant_id = t.id) AS host_count
    FROM tenants t ORDER BY t.slug`);
  const byIdOrSlug = db.prepare('SELECT * FROM tenants WHERE id = @key OR slug = @key');
  const count = db.prepare('SELECT count(*) AS n FROM tenants');
  const rename = db.prepare('UPDATE tenants SET name = ? WHERE id = ?');
  const archive = db.prepare('UPDATE tenants SET archived_at = ? WHERE id = ?');
  return {
    async createTenant(t) {
      insert.run({
        id: t.id,
        slug: t.slug,
        name: t.name,
        createdAt: toMillis(t.createdAt),
        archivedAt: toNullableMillis(t.archivedAt ?? null),
      });
    },
    async listTenants() {
      return (list.all() as Counted<TenantRow>[]).map(toTenantSummary);
    },
    async getTenant(idOrSlug) {
      const row = byIdOrSlug.get({ key: idOrSlug }) as TenantRow | undefined;
      return row ? toTenant(row) : null;
    },
    async countTenants() {
      return (count.get() as { n: number }).n;
    },
    async renameTenant(id, name) {
      return rename.run(name, id).changes > 0;
    },
    async setTenantArchived(id, at) {
      return archive.run(toNullableMillis(at), id).changes > 0;
    },
    ...sqliteSiteMethods(db),
  };
}
