// Who is calling. Agents present `<agentId>.<secret>`, people and scripts present API
// tokens `<tokenId>.<secret>`; both as `Authorization: Bearer ...`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AgentRecord, ApiRole, Store } from '../store/types.js';
import { bearerCredential, secretMatches } from '../security/tokens.js';
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
    `${what} required: send 'Authorization: Bearer <id>.<secret>'`,
    {
      'www-authenticate': 'Bearer realm="vcio"',
    },
  );

const invalid = (what: string) =>
  new HttpError(401, 'invalid_credentials', `the ${what} is unknown, revoked or wrong`, {
    'www-authenticate': 'Bearer realm="vcio", error="invalid_token"',
  });

export async function authenticateAgent(
  store: Store,
  request: FastifyRequest,
): Promise<AgentRecord> {
  const presented = bearerCredential(request.headers.authorization);
  if (!presented) throw unauthenticated('agent credentials');
  const agent = await store.access.findAgent(presented.id);
  const ok = secretMatches(presented.secret, agent?.secretHash ?? null);
  if (!ok || !agent || agent.revokedAt) throw invalid('agent credential');
  return agent;
}

export async function authenticateApi(
  store: Store,
  request: FastifyRequest,
): Promise<ApiPrincipal> {
  const presented = bearerCredential(request.headers.authorization);
  if (!presented) throw unauthenticated('an API token');
  const token = await store.access.findApiToken(presented.id);
  const ok = secretMatches(presented.secret, token?.secretHash ?? null);
  if (!ok || !token || token.revokedAt) throw invalid('API token');
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
