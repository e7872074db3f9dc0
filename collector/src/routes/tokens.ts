// Enrollment tokens (per tenant, optionally per site) and API tokens: create, list, revoke.
// A secret is shown once, in the answer that creates it; only its hash is kept. The
// operations are exported for the admin command.
//
// Revocation takes effect on the next request: enrollment and API tokens are looked up
// in the database on every use (the 60 s record cache covers agents only). Revoking an
// enrollment token stops new enrollments; agents it already enrolled keep reporting.
// Any admin token may revoke any token, itself included, but never the last live admin
// token (409): the collector would be left with no way to administer it.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { HttpError } from '../http/errors.js';
import { strictBodyCompiler } from '../http/validation.js';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../security/tokens.js';
import type {
  ApiRole,
  ApiTokenRecord,
  EnrollmentTokenRecord,
  Site,
  Store,
  Tenant,
} from '../store/types.js';
import { openSite } from './sites.js';
import {
  audit,
  checkName,
  findTenant,
  MAX_NAME_LENGTH,
  TenantParams,
  type Actor,
  type TenancyStore,
} from './tenants.js';
import { requireAdmin, visibleTenant } from './visibility.js';

/** An enrollment token may allow at most this many enrollments (a typo guard). */
export const MAX_ENROLLMENT_USES = 100_000;

export type EnrollmentTokenState = 'active' | 'revoked' | 'expired' | 'used_up';

export function enrollmentTokenState(t: EnrollmentTokenRecord, now: Date): EnrollmentTokenState {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && t.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (t.maxUses !== null && t.uses >= t.maxUses) return 'used_up';
  return 'active';
}

export const enrollmentTokenView = (
  t: EnrollmentTokenRecord,
  tenant: Pick<Tenant, 'slug'>,
  sites: Map<string, Pick<Site, 'slug'>>,
  now: Date,
) => ({
  id: t.id,
  name: t.name,
  tenant: tenant.slug,
  site: t.siteId ? (sites.get(t.siteId)?.slug ?? t.siteId) : null,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  maxUses: t.maxUses,
  uses: t.uses,
  revokedAt: t.revokedAt,
  state: enrollmentTokenState(t, now),
});

export const apiTokenView = (t: ApiTokenRecord, tenants: Map<string, Pick<Tenant, 'slug'>>) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  tenant: t.tenantId ? (tenants.get(t.tenantId)?.slug ?? t.tenantId) : null,
  createdAt: t.createdAt,
  revokedAt: t.revokedAt,
  state: t.revokedAt ? ('revoked' as const) : ('active' as const),
});

export async function siteSlugs(store: TenancyStore, tenantId: string) {
  return new Map((await store.tenants.listSites(tenantId)).map((s) => [s.id, s]));
}

export async function tenantSlugs(store: TenancyStore) {
  return new Map((await store.tenants.listTenants()).map((t) => [t.id, t]));
}

export interface NewEnrollmentToken {
  name: string;
  expiresAt?: Date | null;
  maxUses?: number | null;
  /** site id or slug within the tenant */
  site?: string | null;
}

export async function createEnrollmentToken(
  store: TenancyStore,
  who: Actor,
  tenant: Tenant,
  input: NewEnrollmentToken,
): Promise<{ record: EnrollmentTokenRecord; site: Site | null; token: string }> {
  const name = checkName(input.name, 'enrollment token');
  const now = new Date();
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && Number.isNaN(expiresAt.getTime())) {
    throw new HttpError(400, 'invalid_expiry', 'expiresAt is not a date');
  }
  if (expiresAt && expiresAt.getTime() <= now.getTime()) {
    throw new HttpError(400, 'invalid_expiry', 'expiresAt must be in the future');
  }
  const maxUses = input.maxUses ?? null;
  if (
    maxUses !== null &&
    (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_ENROLLMENT_USES)
  ) {
    throw new HttpError(
      400,
      'invalid_max_uses',
      `maxUses must be a whole number from 1 to ${MAX_ENROLLMENT_USES}`,
    );
  }
  if (tenant.archivedAt) {
    throw new HttpError(409, 'tenant_archived', `tenant ${tenant.slug} is archived`);
  }
  const site = input.site ? await openSite(store, tenant, input.site) : null;
  const secret = newSecret();
  const record: EnrollmentTokenRecord = {
    id: newTokenId('et'),
    tenantId: tenant.id,
    name,
    secretHash: hashSecret(secret),
    createdAt: now,
    expiresAt,
    maxUses,
    uses: 0,
    revokedAt: null,
    siteId: site?.id ?? null,
  };
  await store.access.insertEnrollmentToken(record);
  await audit(store, who, {
    action: 'enrollment_token.create',
    tenantId: tenant.id,
    targetType: 'enrollment_token',
    targetId: record.id,
    detail: { name, site: site?.slug ?? null, expiresAt, maxUses },
  });
  return { record, site, token: joinCredential(record.id, secret) };
}

export async function revokeEnrollmentToken(
  store: TenancyStore,
  who: Actor,
  tenant: Tenant,
  id: string,
): Promise<void> {
  if (!(await store.access.revokeEnrollmentToken(tenant.id, id, new Date()))) {
    throw new HttpError(
      404,
      'not_found',
      `no live enrollment token ${id} in tenant ${tenant.slug}`,
    );
  }
  await audit(store, who, {
    action: 'enrollment_token.revoke',
    tenantId: tenant.id,
    targetType: 'enrollment_token',
    targetId: id,
  });
}

