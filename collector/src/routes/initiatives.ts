// Initiatives (projects) over the API:
//   GET    /tenants/:tenant/initiatives[?status=]         list, with progress and risk
//   POST   /tenants/:tenant/initiatives                   create
//   GET    /tenants/:tenant/initiatives/:id               one, with history and burn-down
//   PATCH  /tenants/:tenant/initiatives/:id               change (title, dates, status...)
//   DELETE /tenants/:tenant/initiatives/:id               cancel (kept, with its history)
//   GET    /tenants/:tenant/initiatives/suggestions       what is worth starting
//   POST   /tenants/:tenant/initiatives/suggestions/:key/adopt
// Reading needs any API token in the tenant's scope; changing needs an admin token. Every
// change is recorded in the audit log.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { findCheck } from '@vcio/shared';
import { recordAudit } from '../audit.js';
import type { ApiPrincipal } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { recordInitiativeProgress } from '../initiatives/progress.js';
import { suggestInitiatives } from '../initiatives/suggestions.js';
import { describeInitiative } from '../initiatives/summary.js';
import type {
  InitiativeFilter,
  InitiativeRecord,
  InitiativeTarget,
  Store,
  Tenant,
} from '../store/types.js';
import { requireAdmin, visibleTenant } from './visibility.js';

const Slug = Type.String({ minLength: 1, maxLength: 128 });
const TenantParams = Type.Object({ tenant: Slug });
const IdParams = Type.Object({ tenant: Slug, id: Type.String({ minLength: 1, maxLength: 64 }) });
const KeyParams = Type.Object({ tenant: Slug, key: Type.String({ minLength: 1, maxLength: 160 }) });

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Owner = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Status = Type.Union([
  Type.Literal('active'),
  Type.Literal('done'),
  Type.Literal('cancelled'),
]);

const Filter = Type.Object(
  {
    platforms: Type.Optional(
      Type.Array(
        Type.Union(['linux', 'windows', 'darwin', 'freebsd', 'other'].map((p) => Type.Literal(p))),
        { minItems: 1, maxItems: 5, uniqueItems: true },
      ),
    ),
    roles: Type.Optional(
      Type.Array(Type.Union([Type.Literal('server'), Type.Literal('workstation')]), {
        minItems: 1,
        maxItems: 2,
        uniqueItems: true,
      }),
    ),
    hostIds: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        minItems: 1,
        maxItems: 10_000,
        uniqueItems: true,
      }),
    ),
  },
  { additionalProperties: false },
);

