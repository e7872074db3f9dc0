// The HTTP conventions agent and collector share that are not schemas.
export const API_PREFIX = '/api/v1';

/**
 * Agent credentials travel as `Authorization: Bearer <agentId>.<secret>`. The id lets the
 * collector find the stored hash; the secret is then compared in constant time.
 */
export function agentAuthorization(agentId: string, secret: string): string {
  return `Bearer ${agentId}.${secret}`;
}
