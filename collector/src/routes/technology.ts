// GET /api/v1/tenants/:tenant/technology: vendors and technology of one tenant.
//   (no part)        the overview: most installed and most versioned software, unsupported
//                    key software, hardware by manufacturer and model, OS distribution
//   ?part=software   every product, paged, filtered by ?publisher= and ?name= (substrings,
//                    case-insensitive), sorted by ?sort=name|hosts|versions
//   ?part=hardware   hardware by manufacturer and model with age
//   ?part=os         OS distribution with lifecycle states
// Any API token in the tenant's scope may read it; another tenant's is a 404.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { HttpError } from '../http/errors.js';
import type { Store } from '../store/types.js';
import { hardwareModels, technologyOverview } from '../technology/overview.js';
import { visibleTenant } from './visibility.js';

const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 128 }) });

const TechnologyQuery = Type.Object(
  {
    part: Type.Optional(
      Type.Union([Type.Literal('software'), Type.Literal('hardware'), Type.Literal('os')]),
    ),
    publisher: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    sort: Type.Union([Type.Literal('name'), Type.Literal('hosts'), Type.Literal('versions')], {
      default: 'name',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

/** Paging and filters belong to the software list only; elsewhere they would be ignored. */
const SOFTWARE_ONLY = ['publisher', 'name'] as const;

export const technologyRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof TechnologyQuery> }>(
      '/tenants/:tenant/technology',
      { schema: { params: TenantParams, querystring: TechnologyQuery } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const q = request.query;
        const misplaced = SOFTWARE_ONLY.filter((k) => q[k] !== undefined);
        if (q.part !== 'software' && misplaced.length > 0) {
          throw new HttpError(
            400,
            'invalid_request',
            `${misplaced.join(' and ')} filter the software list: add part=software`,
          );
        }
        const about = { tenant: tenant.slug, generatedAt: new Date() };
        switch (q.part) {
          case undefined:
            return technologyOverview(store, tenant.id);
          case 'software': {
            const { total, products } = await store.technology.softwareProducts({
              tenantId: tenant.id,
              publisher: q.publisher,
              name: q.name,
              sort: q.sort,
              limit: q.limit,
              offset: q.offset,
            });
            return {
              ...about,
              sort: q.sort,
              publisher: q.publisher ?? null,
              name: q.name ?? null,
              total,
              limit: q.limit,
              offset: q.offset,
              products,
              unsupported: await store.technology.unsupportedSoftware(tenant.id),
            };
          }
          case 'hardware':
            return { ...about, hardware: await hardwareModels(store, tenant.id) };
          case 'os':
            return { ...about, os: await store.technology.osDistribution(tenant.id) };
        }
      },
    );
  };
