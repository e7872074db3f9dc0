// Agents as an admin manages them: the list, revocation, and secret rotation in two steps
// (a pending secret that replaces the current one only when the agent first uses it).
//
// Every change is one conditional UPDATE: PostgreSQL locks the row, and a concurrent
// UPDATE of the same row waits, then re-checks the WHERE clause against the row as the
// first one left it (READ COMMITTED). So of two collectors completing the same rotation
// at once exactly one sees its condition hold, as SQLite's single writer gives.
import type { AccessStore } from '../types.js';
import { toMillis } from '../rows/columns.js';
import { toAgentSummary, type AgentListRow } from '../rows/access.js';
import type { PgDatabase } from './database.js';

export type PgAgentMethods = Pick<
  AccessStore,
  | 'listAgents'
  | 'revokeAgent'
  | 'beginAgentRotation'
  | 'completeAgentRotation'
  | 'requestAgentRotation'
>;

export function pgAgentStore(db: PgDatabase): PgAgentMethods {
  const changed = async (text: string, values: unknown[]) =>
    (await db.query(text, values)).rowCount! > 0;
  return {
    async listAgents(tenantId) {
      // The host is the one this agent reports: (tenant, machine) is unique among hosts,
      // and the host names the agent that last reported it. machine_id is compared and ids
      // ordered byte-wise ("C"), as SQLite does, whatever the database's collation.
      const { rows } = await db.query<AgentListRow>(
        `SELECT a.id, a.tenant_id, a.machine_id, a.hostname, a.version, a.created_at,
                a.revoked_at, a.rotate_requested_at, a.secret_rotated_at,
                a.pending_secret_hash IS NOT NULL AS rotation_pending,
                h.id AS host_id, h.last_seen
         FROM agents a
         LEFT JOIN hosts h
           ON h.tenant_id = a.tenant_id AND h.machine_id = a.machine_id COLLATE "C"
              AND h.agent_id = a.id
         WHERE a.tenant_id = $1
         ORDER BY a.created_at DESC, a.id COLLATE "C"`,
        [tenantId],
      );
      return rows.map(toAgentSummary);
    },
    async revokeAgent(id, at) {
      // A revoked agent's pending secret and rotation request go too: nothing of it works.
      return changed(
        `UPDATE agents SET revoked_at = $1, pending_secret_hash = NULL, rotate_requested_at = NULL
         WHERE id = $2 AND revoked_at IS NULL`,
        [toMillis(at), id],
      );
    },
    async beginAgentRotation(id, pendingHash) {
      return changed(
        'UPDATE agents SET pending_secret_hash = $1 WHERE id = $2 AND revoked_at IS NULL',
        [pendingHash, id],
      );
    },
    async completeAgentRotation(id, pendingHash, at) {
      // Promoted only if it is still the pending secret the agent authenticated with (a
      // rotation started since, or a collector that completed it first, changed the row).
      return changed(
        `UPDATE agents
         SET secret_hash = pending_secret_hash, pending_secret_hash = NULL,
             rotate_requested_at = NULL, secret_rotated_at = $3
         WHERE id = $1 AND pending_secret_hash = $2 AND revoked_at IS NULL`,
        [id, pendingHash, toMillis(at)],
      );
    },
    async requestAgentRotation(id, at) {
      return changed(
        `UPDATE agents SET rotate_requested_at = coalesce(rotate_requested_at, $1)
         WHERE id = $2 AND revoked_at IS NULL`,
        [toMillis(at), id],
      );
    },
  };
}
