// Token and agent rows as both stores read them, and the records built from them. Secret
// hashes arrive as Buffer from either driver (BLOB, BYTEA).
import type { AgentRecord, AgentSummary, ApiTokenRecord, EnrollmentTokenRecord } from '../types.js';
import { fromMillis, fromNullableMillis, fromSqlBoolean, type SqlBoolean } from './columns.js';

export interface ApiTokenRow {
  id: string;
  tenant_id: string | null;
  role: 'admin' | 'read';
  name: string;
  secret_hash: Buffer;
  created_at: number;
  revoked_at: number | null;
}

export interface EnrollmentTokenRow {
  id: string;
  tenant_id: string;
  name: string;
  secret_hash: Buffer;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
  site_id: string | null;
}

export interface AgentRow {
  id: string;
  tenant_id: string;
  secret_hash: Buffer;
  enrollment_token_id: string;
  machine_id: string;
  hostname: string;
  version: string;
  created_at: number;
  revoked_at: number | null;
  pending_secret_hash: Buffer | null;
  rotate_requested_at: number | null;
  secret_rotated_at: number | null;
}

/** An agent in the admin list: no secrets, whether a rotation is pending, and its host. */
export type AgentListRow = Omit<AgentRow, 'secret_hash' | 'pending_secret_hash'> & {
  rotation_pending: SqlBoolean;
  host_id: string | null;
  last_seen: number | null;
};

export const toApiToken = (r: ApiTokenRow): ApiTokenRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  role: r.role,
  name: r.name,
  secretHash: r.secret_hash,
  createdAt: fromMillis(r.created_at),
  revokedAt: fromNullableMillis(r.revoked_at),
});

export const toEnrollmentToken = (r: EnrollmentTokenRow): EnrollmentTokenRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  secretHash: r.secret_hash,
  createdAt: fromMillis(r.created_at),
  expiresAt: fromNullableMillis(r.expires_at),
  maxUses: r.max_uses,
  uses: r.uses,
  revokedAt: fromNullableMillis(r.revoked_at),
  siteId: r.site_id,
});

export const toAgent = (r: AgentRow): AgentRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  secretHash: r.secret_hash,
  enrollmentTokenId: r.enrollment_token_id,
  machineId: r.machine_id,
  hostname: r.hostname,
  version: r.version,
  createdAt: fromMillis(r.created_at),
  revokedAt: fromNullableMillis(r.revoked_at),
  pendingSecretHash: r.pending_secret_hash,
  rotateRequestedAt: fromNullableMillis(r.rotate_requested_at),
  secretRotatedAt: fromNullableMillis(r.secret_rotated_at),
});

export const toAgentSummary = (r: AgentListRow): AgentSummary => ({
  id: r.id,
  tenantId: r.tenant_id,
  machineId: r.machine_id,
  hostname: r.hostname,
  version: r.version,
  createdAt: fromMillis(r.created_at),
  revokedAt: fromNullableMillis(r.revoked_at),
  rotateRequestedAt: fromNullableMillis(r.rotate_requested_at),
  secretRotatedAt: fromNullableMillis(r.secret_rotated_at),
  rotationPending: fromSqlBoolean(r.rotation_pending),
  hostId: r.host_id,
  lastSeen: fromNullableMillis(r.last_seen),
});