export interface NewApiToken {
  name: string;
  role: ApiRole;
  /** required for read tokens (id or slug); admin tokens span every tenant */
  tenant?: string | null;
}

export async function createApiToken(
  store: TenancyStore,
  who: Actor,
  input: NewApiToken,
): Promise<{ record: ApiTokenRecord; tenant: Tenant | null; token: string }> {
  const name = checkName(input.name, 'API token');
  let tenant: Tenant | null = null;
  if (input.role === 'read') {
    if (!input.tenant) {
      throw new HttpError(
        400,
        'tenant_required',
        'a read token is scoped to one tenant: give tenant',
      );
    }
    tenant = await findTenant(store, input.tenant).catch(() => {
      throw new HttpError(400, 'unknown_tenant', `no tenant ${input.tenant}`);
    });
  } else if (input.role === 'admin') {
    if (input.tenant) {
      throw new HttpError(
        400,
        'invalid_request',
        'an admin token spans every tenant: give no tenant (or make a read token)',
      );
    }
  } else {
    throw new HttpError(
      400,
      'invalid_role',
      `role must be admin or read, not ${String(input.role)}`,
    );
  }
  const secret = newSecret();
  const record: ApiTokenRecord = {
    id: newTokenId('at'),
    tenantId: tenant?.id ?? null,
    role: input.role,
    name,
    secretHash: hashSecret(secret),
    createdAt: new Date(),
    revokedAt: null,
  };
  await store.access.insertApiToken(record);
  await audit(store, who, {
    action: 'api_token.create',
    tenantId: record.tenantId,
    targetType: 'api_token',
    targetId: record.id,
    detail: { name, role: record.role, tenant: tenant?.slug ?? null },
  });
  return { record, tenant, token: joinCredential(record.id, secret) };
}

export async function revokeApiToken(store: TenancyStore, who: Actor, id: string): Promise<void> {
  const outcome = await store.access.revokeApiToken(id, new Date());
  if (outcome === 'not_found') throw new HttpError(404, 'not_found', `no live API token ${id}`);
  if (outcome === 'last_admin') {
    throw new HttpError(
      409,
      'last_admin_token',
      `${id} is the last admin token: create another admin token before revoking it`,
    );
  }
  const token = (await store.access.findApiToken(id))!;
  await audit(store, who, {
    action: 'api_token.revoke',
    tenantId: token.tenantId,
    targetType: 'api_token',
    targetId: id,
    detail: { name: token.name, role: token.role },
  });
}

const EnrollmentTokenParams = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 128 }),
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

// Validated without type coercion (strictBodyCompiler): the default validator would let
// a 0 or "" pass as the null branch of a union (maxUses: 0 becoming "unlimited").
const CreateEnrollmentTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
    expiresAt: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'date-time' })])),
    maxUses: Type.Optional(
      Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: MAX_ENROLLMENT_USES })]),
    ),
    site: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 64 })])),
  },
  { additionalProperties: false },
);

const ApiTokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const CreateApiTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('read')]),
    tenant: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 128 })])),
  },
  { additionalProperties: false },
);

export const tokenRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/enrollment-tokens',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const sites = await siteSlugs(store, tenant.id);
        const now = new Date();
        const tokens = await store.access.listEnrollmentTokens(tenant.id);
        return {
          tenant: tenant.slug,
          enrollmentTokens: tokens.map((t) => enrollmentTokenView(t, tenant, sites, now)),
        };
      },
    );

    app.post<{
      Params: Static<typeof TenantParams>;
      Body: Static<typeof CreateEnrollmentTokenBody>;
    }>(
      '/tenants/:tenant/enrollment-tokens',
      {
        schema: { params: TenantParams, body: CreateEnrollmentTokenBody },
        validatorCompiler: strictBodyCompiler,
      },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const body = request.body;
        const created = await createEnrollmentToken(
          store,
          { principal: request.principal },
          tenant,
          {
            name: body.name,
            expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
            maxUses: body.maxUses ?? null,
            site: body.site ?? null,
          },
        );
        const sites = new Map(created.site ? [[created.site.id, created.site]] : []);
        return reply.code(201).send({
          ...enrollmentTokenView(created.record, tenant, sites, new Date()),
          token: created.token,
        });
      },
    );

    app.delete<{ Params: Static<typeof EnrollmentTokenParams> }>(
      '/tenants/:tenant/enrollment-tokens/:id',
      { schema: { params: EnrollmentTokenParams } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        await revokeEnrollmentToken(
          store,
          { principal: request.principal },
          tenant,
          request.params.id,
        );
        return reply.code(204).send();
      },
    );

    app.get('/api-tokens', async (request) => {
      requireAdmin(request.principal!);
      const tenants = await tenantSlugs(store);
      const tokens = await store.access.listApiTokens();
      return { apiTokens: tokens.map((t) => apiTokenView(t, tenants)) };
    });

    app.post<{ Body: Static<typeof CreateApiTokenBody> }>(
      '/api-tokens',
      { schema: { body: CreateApiTokenBody }, validatorCompiler: strictBodyCompiler },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const created = await createApiToken(store, { principal: request.principal }, request.body);
        const tenants = new Map(created.tenant ? [[created.tenant.id, created.tenant]] : []);
        return reply
          .code(201)
          .send({ ...apiTokenView(created.record, tenants), token: created.token });
      },
    );

    app.delete<{ Params: Static<typeof ApiTokenParams> }>(
      '/api-tokens/:id',
      { schema: { params: ApiTokenParams } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        await revokeApiToken(store, { principal: request.principal }, request.params.id);
        return reply.code(204).send();
      },
    );
  };
