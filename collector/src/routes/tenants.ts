// Tenants (client companies): list, create, rename, archive. The operations are exported
// for the `vcio-collector admin` command, so the API and the command validate, refuse and
// audit alike.
//
// Archiving hides a tenant from lists (unless ?archived=true) and keeps everything it has.
// Its agents' reports are still accepted: refusing them would lose facts about machines
// that still run, and an archived client that comes back should find its history whole.
// New enrollments into an archived tenant are refused (see routes/enroll.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { recordAudit, type AuditInput } from '../audit.js';
import type { ApiPrincipal } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { strictBodyCompiler } from '../http/validation.js';
import { isUniqueViolation, type Store, type Tenant, type TenantSummary } from '../store/types.js';
import { requireAdmin, visibleTenant } from './visibility.js';

/** What the tenancy operations need of the store (the admin command opens no more). */
export type TenancyStore = Pick<Store, 'tenants' | 'access' | 'audit'>;

/** Who is making a change: an API token, or the admin command's OS user. */
export interface Actor {
  principal: ApiPrincipal | null;
  /** recorded when there is no principal, e.g. "cli (alice)" */
  name?: string;
}

export const audit = (store: TenancyStore, who: Actor, entry: AuditInput) =>
  recordAudit(store, who.principal, { ...entry, actor: who.name });

/** Lowercase letters, digits and inner hyphens: safe in URLs, file names and CSV. */
const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 200;

export function checkSlug(slug: string, what: string): string {
  if (!SLUG_PATTERN.test(slug)) {
    throw new HttpError(
      400,
      'invalid_slug',
      `${what} slug '${slug}' must be 1-63 lowercase letters, digits and inner hyphens`,
    );
  }
  return slug;
}

export function checkName(name: string, what: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
    throw new HttpError(
      400,
      'invalid_name',
      `${what} name must be 1-${MAX_NAME_LENGTH} characters (not only spaces)`,
    );
  }
  return trimmed;
}

export const tenantView = (t: Tenant | TenantSummary) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  createdAt: t.createdAt,
  archivedAt: t.archivedAt ?? null,
  ...('hostCount' in t ? { hostCount: t.hostCount } : {}),
});

export async function createTenant(
  store: TenancyStore,
  who: Actor,
  input: { slug: string; name: string },
): Promise<Tenant> {
  const slug = checkSlug(input.slug, 'tenant');
  const name = checkName(input.name, 'tenant');
  // Tenants are addressed by id or slug: a slug equal to any existing id or slug would
  // make an address ambiguous.
  const conflict = () => new HttpError(409, 'conflict', `a tenant '${slug}' already exists`);
  if (await store.tenants.getTenant(slug)) throw conflict();
  const tenant: Tenant = { id: randomUUID(), slug, name, createdAt: new Date(), archivedAt: null };
  try {
    await store.tenants.createTenant(tenant);
  } catch (error) {
    // two creations of the same slug at once: the unique index decides
    if (isUniqueViolation(error)) throw conflict();
    throw error;
  }
  await audit(store, who, {
    action: 'tenant.create',
    tenantId: tenant.id,
    targetType: 'tenant',
    targetId: tenant.id,
    detail: { slug, name },
  });
  return tenant;
}

export async function renameTenant(
  store: TenancyStore,
  who: Actor,
  tenant: Tenant,
  newName: string,
): Promise<Tenant> {
  const name = checkName(newName, 'tenant');
  if (name === tenant.name) return tenant;
  await store.tenants.renameTenant(tenant.id, name);
  await audit(store, who, {
    action: 'tenant.rename',
    tenantId: tenant.id,
    targetType: 'tenant',
    targetId: tenant.id,
    detail: { from: tenant.name, to: name },
  });
  return { ...tenant, name };
}

/** Archives or unarchives; doing it twice changes nothing and records nothing. */
export async function setTenantArchived(
  store: TenancyStore,
  who: Actor,
  tenant: Tenant,
  archived: boolean,
): Promise<Tenant> {
  const isArchived = (tenant.archivedAt ?? null) !== null;
  if (isArchived === archived) return tenant;
  const at = archived ? new Date() : null;
  await store.tenants.setTenantArchived(tenant.id, at);
  await audit(store, who, {
    action: archived ? 'tenant.archive' : 'tenant.unarchive',
    tenantId: tenant.id,
    targetType: 'tenant',
    targetId: tenant.id,
    detail: { slug: tenant.slug },
  });
  return { ...tenant, archivedAt: at };
}

/** By id or slug, archived ones included; a one-line error when there is none. */
export async function findTenant(store: TenancyStore, idOrSlug: string): Promise<Tenant> {
  const tenant = await store.tenants.getTenant(idOrSlug);
  if (!tenant) throw new HttpError(404, 'not_found', `no tenant ${idOrSlug}`);
  return tenant;
}

export const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 128 }) });

const TenantListQuery = Type.Object(
  { archived: Type.Boolean({ default: false }) },
  { additionalProperties: false },
);

const CreateTenantBody = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 63 }),
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  },
  { additionalProperties: false },
);

const RenameTenantBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }) },
  { additionalProperties: false },
);

export const tenantRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: Static<typeof TenantListQuery> }>(
      '/tenants',
      { schema: { querystring: TenantListQuery } },
      async (request) => {
        const principal = request.principal!;
        const tenants = (await store.tenants.listTenants()).filter(
          (t) =>
            (principal.tenantId === null || t.id === principal.tenantId) &&
            (request.query.archived || !t.archivedAt),
        );
        return { tenants: tenants.map(tenantView) };
      },
    );

    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const sites = await store.tenants.listSites(tenant.id);
        return {
          ...tenantView(tenant),
          sites: sites
            .filter((s) => !s.archivedAt)
            .map((s) => ({ id: s.id, slug: s.slug, name: s.name })),
        };
      },
    );

    app.post<{ Body: Static<typeof CreateTenantBody> }>(
      '/tenants',
      { schema: { body: CreateTenantBody }, validatorCompiler: strictBodyCompiler },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await createTenant(store, { principal: request.principal }, request.body);
        return reply.code(201).send(tenantView(tenant));
      },
    );

    app.patch<{ Params: Static<typeof TenantParams>; Body: Static<typeof RenameTenantBody> }>(
      '/tenants/:tenant',
      {
        schema: { params: TenantParams, body: RenameTenantBody },
        validatorCompiler: strictBodyCompiler,
      },
      async (request) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        return tenantView(
          await renameTenant(store, { principal: request.principal }, tenant, request.body.name),
        );
      },
    );

    for (const [path, archived] of [
      ['/tenants/:tenant/archive', true],
      ['/tenants/:tenant/unarchive', false],
    ] as const) {
      app.post<{ Params: Static<typeof TenantParams> }>(
        path,
        { schema: { params: TenantParams } },
        async (request) => {
          requireAdmin(request.principal!);
          const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
          return tenantView(
            await setTenantArchived(store, { principal: request.principal }, tenant, archived),
          );
        },
      );
    }
  };
