// GET /api/v1/software, /api/v1/updates: questions across the fleet.
//   /software?name=openssl&below=3.0.13-1~deb12u1  hosts with openssl older than that
//   /software?name=openssl                         hosts with openssl, any version
//   /updates?security=true&severity=critical       pending updates, where
// A tenant-scoped token sees only its tenant's hosts (asking for another tenant is a 403,
// as on /hosts).
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PatchSeverity, SoftwareSourceName } from '@vcio/shared';
import { tenantScope, type ApiPrincipal } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import type { Store } from '../store/types.js';

const Tenant = Type.String({ minLength: 1, maxLength: 128 });
const Limit = Type.Integer({ minimum: 1, maximum: 10_000, default: 1_000 });
const Offset = Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 });

const SoftwareQuery = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    /** a version as the package database writes it: 3.0.13-1~deb12u1, 10.0.19041.1 */
    below: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '\\S' })),
    tenant: Type.Optional(Tenant),
    source: Type.Optional(SoftwareSourceName),
    limit: Limit,
    offset: Offset,
  },
  { additionalProperties: false },
);

const UpdatesQuery = Type.Object(
  {
    security: Type.Optional(Type.Boolean()),
    severity: Type.Optional(PatchSeverity),
    tenant: Type.Optional(Tenant),
    limit: Limit,
    offset: Offset,
  },
  { additionalProperties: false },
);

export const inventoryRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    /** The tenant id to filter on: the one asked for (by id or slug) within the token's scope. */
    async function scopeOf(
      principal: ApiPrincipal,
      tenant: string | undefined,
    ): Promise<string | undefined> {
      let tenantId: string | undefined;
      if (tenant !== undefined) {
        const found = await store.tenants.getTenant(tenant);
        if (!found) throw new HttpError(404, 'not_found', `no tenant ${tenant}`);
        tenantId = found.id;
      }
      return tenantScope(principal, tenantId);
    }

    app.get<{ Querystring: Static<typeof SoftwareQuery> }>(
      '/software',
      { schema: { querystring: SoftwareQuery } },
      async (request) => {
        const { name, below, tenant, source, limit, offset } = request.query;
        const tenantId = await scopeOf(request.principal!, tenant);
        const { total, matches } = await store.inventory.findSoftware({
          name,
          below,
          tenantId,
          source,
          limit,
          offset,
        });
        return {
          name,
          below: below ?? null,
          total,
          limit,
          offset,
          hosts: matches,
        };
      },
    );

    app.get<{ Querystring: Static<typeof UpdatesQuery> }>(
      '/updates',
      { schema: { querystring: UpdatesQuery } },
      async (request) => {
        const { security, severity, tenant, limit, offset } = request.query;
        const tenantId = await scopeOf(request.principal!, tenant);
        const { total, updates } = await store.inventory.findPendingUpdates({
          security,
          severity,
          tenantId,
          limit,
          offset,
        });
        return { total, limit, offset, updates };
      },
    );
  };