const Target = Type.Union([
  Type.Object(
    {
      type: Type.Literal('checks'),
      checkIds: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        minItems: 1,
        maxItems: 50,
        uniqueItems: true,
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('lifecycle'),
      os: Type.Union([Type.Literal('not_end_of_life'), Type.Literal('supported')]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('hardware'), notPastReplacement: Type.Literal(true) },
    { additionalProperties: false },
  ),
]);

const CreateBody = Type.Object(
  {
    title: Title,
    owner: Owner,
    filter: Type.Optional(Filter),
    target: Target,
    /** default: today */
    startDate: Type.Optional(IsoDate),
    dueDate: IsoDate,
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    title: Type.Optional(Title),
    owner: Type.Optional(Owner),
    filter: Type.Optional(Filter),
    target: Type.Optional(Target),
    startDate: Type.Optional(IsoDate),
    dueDate: Type.Optional(IsoDate),
    status: Type.Optional(Status),
  },
  { additionalProperties: false, minProperties: 1 },
);

const AdoptBody = Type.Object(
  {
    title: Type.Optional(Title),
    /** default: the name of the token adopting it */
    owner: Type.Optional(Owner),
    startDate: Type.Optional(IsoDate),
    dueDate: Type.Optional(IsoDate),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({ status: Type.Optional(Status) }, { additionalProperties: false });

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** A real calendar date (2026-02-30 matches the pattern but is not one). */
function checkDate(field: string, value: string): void {
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || isoDay(d) !== value) {
    throw new HttpError(400, 'invalid_request', `${field} ${value} is not a date`);
  }
}

function checkPlan(plan: { startDate: string; dueDate: string; target: InitiativeTarget }): void {
  checkDate('startDate', plan.startDate);
  checkDate('dueDate', plan.dueDate);
  if (plan.dueDate < plan.startDate) {
    throw new HttpError(
      400,
      'invalid_request',
      `dueDate ${plan.dueDate} is before startDate ${plan.startDate}`,
    );
  }
  if (plan.target.type === 'checks') {
    const unknown = plan.target.checkIds.filter((id) => !findCheck(id));
    if (unknown.length > 0) {
      throw new HttpError(400, 'unknown_check', `no check ${unknown.join(', ')} in the catalog`);
    }
  }
}

/** Who made a change, as the record shows it: the token's name, never its secret. */
async function tokenName(store: Store, principal: ApiPrincipal): Promise<string> {
  const token = await store.access.findApiToken(principal.tokenId);
  return token?.name ?? principal.tokenId;
}

export interface InitiativeRouteOptions {
  /** the clock (tests pin it) */
  now?: () => Date;
}

export const initiativeRoutes =
  (store: Store, options: InitiativeRouteOptions = {}): FastifyPluginAsync =>
  async (app) => {
    const now = options.now ?? (() => new Date());

    async function found(tenant: Tenant, id: string): Promise<InitiativeRecord> {
      const initiative = await store.initiatives.get(tenant.id, id);
      if (!initiative) throw new HttpError(404, 'not_found', `no initiative ${id}`);
      return initiative;
    }

    /** Stores a new initiative with its first progress point; answers its detail. */
    async function create(
      principal: ApiPrincipal,
      tenant: Tenant,
      fields: Pick<
        InitiativeRecord,
        'title' | 'owner' | 'filter' | 'target' | 'startDate' | 'dueDate' | 'suggestionKey'
      >,
    ) {
      checkPlan(fields);
      const at = now();
      const initiative: InitiativeRecord = {
        ...fields,
        id: randomUUID(),
        tenantId: tenant.id,
        status: 'active',
        createdAt: at,
        createdBy: await tokenName(store, principal),
        updatedAt: at,
      };
      await store.initiatives.create(initiative);
      await recordInitiativeProgress(store, initiative, at);
      await recordAudit(store, principal, {
        action: 'initiative.create',
        tenantId: tenant.id,
        targetType: 'initiative',
        targetId: initiative.id,
        detail: {
          title: initiative.title,
          target: initiative.target,
          dueDate: initiative.dueDate,
          ...(initiative.suggestionKey ? { suggestion: initiative.suggestionKey } : {}),
        },
      });
      return { tenant: tenant.slug, ...(await describeInitiative(store, initiative, at)) };
    }

    app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof ListQuery> }>(
      '/tenants/:tenant/initiatives',
      { schema: { params: TenantParams, querystring: ListQuery } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const at = now();
        const list = await store.initiatives.list(tenant.id, request.query.status);
        const initiatives = [];
        for (const initiative of list) {
          const { remainingHosts: _hosts, ...summary } = await describeInitiative(
            store,
            initiative,
            at,
          );
          initiatives.push(summary);
        }
        return { tenant: tenant.slug, initiatives };
      },
    );

    app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateBody> }>(
      '/tenants/:tenant/initiatives',
      { schema: { params: TenantParams, body: CreateBody } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const body = request.body;
        const view = await create(request.principal!, tenant, {
          title: body.title.trim(),
          owner: body.owner.trim(),
          filter: (body.filter ?? {}) as InitiativeFilter,
          target: body.target as InitiativeTarget,
          startDate: body.startDate ?? isoDay(now()),
          dueDate: body.dueDate,
          suggestionKey: null,
        });
        return reply.code(201).send(view);
      },
    );

    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/initiatives/suggestions',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        return {
          tenant: tenant.slug,
          suggestions: await suggestInitiatives(store, tenant.id, now()),
        };
      },
    );

    app.post<{ Params: Static<typeof KeyParams>; Body: Static<typeof AdoptBody> }>(
      '/tenants/:tenant/initiatives/suggestions/:key/adopt',
      {
        schema: { params: KeyParams, body: AdoptBody },
        // adopting as suggested needs no body at all
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const key = request.params.key;
        const active = await store.initiatives.list(tenant.id, 'active');
        const existing = active.find((i) => i.suggestionKey === key);
        if (existing) {
          throw new HttpError(
            409,
            'already_adopted',
            `suggestion ${key} is already initiative ${existing.id}`,
          );
        }
        const suggestion = (await suggestInitiatives(store, tenant.id, now())).find(
          (s) => s.key === key,
        );
        if (!suggestion) {
          throw new HttpError(
            404,
            'not_found',
            `no suggestion ${key} for this tenant now (its findings may have been fixed)`,
          );
        }
        const body = request.body;
        const view = await create(request.principal!, tenant, {
          title: body.title?.trim() ?? suggestion.title,
          owner: body.owner?.trim() ?? (await tokenName(store, request.principal!)),
          filter: suggestion.filter,
          target: suggestion.target,
          startDate: body.startDate ?? suggestion.startDate,
          dueDate: body.dueDate ?? suggestion.dueDate,
          suggestionKey: suggestion.key,
        });
        return reply.code(201).send(view);
      },
    );

    app.get<{ Params: Static<typeof IdParams> }>(
      '/tenants/:tenant/initiatives/:id',
      { schema: { params: IdParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const initiative = await found(tenant, request.params.id);
        const at = now();
        const [detail, history] = await Promise.all([
          describeInitiative(store, initiative, at),
          store.initiatives.progressHistory(initiative.id),
        ]);
        return {
          tenant: tenant.slug,
          ...detail,
          history: history.map((p) => ({ ...p, remaining: p.inScope - p.met })),
        };
      },
    );

    app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
      '/tenants/:tenant/initiatives/:id',
      { schema: { params: IdParams, body: PatchBody } },
      async (request) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const current = await found(tenant, request.params.id);
        const body = request.body;
        const at = now();
        const next: InitiativeRecord = {
          ...current,
          title: body.title?.trim() ?? current.title,
          owner: body.owner?.trim() ?? current.owner,
          filter: (body.filter as InitiativeFilter | undefined) ?? current.filter,
          target: (body.target as InitiativeTarget | undefined) ?? current.target,
          startDate: body.startDate ?? current.startDate,
          dueDate: body.dueDate ?? current.dueDate,
          status: body.status ?? current.status,
          updatedAt: at,
        };
        checkPlan(next);
        await store.initiatives.update(next);
        // a new filter or target moves the counts now, not at the next posture change
        await recordInitiativeProgress(store, next, at);
        await recordAudit(store, request.principal, {
          action: 'initiative.update',
          tenantId: tenant.id,
          targetType: 'initiative',
          targetId: current.id,
          detail: {
            changed: Object.keys(body).sort(),
            ...(body.status ? { status: body.status } : {}),
          },
        });
        return { tenant: tenant.slug, ...(await describeInitiative(store, next, at)) };
      },
    );

    app.delete<{ Params: Static<typeof IdParams> }>(
      '/tenants/:tenant/initiatives/:id',
      { schema: { params: IdParams } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const current = await found(tenant, request.params.id);
        if (current.status !== 'cancelled') {
          await store.initiatives.update({ ...current, status: 'cancelled', updatedAt: now() });
          await recordAudit(store, request.principal, {
            action: 'initiative.cancel',
            tenantId: tenant.id,
            targetType: 'initiative',
            targetId: current.id,
            detail: { title: current.title },
          });
        }
        return reply.code(204).send();
      },
    );
  };
