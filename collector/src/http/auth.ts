// Who is calling. Agents present `<agentId>.<secret>`, people and scripts present API
// tokens `<tokenId>.<secret>`; both as `Authorization: Bearer ...`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgentRecord, ApiRole, Store } from '../store/types.js';
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

export function authenticateAgent(
  request: FastifyRequest,
  findAgent: (id: string) => Promise<AgentRecord | null>,
): Promise<AgentRecord> {
  return verifyBearer(request, 'agent credential', findAgent);
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
