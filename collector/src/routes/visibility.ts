// What a caller may see. A tenant-scoped token sees only its tenant; a host or tenant
// outside its scope is a 404 (not a 403), so a token cannot probe which ids exist elsewhere.
import type { ApiPrincipal } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import type { HostDetail, Store, Tenant } from '../store/types.js';

export async function visibleHost(
  store: Store,
  principal: ApiPrincipal,
  id: string,
): Promise<HostDetail> {
  const host = await store.hosts.getHost(id);
  if (!host || (principal.tenantId !== null && host.tenantId !== principal.tenantId)) {
    throw new HttpError(404, 'not_found', `no host ${id}`);
  }
  return host;
}

/** By id or slug. */
export async function visibleTenant(
  store: Store,
  principal: ApiPrincipal,
  idOrSlug: string,
): Promise<Tenant> {
  const tenant = await store.tenants.getTenant(idOrSlug);
  if (!tenant || (principal.tenantId !== null && tenant.id !== principal.tenantId)) {
    throw new HttpError(404, 'not_found', `no tenant ${idOrSlug}`);
  }
  return tenant;
}

/** Changes are for admin tokens; a read-only token gets a 403 that says so. */
export function requireAdmin(principal: ApiPrincipal): void {
  if (principal.role !== 'admin') {
    throw new HttpError(
      403,
      'forbidden',
      'this change needs an admin token; this one is read-only',
    );
  }
}
