import type { Tenant, TenantStore, TenantSummary } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { fromMillis, toMillis } from './rows.js';

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  created_at: number;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  createdAt: fromMillis(r.created_at),
});

export function sqliteTenantStore(db: SqliteDatabase): TenantStore {
  const insert = db.prepare(
    'INSERT INTO tenants (id, slug, name, created_at) VALUES (@id, @slug, @name, @createdAt)',
  );
  const list = db.prepare(`
    SELECT t.*, (SELECT count(*) FROM hosts h WHERE h.tenant_id = t.id) AS host_count
    FROM tenants t ORDER BY t.slug`);
  const byIdOrSlug = db.prepare('SELECT * FROM tenants WHERE id = @key OR slug = @key');
  const count = db.prepare('SELECT count(*) AS n FROM tenants');
  return {
    async createTenant(t) {
      insert.run({ ...t, createdAt: toMillis(t.createdAt) });
    },
    async listTenants(): Promise<TenantSummary[]> {
      return (list.all() as (TenantRow & { host_count: number })[]).map((r) => ({
        ...toTenant(r),
        hostCount: r.host_count,
      }));
    },
    async getTenant(idOrSlug) {
      const row = byIdOrSlug.get({ key: idOrSlug }) as TenantRow | undefined;
      return row ? toTenant(row) : null;
    },
    async countTenants() {
      return (count.get() as { n: number }).n;
    },
  };
}
