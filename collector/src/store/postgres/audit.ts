// The audit log: appended to, never changed. Queried newest first by tenant, time, action.
import type { AuditStore } from '../types.js';
import { jsonDecoded, toMillis } from '../rows/columns.js';
import { auditRecords, type AuditRow } from '../rows/audit.js';
import type { PgDatabase } from './database.js';

const { toAuditEntry } = auditRecords(jsonDecoded);

// Optional filters as "parameter IS NULL OR column matches": one statement for every
// combination. Total and page in one statement (count(*) OVER ()), but a page past the end
// has no row to carry the total, so the count is a separate statement there.
const WHERE = `
  WHERE ($1::text IS NULL OR tenant_id = $1)
    AND ($2::bigint IS NULL OR at >= $2)
    AND ($3::text IS NULL OR action = $3)`;

export function pgAuditStore(db: PgDatabase): AuditStore {
  return {
    async append(e) {
      await db.query(
        `INSERT INTO audit_log (at, actor_token_id, actor_name, action, tenant_id, target_type,
                                target_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          toMillis(e.at),
          e.actorTokenId,
          e.actorName,
          e.action,
          e.tenantId,
          e.targetType,
          e.targetId,
          JSON.stringify(e.detail),
        ],
      );
    },
    async query(q) {
      const filters = [q.tenantId ?? null, q.since ? toMillis(q.since) : null, q.action ?? null];
      const { rows } = await db.query<AuditRow & { total: number }>(
        `SELECT *, count(*) OVER () AS total FROM audit_log ${WHERE}
         ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5`,
        [...filters, q.limit, q.offset],
      );
      let total = rows[0]?.total ?? 0;
      if (rows.length === 0 && q.offset > 0) {
        const count = await db.query<{ n: number }>(
          `SELECT count(*) AS n FROM audit_log ${WHERE}`,
          filters,
        );
        total = count.rows[0]!.n;
      }
      return { total, entries: rows.map(toAuditEntry) };
    },
  };
}
