// The audit log: who changed what, and when. Every mutating API route calls recordAudit
// after its change succeeds, and so does the `vcio-collector admin` command. An entry
// names the actor by token id and token name, never by anything secret, and carries a
// small JSON detail of what changed (names, ids, limits; never a secret or its hash).
import { userInfo } from 'node:os';
import type { ApiPrincipal } from './http/auth.js';
import type { Store } from './store/types.js';

export interface AuditInput {
  /** dotted verb: tenant.create, site.rename, api_token.revoke, acceptance.create... */
  action: string;
  tenantId: string | null;
  targetType: string;
  targetId: string | null;
  detail?: Record<string, unknown>;
  /**
   * Who acted when there is no API principal (the admin command passes cliActor()).
   * Ignored when a principal is given: the token is then the actor.
   */
  actor?: string;
}

/** The actor the admin command records: the OS user who ran it. */
export function cliActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // userInfo throws when the uid has no passwd entry (some containers)
    user = process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return `cli (${user})`;
}

export async function recordAudit(
  store: Pick<Store, 'access' | 'audit'>,
  principal: ApiPrincipal | null,
  entry: AuditInput,
): Promise<void> {
  let actorName = entry.actor ?? 'system';
  if (principal) {
    // The principal carries only the token id; its name is what a person recognises. A
    // token revoked by this very request is still found (revoked rows are kept).
    const token = await store.access.findApiToken(principal.tokenId);
    actorName = token?.name ?? principal.tokenId;
  }
  await store.audit.append({
    at: new Date(),
    actorTokenId: principal?.tokenId ?? null,
    actorName,
    action: entry.action,
    tenantId: entry.tenantId,
    targetType: entry.targetType,
    targetId: entry.targetId,
    detail: entry.detail ?? {},
  });
}
