// Questions across hosts, each answered by one SQL statement: which hosts have a package
// (below a version), which updates are pending where.
//
// "Below a version" compares version_key, the byte-ordered key of versionKey() from
// @vcio/shared, so the name index (name COLLATE NOCASE, version_key) answers it as one
// range: no version comparison runs per row in JavaScript. An entry whose version is
// unknown has no key and never counts as below anything.
//
// Totals come from count(*) OVER () in the same statement: one pass, no second query.
import { versionKey } from '@vcio/shared';
import type { InventoryStore, PendingUpdateQuery, SoftwareQuery } from '../types.js';
import { jsonFromText } from '../rows/columns.js';
import {
  inventoryRecords,
  toSoftwareMatch,
  type PendingUpdateRow,
  type SoftwareMatchRow,
} from '../rows/inventory.js';
import type { SqliteDatabase } from './database.js';

const { toPendingUpdate } = inventoryRecords(jsonFromText);

type Statement = ReturnType<SqliteDatabase['prepare']>;

/**
 * The statement for one combination of filters, prepared once. Filters are added to the
 * SQL rather than written as "(@x IS NULL OR col = @x)", which would keep SQLite from
 * using the index for them.
 */
function statementCache(db: SqliteDatabase, build: (filters: string[]) => string) {
  const cache = new Map<string, Statement>();
  return (filters: string[]): Statement => {
    const key = filters.join(' AND ');
    let statement = cache.get(key);
    if (!statement) {
      statement = db.prepare(build(filters));
      cache.set(key, statement);
    }
    return statement;
  };
}

export const SOFTWARE_QUERY = (filters: string[]) => `
  SELECT h.id AS host_id, h.hostname, h.tenant_id, t.slug AS tenant,
         s.name, s.version, s.arch, s.source, count(*) OVER () AS total
  FROM host_software s
  JOIN hosts h ON h.key = s.host_key
  JOIN tenants t ON t.id = h.tenant_id
  WHERE ${['s.name = @name COLLATE NOCASE', ...filters].join('\n    AND ')}
  ORDER BY t.slug, h.hostname, h.id, s.version_key, s.item
  LIMIT @limit OFFSET @offset`;

export const PENDING_UPDATES_QUERY = (filters: string[]) => `
  SELECT h.id AS host_id, h.hostname, h.tenant_id, t.slug AS tenant,
         u.manager, u.checked_at, u.name, u.kb, u.current_version, u.available_version,
         u.security, u.severity, u.classification, u.advisories, u.restart_required,
         u.released_at, count(*) OVER () AS total
  FROM host_pending_updates u
  JOIN hosts h ON h.key = u.host_key
  JOIN tenants t ON t.id = h.tenant_id
  ${filters.length > 0 ? `WHERE ${filters.join('\n    AND ')}` : ''}
  ORDER BY t.slug, h.hostname, h.id, u.source_index, u.item
  LIMIT @limit OFFSET @offset`;

/**
 * Rows of one page, and the total: count(*) OVER () on the page's rows, or (for a page past
 * the end, which has no rows to carry it) the same statement asked for its first row.
 */
function page<R extends { total: number }>(
  statement: Statement,
  params: Record<string, unknown> & { limit: number; offset: number },
): { rows: R[]; total: number } {
  const rows = statement.all(params) as R[];
  if (rows.length > 0) return { rows, total: rows[0]!.total };
  if (params.offset === 0) return { rows, total: 0 };
  const first = statement.get({ ...params, limit: 1, offset: 0 }) as R | undefined;
  return { rows, total: first?.total ?? 0 };
}

export function sqliteInventoryStore(db: SqliteDatabase): InventoryStore {
  const softwareStatement = statementCache(db, SOFTWARE_QUERY);
  const updatesStatement = statementCache(db, PENDING_UPDATES_QUERY);

  return {
    async findSoftware(query: SoftwareQuery) {
      const filters: string[] = [];
      const params: Record<string, unknown> & { limit: number; offset: number } = {
        name: query.name,
        limit: query.limit,
        offset: query.offset,
      };
      if (query.below !== undefined) {
        filters.push('s.version_key < @below');
        params.below = versionKey(query.below);
      }
      if (query.tenantId !== undefined) {
        filters.push('h.tenant_id = @tenantId');
        params.tenantId = query.tenantId;
      }
      if (query.source !== undefined) {
        filters.push('s.source = @source');
        params.source = query.source;
      }
      const { rows, total } = page<SoftwareMatchRow>(softwareStatement(filters), params);
      const matches = rows.map(toSoftwareMatch);
      return { total, matches };
    },

    async findPendingUpdates(query: PendingUpdateQuery) {
      const filters: string[] = [];
      const params: Record<string, unknown> & { limit: number; offset: number } = {
        limit: query.limit,
        offset: query.offset,
      };
      if (query.security !== undefined) {
        filters.push('u.security = @security');
        params.security = query.security ? 1 : 0;
      }
      if (query.severity !== undefined) {
        filters.push('u.severity = @severity');
        params.severity = query.severity;
      }
      if (query.tenantId !== undefined) {
        filters.push('h.tenant_id = @tenantId');
        params.tenantId = query.tenantId;
      }
      const { rows, total } = page<PendingUpdateRow>(updatesStatement(filters), params);
      const updates = rows.map(toPendingUpdate);
      return { total, updates };
    },
  };
}
