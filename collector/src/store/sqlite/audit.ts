// The audit log: appended to, never changed. Queried newest first by tenant, time, action.
import type { AuditStore } from '../types.js';
import { jsonFromText, toMillis } from '../rows/columns.js';
import { auditRecords, type AuditRow } from '../rows/audit.js';
import type { SqliteDatabase } from './database.js';

const { toAuditEntry } = auditRecords(jsonFromText);

export function sqliteAuditStore(db: SqliteDatabase): AuditStore {
  const insert = db.prepare(`
    INSERT INTO audit_log (at, actor_token_id, actor_name, action, tenant_id, target_type,
                           target_id, detail)
    VALUES (@at, @actorTokenId, @actorName, @action, @tenantId, @targetType, @targetId,
            @detail)`);
  // Optional filters as "parameter IS NULL OR column matches": one statement for every
  // combination; the tenant and time indexes still serve the common queries.
  const where = `
    WHERE (@tenantId IS NULL OR tenant_id = @tenantId)
      AND (@since IS NULL OR at >= @since)
      AND (@action IS NULL OR action = @action)`;
  const page = db.prepare(
    `SELECT * FROM audit_log ${where} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`,
  );
  const count = db.prepare(`SELECT count(*) AS n FROM audit_log ${where}`);
  return {
    async append(e) {
      insert.run({
        at: toMillis(e.at),
        actorTokenId: e.actorTokenId,
        actorName: e.actorName,
        action: e.action,
        tenantId: e.tenantId,
        targetType: e.targetType,
        targetId: e.targetId,
        detail: JSON.stringify(e.detail),
      });
    },
    async query(q) {
      const filters = {
        tenantId: q.tenantId ?? null,
        since: q.since ? toMillis(q.since) : null,
        action: q.action ?? null,
      };
      return {
        total: (count.get(filters) as { n: number }).n,
        entries: (page.all({ ...filters, limit: q.limit, offset: q.offset }) as AuditRow[]).map(
          toAuditEntry,
        ),
      };
    },
  };
}
