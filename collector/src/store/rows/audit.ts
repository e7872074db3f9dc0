// Audit log rows as both stores read them, and the entries built from them.
import type { AuditEntry } from '../types.js';
import { fromMillis, type JsonReader } from './columns.js';

export interface AuditRow {
  id: number;
  at: number;
  actor_token_id: string | null;
  actor_name: string;
  action: string;
  tenant_id: string | null;
  target_type: string;
  target_id: string | null;
  /** JSON */
  detail: unknown;
}

/** The mappers that read JSON columns, for a store's JSON reader. */
export function auditRecords(json: JsonReader) {
  return {
    toAuditEntry: (r: AuditRow): AuditEntry => ({
      id: r.id,
      at: fromMillis(r.at),
      actorTokenId: r.actor_token_id,
      actorName: r.actor_name,
      action: r.action,
      tenantId: r.tenant_id,
      targetType: r.target_type,
      targetId: r.target_id,
      detail: json<Record<string, unknown>>(r.detail),
    }),
  };
}
