// Rows of the questions across hosts (who has a package, which updates are pending where),
// as both stores read them, and the matches built from them.
import type { PatchSeverity } from '@vcio/shared';
import type { PendingUpdateMatch, SoftwareMatch } from '../types.js';
import {
  fromMillis,
  fromNullableMillis,
  fromNullableSqlBoolean,
  type JsonReader,
  type SqlBoolean,
} from './columns.js';

export interface SoftwareMatchRow {
  host_id: string;
  hostname: string;
  tenant_id: string;
  tenant: string;
  name: string;
  version: string | null;
  arch: string | null;
  source: string;
  total: number;
}

export interface PendingUpdateRow {
  host_id: string;
  hostname: string;
  tenant_id: string;
  tenant: string;
  manager: string;
  checked_at: number;
  name: string;
  kb: string | null;
  current_version: string | null;
  available_version: string | null;
  security: SqlBoolean | null;
  severity: PatchSeverity | null;
  classification: string | null;
  /** JSON: a list of advisory ids */
  advisories: unknown;
  restart_required: SqlBoolean | null;
  released_at: number | null;
  total: number;
}

export const toSoftwareMatch = (r: SoftwareMatchRow): SoftwareMatch => ({
  hostId: r.host_id,
  hostname: r.hostname,
  tenantId: r.tenant_id,
  tenant: r.tenant,
  name: r.name,
  version: r.version,
  arch: r.arch,
  source: r.source,
});

/** The mappers that read JSON columns, for a store's JSON reader. */
export function inventoryRecords(json: JsonReader) {
  return {
    toPendingUpdate: (r: PendingUpdateRow): PendingUpdateMatch => ({
      hostId: r.host_id,
      hostname: r.hostname,
      tenantId: r.tenant_id,
      tenant: r.tenant,
      manager: r.manager,
      checkedAt: fromMillis(r.checked_at),
      name: r.name,
      kb: r.kb,
      currentVersion: r.current_version,
      availableVersion: r.available_version,
      security: fromNullableSqlBoolean(r.security),
      severity: r.severity,
      classification: r.classification,
      advisories: json<string[]>(r.advisories),
      restartRequired: fromNullableSqlBoolean(r.restart_required),
      releasedAt: fromNullableMillis(r.released_at),
    }),
  };
}
