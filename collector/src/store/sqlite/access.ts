// API tokens, enrollment tokens and agents: who may talk to the collector.
// Only hashes of secrets are stored; see security/tokens.ts.
import type { AccessStore, AgentRecord, ApiTokenRecord, EnrollmentTokenRecord } from '../types.js';
import { toMillis, toNullableMillis } from '../rows/columns.js';
import {
  toAgent,
  toAgentSummary,
  toApiToken,
  toEnrollmentToken,
  type AgentListRow,
  type AgentRow,
  type ApiTokenRow,
  type EnrollmentTokenRow,
} from '../rows/access.js';
import type { SqliteDatabase } from './database.js';

export function sqliteAccessStore(db: SqliteDatabase): AccessStore {
  const insertApiToken = db.prepare(`
    INSERT INTO api_tokens (id, tenant_id, role, name, secret_hash, created_at, revoked_at)
    VALUES (@id, @tenantId, @role, @name, @secretHash, @createdAt, @revokedAt)`);
  const apiTokenById = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
  const insertEnrollmentToken = db.prepare(`
    INSERT INTO enrollment_tokens
      (id, tenant_id, name, secret_hash, created_at, expires_at, max_uses, uses, revoked_at,
       site_id)
    VALUES
      (@id, @tenantId, @name, @secretHash, @createdAt, @expiresAt, @maxUses, @uses, @revokedAt,
       @siteId)`);
  const enrollmentTokenById = db.prepare('SELECT * FROM enrollment_tokens WHERE id = ?');
  // The use counter only moves while the token has uses left: the check and the
  // increment are one statement, so concurrent enrollments cannot overrun max_uses. It
  // checks revocation and expiry again, so a token revoked while an enrollment was being
  // checked does not enroll it.
  const useEnrollmentToken = db.prepare(`
    UPDATE enrollment_tokens SET uses = uses + 1
    WHERE id = @id AND (max_uses IS NULL OR uses < max_uses)
      AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)`);
  const insertAgent = db.prepare(`
    INSERT INTO agents (id, tenant_id, secret_hash, enrollment_token_id, machine_id, hostname,
                        version, created_at, revoked_at)
    VALUES (@id, @tenantId, @secretHash, @enrollmentTokenId, @machineId, @hostname,
            @version, @createdAt, @revokedAt)`);
  const agentById = db.prepare('SELECT * FROM agents WHERE id = ?');
  const listApiTokens = db.prepare('SELECT * FROM api_tokens ORDER BY created_at DESC, id');
  const liveAdmins = db
    .prepare("SELECT count(*) FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL")
    .pluck();
  const revokeApiToken = db.prepare(
    'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  );
  const listEnrollmentTokens = db.prepare(
    'SELECT * FROM enrollment_tokens WHERE tenant_id = ? ORDER BY created_at DESC, id',
  );
  const revokeEnrollmentToken = db.prepare(`
    UPDATE enrollment_tokens SET revoked_at = ?
    WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`);
  // The host is the one this agent reports: (tenant, machine) is unique among hosts, and
  // the host names the agent that last reported it (a re-enrolled machine's new agent).
  const listAgents = db.prepare(`
    SELECT a.id, a.tenant_id, a.machine_id, a.hostname, a.version, a.created_at,
           a.revoked_at, a.rotate_requested_at, a.secret_rotated_at,
           a.pending_secret_hash IS NOT NULL AS rotation_pending,
           h.id AS host_id, h.last_seen
    FROM agents a
    LEFT JOIN hosts h
      ON h.tenant_id = a.tenant_id AND h.machine_id = a.machine_id AND h.agent_id = a.id
    WHERE a.tenant_id = ?
    ORDER BY a.created_at DESC, a.id`);
  // A revoked agent's pending secret and rotation request go too: nothing of it works.
  const revokeAgent = db.prepare(`
    UPDATE agents SET revoked_at = ?, pending_secret_hash = NULL, rotate_requested_at = NULL
    WHERE id = ? AND revoked_at IS NULL`);
  const beginRotation = db.prepare(
    'UPDATE agents SET pending_secret_hash = ? WHERE id = ? AND revoked_at IS NULL',
  );
  // One statement: the pending secret is promoted only if it is still the one this agent
  // authenticated with (a rotation started since then replaced it).
  const completeRotation = db.prepare(`
    UPDATE agents
    SET secret_hash = pending_secret_hash, pending_secret_hash = NULL,
        rotate_requested_at = NULL, secret_rotated_at = @at
    WHERE id = @id AND pending_secret_hash = @pending AND revoked_at IS NULL`);
  const requestRotation = db.prepare(`
    UPDATE agents SET rotate_requested_at = coalesce(rotate_requested_at, ?)
    WHERE id = ? AND revoked_at IS NULL`);

  // One transaction: two admins revoking each other's tokens at once must not leave the
  // collector with no admin token at all.
  const revokeApi = db.transaction((id: string, at: number) => {
    const token = apiTokenById.get(id) as ApiTokenRow | undefined;
    if (!token || token.revoked_at !== null) return 'not_found' as const;
    if (token.role === 'admin' && (liveAdmins.get() as number) <= 1) return 'last_admin' as const;
    revokeApiToken.run(at, id);
    return 'revoked' as const;
  });

  const enroll = db.transaction((tokenId: string, agent: AgentRecord) => {
    if (useEnrollmentToken.run({ id: tokenId, now: Date.now() }).changes === 0) {
      return 'exhausted' as const;
    }
    insertAgent.run({
      ...agent,
      createdAt: toMillis(agent.createdAt),
      revokedAt: toNullableMillis(agent.revokedAt),
    });
    return 'enrolled' as const;
  });

  return {
    async insertApiToken(t) {
      insertApiToken.run({
        ...t,
        createdAt: toMillis(t.createdAt),
        revokedAt: toNullableMillis(t.revokedAt),
      });
    },
    async findApiToken(id): Promise<ApiTokenRecord | null> {
      const r = apiTokenById.get(id) as ApiTokenRow | undefined;
      return r ? toApiToken(r) : null;
    },
    async insertEnrollmentToken(t) {
      insertEnrollmentToken.run({
        ...t,
        createdAt: toMillis(t.createdAt),
        expiresAt: toNullableMillis(t.expiresAt),
        revokedAt: toNullableMillis(t.revokedAt),
        siteId: t.siteId ?? null,
      });
    },
    async findEnrollmentToken(id): Promise<EnrollmentTokenRecord | null> {
      const r = enrollmentTokenById.get(id) as EnrollmentTokenRow | undefined;
      return r ? toEnrollmentToken(r) : null;
    },
    async enrollAgent(tokenId, agent) {
      return enroll.immediate(tokenId, agent);
    },
    async findAgent(id): Promise<AgentRecord | null> {
      const r = agentById.get(id) as AgentRow | undefined;
      return r ? toAgent(r) : null;
    },
    async listApiTokens() {
      return (listApiTokens.all() as ApiTokenRow[]).map(toApiToken);
    },
    async revokeApiToken(id, at) {
      return revokeApi.immediate(id, toMillis(at));
    },
    async listEnrollmentTokens(tenantId) {
      return (listEnrollmentTokens.all(tenantId) as EnrollmentTokenRow[]).map(toEnrollmentToken);
    },
    async revokeEnrollmentToken(tenantId, id, at) {
      return revokeEnrollmentToken.run(toMillis(at), tenantId, id).changes > 0;
    },
    async listAgents(tenantId) {
      return (listAgents.all(tenantId) as AgentListRow[]).map(toAgentSummary);
    },
    async revokeAgent(id, at) {
      return revokeAgent.run(toMillis(at), id).changes > 0;
    },
    async beginAgentRotation(id, pendingHash) {
      return beginRotation.run(pendingHash, id).changes > 0;
    },
    async completeAgentRotation(id, pendingHash, at) {
      return completeRotation.run({ id, pending: pendingHash, at: toMillis(at) }).changes > 0;
    },
    async requestAgentRotation(id, at) {
      return requestRotation.run(toMillis(at), id).changes > 0;
    },
  };
}
