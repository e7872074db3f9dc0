// GET /api/v1/hosts, /hosts/:id, /hosts/:id/performance: what the fleet looks like.
// A tenant-scoped token sees only its tenant; a host outside its scope is a 404, so a
// token cannot probe which host ids exist elsewhere.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { tenantScope } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import type { Store } from '../store/types.js';
import { visibleHost } from './visibility.js';

/** ?site=: "none", a site id, or a site slug (slugs are per tenant: only with a tenant). */
async function hostSiteFilter(store: Store, tenantId: string | undefined, site: string) {
  if (site === 'none') return null;
  const found = tenantId
    ? await store.tenants.getSite(tenantId, site)
    : await store.tenants.getSiteById(site);
  if (!found) throw new HttpError(404, 'not_found', `no site ${site}`);
  return found.id;
}

const HostListQuery = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** a site id, or its slug within the tenant; "none": hosts in no site */
    site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const HostParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const HistoryQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1_440 }),
  },
  { additionalProperties: false },
);

export const hostRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Static<typeof HostListQuery> }>(
      '/hosts',
      { schema: { querystring: HostListQuery } },
      async (request) => {
        const { tenant, site, limit, offset } = request.query;
        let tenantId: string | undefined;
        if (tenant !== undefined) {
          const found = await store.tenants.getTenant(tenant);
          if (!found) throw new HttpError(404, 'not_found', `no tenant ${tenant}`);
          tenantId = found.id;
        }
        const scope = tenantScope(request.principal!, tenantId);
        const siteId = site === undefined ? undefined : await hostSiteFilter(store, scope, site);
        const page = await store.hosts.listHosts({ tenantId: scope, siteId, limit, offset });
        return { total: page.total, limit, offset, hosts: page.hosts };
      },
    );

    app.get<{ Params: Static<typeof HostParams> }>(
      '/hosts/:id',
      { schema: { params: HostParams } },
      async (request) => visibleHost(store, request.principal!, request.params.id),
    );

    app.get<{ Params: Static<typeof HostParams>; Querystring: Static<typeof HistoryQuery> }>(
      '/hosts/:id/performance',
      { schema: { params: HostParams, querystring: HistoryQuery } },
      async (request) => {
        const host = await visibleHost(store, request.principal!, request.params.id);
        const since = request.query.since
          ? new Date(request.query.since)
          : new Date(Date.now() - 24 * 3600_000);
        const samples = await store.hosts.performanceHistory(host.id, since, request.query.limit);
        return { hostId: host.id, since, samples };
      },
    );
  };
