// Who is calling. Agents present `<agentId>.<secret>`, people and scripts present API
// tokens `<tokenId>.<secret>`; both as `Authorization: Bearer ...`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit.js';
import type { CollectorEvents } from '../events.js';
import type { AgentRecord, ApiRole, Store } from '../store/types.js';
import { cachedLookup, type RecordCache } from '../security/record-cache.js';
import { bearerCredential, secretMatches } from '../security/tokens.js';
import { afterAuthFailure } from './auth-limits.js';
import { HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal | null;
  }
}

export interface ApiPrincipal {
  tokenId: string;
  role: ApiRole;
  /** null: all tenants (admin) */
  tenantId: string | null;
}

const unauthenticated = (what: string) =>
  new HttpError(
    401,
    'unauthenticated',
    `an ${what} is required: send 'Authorization: Bearer <id>.<secret>'`,
    {
      'www-authenticate': 'Bearer realm="vcio"',
    },
  );

const invalid = (what: string) =>
  new HttpError(401, 'invalid_credentials', `the ${what} is unknown, revoked or wrong`, {
    'www-authenticate': 'Bearer realm="vcio", error="invalid_token"',
  });

/** Finds the record named by the presented `<id>.<secret>` and checks the secret. */
async function verifyBearer<T extends { secretHash: Buffer; revokedAt: Date | null }>(
  request: FastifyRequest,
  what: string,
  find: (id: string) => Promise<T | null>,
): Promise<T> {
  const presented = bearerCredential(request.headers.authorization);
  if (!presented) throw afterAuthFailure(request, unauthenticated(what));
  const record = await find(presented.id);
  const ok = secretMatches(presented.secret, record?.secretHash ?? null);
  if (!ok || !record || record.revokedAt) throw afterAuthFailure(request, invalid(what));
  return record;
}

const revokedAgent = (id: string) =>
  new HttpError(
    401,
    'agent_revoked',
    `agent ${id} was revoked on this collector; enroll this machine again (vcio-agent enroll --force)`,
    { 'www-authenticate': 'Bearer realm="vcio", error="invalid_token"' },
  );

/** How long an agent record may be served from memory: a revocation made by another process
 * (the admin command) takes effect on a running collector within this bound. */
export const AGENT_RECORD_TTL_MS = 60_000;

/**
 * Authenticates agents on every agent route (reports, rotation), in front of a short-lived
 * record cache: every report is authenticated, and the database lookup was ~5% of ingest
 * CPU. The secret is checked against the record on every request. Changes made through
 * this collector, or another collector on the same PostgreSQL database (revocation,
 * rotation), reach every authenticator at once through the 'agent.changed' event, relayed
 * across collectors; a change made by another process (the admin command) within
 * AGENT_RECORD_TTL_MS. A secret that does not match the cached record is checked once more
 * against the database, so a secret changed elsewhere is never refused for long.
 *
 * Rotation: an agent has its secret and, during a rotation, a pending one; both
 * authenticate. The first request with the pending secret completes the rotation (the old
 * secret stops working). Until then the old one keeps working, so a crash of the agent or
 * a lost answer at any point of a rotation cannot lock the agent out.
 */
export class AgentAuthenticator {
  private readonly cache: RecordCache<AgentRecord>;
  private readonly forget = ({ agentId }: { agentId: string }) => this.cache.forget(agentId);

  constructor(
    private readonly store: Pick<Store, 'access' | 'audit'>,
    private readonly events: CollectorEvents,
    options: { ttlMs?: number; maxEntries?: number } = {},
  ) {
    this.cache = cachedLookup((id) => store.access.findAgent(id), {
      ttlMs: options.ttlMs ?? AGENT_RECORD_TTL_MS,
      maxEntries: options.maxEntries ?? 200_000,
    });
    events.onCluster('agent.changed', this.forget);
  }

  /** Stops listening for changes (the plugin's onClose). */
  close(): void {
    this.events.offCluster('agent.changed', this.forget);
  }

  async authenticate(request: FastifyRequest): Promise<AgentRecord> {
    const presented = bearerCredential(request.headers.authorization);
    if (!presented) throw afterAuthFailure(request, unauthenticated('agent credential'));
    let record = await this.cache.get(presented.id);
    let match = matchAgentSecret(presented.secret, record);
    if (record && match === null) {
      // Perhaps stale: changed by another process since it was cached.
      this.cache.forget(presented.id);
      record = await this.cache.get(presented.id);
      match = matchAgentSecret(presented.secret, record);
    }
    if (!record || match === null) {
      throw afterAuthFailure(request, invalid('agent credential'));
    }
    if (record.revokedAt) throw afterAuthFailure(request, revokedAgent(record.id));
    if (match === 'pending') return this.completeRotation(request, record, presented.secret);
    return record;
  }

  /** The agent used its pending secret: it has it safely, the old one can go. */
  private async completeRotation(
    request: FastifyRequest,
    record: AgentRecord,
    secret: string,
  ): Promise<AgentRecord> {
    const done = await this.store.access.completeAgentRotation(
      record.id,
      record.pendingSecretHash!,
      new Date(),
    );
    this.events.emit('agent.changed', {
      agentId: record.id,
      tenantId: record.tenantId,
      change: 'rotated',
    });
    const now = await this.cache.get(record.id);
    // Not done by this request: a concurrent request completed it (the secret is now the
    // current one), or a newer rotation replaced it or a revocation came first (refused).
    if (!now || now.revokedAt || matchAgentSecret(secret, now) === null) {
      throw afterAuthFailure(request, invalid('agent credential'));
    }
    if (!done) return now;
    await recordAudit(this.store, null, {
      action: 'agent.rotate_complete',
      tenantId: record.tenantId,
      targetType: 'agent',
      targetId: record.id,
      actor: `agent ${record.id}`,
      detail: { hostname: record.hostname },
    });
    request.log.info({ agentId: record.id }, 'agent secret rotated');
    return now;
  }
}

/**
 * Which of the agent's secrets `secret` is, or null. Both comparisons always run (constant
 * time, whether or not a rotation is pending or the id exists).
 */
function matchAgentSecret(
  secret: string,
  record: AgentRecord | null,
): 'current' | 'pending' | null {
  const current = secretMatches(secret, record?.secretHash ?? null);
  const pending = secretMatches(secret, record?.pendingSecretHash ?? null);
  return current ? 'current' : pending ? 'pending' : null;
}

export async function authenticateApi(
  store: Store,
  request: FastifyRequest,
): Promise<ApiPrincipal> {
  const token = await verifyBearer(request, 'API token', (id) => store.access.findApiToken(id));
  return { tokenId: token.id, role: token.role, tenantId: token.tenantId };
}

/** The tenant a principal may see: its own, or the one asked for when it is an admin. */
export function tenantScope(principal: ApiPrincipal, requested?: string): string | undefined {
  if (principal.tenantId === null) return requested;
  if (requested !== undefined && requested !== principal.tenantId) {
    throw new HttpError(403, 'forbidden', 'this token is scoped to another tenant');
  }
  return principal.tenantId;
}

/** Every route registered in `scope` (a plugin scope) requires an API token. */
export function requireApiToken(scope: FastifyInstance, store: Store): void {
  scope.decorateRequest('principal', null);
  scope.addHook('onRequest', async (request) => {
    request.principal = await authenticateApi(store, request);
  });
}
