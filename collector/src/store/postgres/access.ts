// API tokens, enrollment tokens and agents: who may talk to the collector. Only hashes of
// secrets are stored; see security/tokens.ts.
import { toMillis, toNullableMillis } from '../rows/columns.js';
import {
  toAgent,
  toApiToken,
  toEnrollmentToken,
  type AgentRow,
  type ApiTokenRow,
  type EnrollmentTokenRow,
} from '../rows/access.js';
import type { PgDatabase } from './database.js';
import type { PgAccessMethods } from './index.js';

export function pgAccessStore(db: PgDatabase): PgAccessMethods {
  return {
    async insertApiToken(t) {
      await db.query(
        `INSERT INTO api_tokens (id, tenant_id, role, name, secret_hash, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          t.id,
          t.tenantId,
          t.role,
          t.name,
          t.secretHash,
          toMillis(t.createdAt),
          toNullableMillis(t.revokedAt),
        ],
      );
    },
    async findApiToken(id) {
      // Named: looked up on every authenticated API request.
      const { rows } = await db.query<ApiTokenRow>({
        name: 'vcio_api_token_by_id',
        text: 'SELECT * FROM api_tokens WHERE id = $1',
        values: [id],
      });
      return rows[0] ? toApiToken(rows[0]) : null;
    },
    async insertEnrollmentToken(t) {
      await db.query(
        `INSERT INTO enrollment_tokens
           (id, tenant_id, name, secret_hash, created_at, expires_at, max_uses, uses, revoked_at,
            site_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          t.id,
          t.tenantId,
          t.name,
          t.secretHash,
          toMillis(t.createdAt),
          toNullableMillis(t.expiresAt),
          t.maxUses,
          t.uses,
          toNullableMillis(t.revokedAt),
          t.siteId ?? null,
        ],
      );
    },
    async findEnrollmentToken(id) {
      const { rows } = await db.query<EnrollmentTokenRow>(
        'SELECT * FROM enrollment_tokens WHERE id = $1',
        [id],
      );
      return rows[0] ? toEnrollmentToken(rows[0]) : null;
    },
    async enrollAgent(tokenId, agent) {
      return db.transaction(async (client) => {
        // The check and the increment are one statement: a concurrent enrollment waits for
        // this row, then re-checks the condition against the updated row, so max_uses is
        // never overrun. Revocation and expiry are checked again here, so a token revoked
        // while the enrollment was being checked does not enroll it.
        const used = await client.query(
          `UPDATE enrollment_tokens SET uses = uses + 1
           WHERE id = $1 AND (max_uses IS NULL OR uses < max_uses)
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
          [tokenId, Date.now()],
        );
        if (used.rowCount === 0) return 'exhausted' as const;
        await client.query(
          `INSERT INTO agents (id, tenant_id, secret_hash, enrollment_token_id, machine_id,
                               hostname, version, created_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            agent.id,
            agent.tenantId,
            agent.secretHash,
            agent.enrollmentTokenId,
            agent.machineId,
            agent.hostname,
            agent.version,
            toMillis(agent.createdAt),
            toNullableMillis(agent.revokedAt),
          ],
        );
        return 'enrolled' as const;
      });
    },
    async findAgent(id) {
      // Named: looked up on every report.
      const { rows } = await db.query<AgentRow>({
        name: 'vcio_agent_by_id',
        text: 'SELECT * FROM agents WHERE id = $1',
        values: [id],
      });
      return rows[0] ? toAgent(rows[0]) : null;
    },
    async listApiTokens() {
      const { rows } = await db.query<ApiTokenRow>(
        'SELECT * FROM api_tokens ORDER BY created_at DESC, id',
      );
      return rows.map(toApiToken);
    },
    async revokeApiToken(id, at) {
      return db.transaction(async (client) => {
        // Locking every live admin token serialises revocations: two admins revoking each
        // other's tokens at once cannot leave the collector with none. The second waits,
        // then no longer sees the first's token as live.
        const admins = await client.query<{ id: string }>(
          "SELECT id FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL FOR UPDATE",
        );
        const { rows } = await client.query<ApiTokenRow>(
          'SELECT * FROM api_tokens WHERE id = $1 FOR UPDATE',
          [id],
        );
        const token = rows[0];
        if (!token || token.revoked_at !== null) return 'not_found' as const;
        if (token.role === 'admin' && admins.rowCount! <= 1) return 'last_admin' as const;
        await client.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2', [
          toMillis(at),
          id,
        ]);
        return 'revoked' as const;
      });
    },
    async listEnrollmentTokens(tenantId) {
      const { rows } = await db.query<EnrollmentTokenRow>(
        'SELECT * FROM enrollment_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id',
        [tenantId],
      );
      return rows.map(toEnrollmentToken);
    },
    async revokeEnrollmentToken(tenantId, id, at) {
      const result = await db.query(
        `UPDATE enrollment_tokens SET revoked_at = $1
         WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL`,
        [toMillis(at), tenantId, id],
      );
      return result.rowCount! > 0;
    },
  };
}
