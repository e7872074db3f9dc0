// GET /api/v1/audit: who changed what, and when, newest first. An admin token sees every
// entry; a tenant-scoped token only its tenant's (changes outside any tenant, such as an
// admin token's creation, are not its business).
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AuditEntry, Store, Tenant } from '../store/types.js';
import { visibleTenant } from './visibility.js';

const AuditQuery = Type.Object(
  {
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_.]+$' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

export const auditEntryView = (e: AuditEntry, tenants: Map<string, Pick<Tenant, 'slug'>>) => ({
  id: e.id,
  at: e.at,
  actor: { tokenId: e.actorTokenId, name: e.actorName },
  action: e.action,
  tenant: e.tenantId ? (tenants.get(e.tenantId)?.slug ?? e.tenantId) : null,
  targetType: e.targetType,
  targetId: e.targetId,
  detail: e.detail,
});

export const auditRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Static<typeof AuditQuery> }>(
      '/audit',
      { schema: { querystring: AuditQuery } },
      async (request) => {
        const principal = request.principal!;
        const { tenant, since, action, limit, offset } = request.query;
        // a scoped token asking for another tenant gets a 404, as everywhere
        const tenantId =
          tenant !== undefined
            ? (await visibleTenant(store, principal, tenant)).id
            : (principal.tenantId ?? undefined);
        const page = await store.audit.query({
          tenantId,
          since: since ? new Date(since) : undefined,
          action,
          limit,
          offset,
        });
        const tenants = new Map((await store.tenants.listTenants()).map((t) => [t.id, t]));
        return {
          total: page.total,
          limit,
          offset,
          entries: page.entries.map((e) => auditEntryView(e, tenants)),
        };
      },
    );
  };
