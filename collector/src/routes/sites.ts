// A tenant's sites (offices, data centres) and which site each host is in. The operations
// are exported for the admin command.
//
// A new host starts in the site of the enrollment token its agent enrolled with; after
// that only PUT /hosts/:id/site moves it. Archiving a site revokes its enrollment tokens
// and keeps its hosts where they are (their history stays readable); no host can be moved
// into an archived site.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { HttpError } from '../http/errors.js';
import { strictBodyCompiler } from '../http/validation.js';
import {
  isUniqueViolation,
  type HostDetail,
  type Site,
  type Store,
  type Tenant,
} from '../store/types.js';
import {
  audit,
  checkName,
  checkSlug,
  MAX_NAME_LENGTH,
  TenantParams,
  type Actor,
  type TenancyStore,
} from './tenants.js';
import { requireAdmin, visibleHost, visibleTenant } from './visibility.js';

export const siteView = (s: Site & { hostCount?: number }) => ({
  id: s.id,
  slug: s.slug,
  name: s.name,
  createdAt: s.createdAt,
  archivedAt: s.archivedAt,
  ...(s.hostCount !== undefined ? { hostCount: s.hostCount } : {}),
});

/** A site of the tenant by id or slug; 404 when it has none. */
export async function findSite(
  store: TenancyStore,
  tenant: Tenant,
  idOrSlug: string,
): Promise<Site> {
  const site = await store.tenants.getSite(tenant.id, idOrSlug);
  if (!site) throw new HttpError(404, 'not_found', `no site ${idOrSlug} in tenant ${tenant.slug}`);
  return site;
}

/** A site that may take new hosts: it exists in the tenant and is not archived. */
export async function openSite(
  store: TenancyStore,
  tenant: Tenant,
  idOrSlug: string,
): Promise<Site> {
  const site = await store.tenants.getSite(tenant.id, idOrSlug);
  if (!site)
    throw new HttpError(400, 'unknown_site', `no site ${idOrSlug} in tenant ${tenant.slug}`);
  if (site.archivedAt) {
    throw new HttpError(409, 'site_archived', `site ${site.slug} is archived; unarchive it first`);
  }
  return site;
}

export async function createSite(
  store: TenancyStore,
  who: Actor,
  tenant: Tenant,
  input: { slug: string; name: string },
): Promise<Site> {
  const slug = checkSlug(input.slug, 'site');
  // GET /hosts?site=none means "in no site"
  if (slug === 'none')
    throw new HttpError(400, 'invalid_slug', "'none' is reserved: choose another site slug");
  const name = checkName(input.name, 'site');
  const conflict = () =>
    new HttpError(409, 'conflict', `tenant ${tenant.slug} already has a site '${slug}'`);
  if (await store.tenants.getSite(tenant.id, slug)) throw conflict();
  const site: Site = {
    id: randomUUID(),
    tenantId: tenant.id,
    slug,
    name,
    createdAt: new Date(),
    archivedAt: null,
  };
  try {
    await store.tenants.createSite(site);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict();
    throw error;
  }
  await audit(store, who, {
    action: 'site.create',
    tenantId: tenant.id,
    targetType: 'site',
    targetId: site.id,
    detail: { slug, name },
  });
  return site;
}

/** Renames and/or archives (true) or unarchives (false); unchanged fields record nothing. */
export async function updateSite(
  store: TenancyStore,
  who: Actor,
  site: Site,
  change: { name?: string; archived?: boolean },
): Promise<Site> {
  let next = site;
  if (change.name !== undefined) {
    const name = checkName(change.name, 'site');
    if (name !== site.name) {
      await store.tenants.renameSite(site.id, name);
      await audit(store, who, {
        action: 'site.rename',
        tenantId: site.tenantId,
        targetType: 'site',
        targetId: site.id,
        detail: { from: site.name, to: name },
      });
      next = { ...next, name };
    }
  }
  if (change.archived !== undefined && change.archived !== (site.archivedAt !== null)) {
    const at = change.archived ? new Date() : null;
    await store.tenants.setSiteArchived(site.id, at);
    await audit(store, who, {
      action: change.archived ? 'site.archive' : 'site.unarchive',
      tenantId: site.tenantId,
      targetType: 'site',
      targetId: site.id,
      detail: { slug: site.slug },
    });
    next = { ...next, archivedAt: at };
  }
  return next;
}

const SiteParams = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 128 }),
  site: Type.String({ minLength: 1, maxLength: 64 }),
});

const SiteListQuery = Type.Object(
  { archived: Type.Boolean({ default: false }) },
  { additionalProperties: false },
);

const CreateSiteBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 63 }),
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  },
  { additionalProperties: false },
);

const UpdateSiteBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH })),
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const HostParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

// Validated without type coercion (strictBodyCompiler): the default validator would let
// a 0 or "" pass as the null branch of a union (maxUses: 0 becoming "unlimited").
const HostSiteBody = Type.Object(
  { site: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 64 })]) },
  { additionalProperties: false },
);

const hostSiteView = (host: HostDetail, site: Site | null) => ({
  hostId: host.id,
  site: site ? { id: site.id, slug: site.slug, name: site.name } : null,
});

export const siteRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof SiteListQuery> }>(
      '/tenants/:tenant/sites',
      { schema: { params: TenantParams, querystring: SiteListQuery } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const sites = await store.tenants.listSites(tenant.id);
        return {
          tenant: tenant.slug,
          sites: sites.filter((s) => request.query.archived || !s.archivedAt).map(siteView),
        };
      },
    );

    app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateSiteBody> }>(
      '/tenants/:tenant/sites',
      {
        schema: { params: TenantParams, body: CreateSiteBody },
        validatorCompiler: strictBodyCompiler,
      },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const site = await createSite(
          store,
          { principal: request.principal },
          tenant,
          request.body,
        );
        return reply.code(201).send(siteView(site));
      },
    );

    app.patch<{ Params: Static<typeof SiteParams>; Body: Static<typeof UpdateSiteBody> }>(
      '/tenants/:tenant/sites/:site',
      {
        schema: { params: SiteParams, body: UpdateSiteBody },
        validatorCompiler: strictBodyCompiler,
      },
      async (request) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const site = await findSite(store, tenant, request.params.site);
        return siteView(
          await updateSite(store, { principal: request.principal }, site, request.body),
        );
      },
    );

    app.put<{ Params: Static<typeof HostParams>; Body: Static<typeof HostSiteBody> }>(
      '/hosts/:id/site',
      { schema: { params: HostParams, body: HostSiteBody }, validatorCompiler: strictBodyCompiler },
      async (request) => {
        requireAdmin(request.principal!);
        const host = await visibleHost(store, request.principal!, request.params.id);
        const tenant = (await store.tenants.getTenant(host.tenantId))!;
        const site =
          request.body.site === null ? null : await openSite(store, tenant, request.body.site);
        if ((site?.id ?? null) === (host.site?.id ?? null)) return hostSiteView(host, site);
        await store.tenants.setHostSite(host.id, site?.id ?? null);
        await audit(
          store,
          { principal: request.principal },
          {
            action: 'host.move_site',
            tenantId: host.tenantId,
            targetType: 'host',
            targetId: host.id,
            detail: {
              hostname: host.hostname,
              from: host.site?.slug ?? null,
              to: site?.slug ?? null,
            },
          },
        );
        return hostSiteView(host, site);
      },
    );
  };
