// Questions across hosts, each answered by one SQL statement: which hosts have a package
// (below a version), which updates are pending where.
//
// "Below a version" compares version_key (versionKey() from @vcio/shared, COLLATE "C"), so
// the index on (lower(name), version_key) answers it as one range. An entry whose version
// is unknown has no key and never counts as below anything. Totals come from
// count(*) OVER () on the page's rows; a page past the end asks for the first row instead.
// Unknown versions sort first, where SQLite puts NULLs.
import { versionKey } from '@vcio/shared';
import type { InventoryStore } from '../types.js';
import { jsonDecoded } from '../rows/columns.js';
import {
  inventoryRecords,
  toSoftwareMatch,
  type PendingUpdateRow,
  type SoftwareMatchRow,
} from '../rows/inventory.js';
import type { PgDatabase } from './database.js';

const { toPendingUpdate } = inventoryRecords(jsonDecoded);

/** Positional parameters for a statement built from optional filters. */
class Filters {
  readonly conditions: string[] = [];
  readonly values: unknown[] = [];

  add(condition: (placeholder: string) => string, value: unknown): void {
    this.values.push(value);
    this.conditions.push(condition(`$${this.values.length}`));
  }

  /** placeholders for LIMIT and OFFSET, after the filters' */
  get limitOffset(): string {
    return `LIMIT $${this.values.length + 1} OFFSET $${this.values.length + 2}`;
  }
}

async function page<R extends { total: number }>(
  db: PgDatabase,
  sql: string,
  values: unknown[],
  limit: number,
  offset: number,
): Promise<{ rows: R[]; total: number }> {
  const { rows } = await db.query<R>(sql, [...values, limit, offset]);
  if (rows.length > 0) return { rows, total: rows[0]!.total };
  if (offset === 0) return { rows, total: 0 };
  const first = await db.query<R>(sql, [...values, 1, 0]);
  return { rows, total: first.rows[0]?.total ?? 0 };
}

export function pgInventoryStore(db: PgDatabase): InventoryStore {
  return {
    async findSoftware(query) {
      const filters = new Filters();
      // ASCII-only case folding, as SQLite's NOCASE: the expression of host_software_by_name.
      filters.add((p) => `lower(s.name COLLATE "C") = lower(${p} COLLATE "C")`, query.name);
      if (query.below !== undefined) {
        filters.add((p) => `s.version_key < ${p}`, versionKey(query.below));
      }
      if (query.tenantId !== undefined) filters.add((p) => `h.tenant_id = ${p}`, query.tenantId);
      if (query.source !== undefined) filters.add((p) => `s.source = ${p}`, query.source);
      const sql = `
        SELECT h.id AS host_id, h.hostname, h.tenant_id, t.slug AS tenant,
               s.name, s.version, s.arch, s.source, count(*) OVER () AS total
        FROM host_software s
        JOIN hosts h ON h.key = s.host_key
        JOIN tenants t ON t.id = h.tenant_id
        WHERE ${filters.conditions.join(' AND ')}
        ORDER BY t.slug, h.hostname, h.id, s.version_key NULLS FIRST, s.item
        ${filters.limitOffset}`;
      const { rows, total } = await page<SoftwareMatchRow>(
        db,
        sql,
        filters.values,
        query.limit,
        query.offset,
      );
      const matches = rows.map(toSoftwareMatch);
      return { total, matches };
    },

    async findPendingUpdates(query) {
      const filters = new Filters();
      if (query.security !== undefined) filters.add((p) => `u.security = ${p}`, query.security);
      if (query.severity !== undefined) filters.add((p) => `u.severity = ${p}`, query.severity);
      if (query.tenantId !== undefined) filters.add((p) => `h.tenant_id = ${p}`, query.tenantId);
      const where =
        filters.conditions.length > 0 ? `WHERE ${filters.conditions.join(' AND ')}` : '';
      const sql = `
        SELECT h.id AS host_id, h.hostname, h.tenant_id, t.slug AS tenant,
               u.manager, u.checked_at, u.name, u.kb, u.current_version, u.available_version,
               u.security, u.severity, u.classification, u.advisories, u.restart_required,
               u.released_at, count(*) OVER () AS total
        FROM host_pending_updates u
        JOIN hosts h ON h.key = u.host_key
        JOIN tenants t ON t.id = h.tenant_id
        ${where}
        ORDER BY t.slug, h.hostname, h.id, u.source_index, u.item
        ${filters.limitOffset}`;
      const { rows, total } = await page<PendingUpdateRow>(
        db,
        sql,
        filters.values,
        query.limit,
        query.offset,
      );
      const updates = rows.map(toPendingUpdate);
      return { total, updates };
    },
  };
}
