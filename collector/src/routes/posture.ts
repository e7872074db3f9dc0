// Posture and lifecycle over the API: a host's assessment, a tenant's score, findings and
// lifecycle, risk acceptances, a host's role and purchase date, a tenant's settings.
// Reading needs any API token in scope; changing needs an admin token.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import {
  findCheck,
  resolvePostureSettings,
  tenantCategoryScores,
  tenantScore,
  type DeepPartialSettings,
} from '@vcio/shared';
import { recordAudit } from '../audit.js';
import { HttpError } from '../http/errors.js';
import type { PostureService } from '../posture/service.js';
import {
  acceptanceView,
  findingView,
  hostPostureView,
  round2,
  tenantLifecycleView,
  topFindingsView,
  trendView,
} from '../posture/views.js';
import type { FindingRecord, Store } from '../store/types.js';
import { requireAdmin, visibleHost, visibleTenant } from './visibility.js';

const DAY = 86_400_000;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 128 }) });
const AcceptanceParams = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 128 }),
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

const TrendQuery = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: 3660, default: 90 }) },
  { additionalProperties: false },
);

const TenantPostureQuery = Type.Object(
  {
    days: Type.Integer({ minimum: 1, maximum: 3660, default: 90 }),
    /** "what changed since the last review": findings opened and resolved since then */
    since: Type.Optional(Type.String({ format: 'date-time' })),
    top: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);

const SeverityName = Type.Union([
  Type.Literal('critical'),
  Type.Literal('high'),
  Type.Literal('medium'),
  Type.Literal('low'),
]);

const FindingsQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')], {
      default: 'open',
    }),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    severity: Type.Optional(SeverityName),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    check: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

const AcceptanceBody = Type.Object(
  {
    checkId: Type.String({ minLength: 1, maxLength: 128 }),
    /** absent or null: every host of the tenant */
    hostId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    reason: Type.String({ minLength: 3, maxLength: 2000 }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

const HostAttributesBody = Type.Object(
  {
    role: Type.Optional(
      Type.Union([Type.Literal('server'), Type.Literal('workstation'), Type.Null()]),
    ),
    purchaseDate: Type.Optional(Type.Union([IsoDate, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Days = Type.Integer({ minimum: 1, maximum: 3650 });
const SettingsBody = Type.Object(
  {
    thresholds: Type.Optional(
      Type.Object(
        {
          securityPendingDays: Type.Optional(Days),
          noInstallDays: Type.Optional(Days),
          rebootPendingDays: Type.Optional(Days),
          signatureMaxAgeDays: Type.Optional(Days),
          maxAdmins: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
          offlineHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 8760 })),
          diskFullRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    serverWeight: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
    replacement: Type.Optional(
      Type.Object(
        {
          workstationYears: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
          serverYears: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
        },
        { additionalProperties: false },
      ),
    ),
    endingSoonDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    extendedSupport: Type.Optional(Type.Boolean()),
    replacementCost: Type.Optional(
      Type.Object(
        {
          workstation: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
          server: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
          currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Acceptances longer than this are refused: an accepted risk must come back for review. */
const MAX_ACCEPTANCE_DAYS = 3 * 365;

/** Host samples listed under each top finding. */
const TOP_FINDING_HOSTS = 20;

/** Who made a change, as the audit trail shows it: the token's name and id, never its secret. */
async function actor(store: Store, tokenId: string): Promise<string> {
  const token = await store.access.findApiToken(tokenId);
  return token ? `${token.name} (${tokenId})` : tokenId;
}

export const postureRoutes =
  (store: Store, posture: PostureService): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof TrendQuery> }>(
      '/hosts/:id/posture',
      { schema: { params: IdParams, querystring: TrendQuery } },
      async (request) => {
        const host = await visibleHost(store, request.principal!, request.params.id);
        const record = await posture.ensureAssessed(host.id);
        if (!record) throw new HttpError(404, 'not_found', `no host ${host.id}`);
        const now = new Date();
        const [open, acceptances, trend] = await Promise.all([
          store.posture.findings({
            tenantId: host.tenantId,
            hostId: host.id,
            status: 'open',
            limit: 1000,
            offset: 0,
          }),
          store.posture.listAcceptances(host.tenantId),
          store.posture.history(
            'host',
            host.id,
            new Date(now.getTime() - request.query.days * DAY),
          ),
        ]);
        return hostPostureView(record, host, open.findings, acceptances, trend);
      },
    );

    app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof HostAttributesBody> }>(
      '/hosts/:id',
      { schema: { params: IdParams, body: HostAttributesBody } },
      async (request) => {
        requireAdmin(request.principal!);
        const host = await visibleHost(store, request.principal!, request.params.id);
        const current = await store.posture.getHostAttributes(host.id);
        const next = {
          role: request.body.role === undefined ? current.role : request.body.role,
          purchaseDate:
            request.body.purchaseDate === undefined
              ? current.purchaseDate
              : request.body.purchaseDate,
        };
        if (
          next.purchaseDate !== null &&
          Number.isNaN(Date.parse(`${next.purchaseDate}T00:00:00Z`))
        ) {
          throw new HttpError(
            400,
            'invalid_request',
            `purchaseDate ${next.purchaseDate} is not a date`,
          );
        }
        await store.posture.setHostAttributes(
          host.id,
          next,
          await actor(store, request.principal!.tokenId),
        );
        await recordAudit(store, request.principal, {
          action: 'host.update',
          tenantId: host.tenantId,
          targetType: 'host',
          targetId: host.id,
          detail: { hostname: host.hostname, ...next },
        });
        posture.queueHost(host.id);
        return { hostId: host.id, ...next };
      },
    );

    app.get<{
      Params: Static<typeof TenantParams>;
      Querystring: Static<typeof TenantPostureQuery>;
    }>(
      '/tenants/:tenant/posture',
      { schema: { params: TenantParams, querystring: TenantPostureQuery } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const now = new Date();
        const settings = resolvePostureSettings(await store.posture.getTenantSettings(tenant.id));
        const hosts = await store.posture.tenantScoreInputs(tenant.id);
        const categories = tenantCategoryScores(hosts, settings.serverWeight);
        const byCheck = await store.posture.openFindingsByCheck(tenant.id);
        const top = byCheck
          .sort(
            (a, b) => b.weight * b.hosts - a.weight * a.hosts || a.checkId.localeCompare(b.checkId),
          )
          .slice(0, request.query.top);
        const samples = new Map<string, FindingRecord[]>();
        for (const row of top) {
          const page = await store.posture.findings({
            tenantId: tenant.id,
            checkId: row.checkId,
            status: 'open',
            limit: TOP_FINDING_HOSTS,
            offset: 0,
          });
          samples.set(row.checkId, page.findings);
        }
        const since = request.query.since ? new Date(request.query.since) : null;
        const changes = since
          ? await Promise.all(
              (['open', 'resolved'] as const).map((status) =>
                store.posture.findings({
                  tenantId: tenant.id,
                  status,
                  since,
                  limit: 1000,
                  offset: 0,
                }),
              ),
            )
          : null;
        const trend = await store.posture.history(
          'tenant',
          tenant.id,
          new Date(now.getTime() - request.query.days * DAY),
        );
        const scored = hosts.filter((h) => h.score !== null);
        return {
          tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
          score: round2(tenantScore(hosts, settings.serverWeight)),
          categories: Object.fromEntries(
            Object.entries(categories).map(([k, v]) => [k, round2(v)]),
          ),
          serverWeight: settings.serverWeight,
          hosts: {
            assessed: hosts.length,
            scored: scored.length,
            servers: hosts.filter((h) => h.role === 'server').length,
            workstations: hosts.filter((h) => h.role === 'workstation').length,
          },
          openFindings: byCheck.reduce((n, row) => n + row.hosts, 0),
          topFindings: topFindingsView(top, samples),
          trend: trendView(trend),
          changes:
            since && changes
              ? {
                  since,
                  opened: changes[0]!.findings.map(findingView),
                  openedTotal: changes[0]!.total,
                  resolved: changes[1]!.findings.map(findingView),
                  resolvedTotal: changes[1]!.total,
                }
              : null,
        };
      },
    );

    app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof FindingsQuery> }>(
      '/tenants/:tenant/findings',
      { schema: { params: TenantParams, querystring: FindingsQuery } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const q = request.query;
        const page = await store.posture.findings({
          tenantId: tenant.id,
          status: q.status,
          since: q.since ? new Date(q.since) : undefined,
          severity: q.severity,
          hostId: q.host,
          checkId: q.check,
          limit: q.limit,
          offset: q.offset,
        });
        return {
          tenant: tenant.slug,
          status: q.status,
          total: page.total,
          limit: q.limit,
          offset: q.offset,
          findings: page.findings.map(findingView),
        };
      },
    );

    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/lifecycle',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const settings = resolvePostureSettings(await store.posture.getTenantSettings(tenant.id));
        const postures = await store.posture.listHostPostures(tenant.id);
        const names = new Map<string, string>();
        for (let offset = 0; ; offset += 1000) {
          const page = await store.hosts.listHosts({ tenantId: tenant.id, limit: 1000, offset });
          for (const h of page.hosts) names.set(h.id, h.hostname);
          if (offset + 1000 >= page.total) break;
        }
        return {
          tenant: tenant.slug,
          data: posture.lifecycleSource(),
          endingSoonDays: settings.endingSoonDays,
          extendedSupport: settings.extendedSupport,
          ...tenantLifecycleView(
            postures.map((p) => ({ ...p, hostname: names.get(p.hostId) ?? p.hostId })),
            settings,
            new Date(),
          ),
        };
      },
    );

    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/acceptances',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const now = new Date();
        const list = await store.posture.listAcceptances(tenant.id);
        return { tenant: tenant.slug, acceptances: list.map((a) => acceptanceView(a, now)) };
      },
    );

    app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof AcceptanceBody> }>(
      '/tenants/:tenant/acceptances',
      { schema: { params: TenantParams, body: AcceptanceBody } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const body = request.body;
        if (!findCheck(body.checkId)) {
          throw new HttpError(400, 'unknown_check', `no check ${body.checkId} in the catalog`);
        }
        const hostId = body.hostId ?? null;
        if (hostId !== null) {
          const host = await store.hosts.getHost(hostId);
          if (!host || host.tenantId !== tenant.id) {
            throw new HttpError(400, 'unknown_host', `no host ${hostId} in tenant ${tenant.slug}`);
          }
        }
        const now = new Date();
        const expiresAt = new Date(body.expiresAt);
        if (expiresAt <= now) {
          throw new HttpError(400, 'invalid_expiry', 'expiresAt must be in the future');
        }
        if (expiresAt.getTime() - now.getTime() > MAX_ACCEPTANCE_DAYS * DAY) {
          throw new HttpError(
            400,
            'invalid_expiry',
            `an acceptance may last at most ${MAX_ACCEPTANCE_DAYS} days: accepted risks come back for review`,
          );
        }
        const acceptance = {
          id: randomUUID(),
          tenantId: tenant.id,
          hostId,
          checkId: body.checkId,
          reason: body.reason,
          acceptedBy: await actor(store, request.principal!.tokenId),
          createdAt: now,
          expiresAt,
          revokedAt: null,
          revokedBy: null,
        };
        await store.posture.addAcceptance(acceptance);
        await recordAudit(store, request.principal, {
          action: 'acceptance.create',
          tenantId: tenant.id,
          targetType: 'acceptance',
          targetId: acceptance.id,
          detail: { checkId: body.checkId, hostId, reason: body.reason, expiresAt },
        });
        if (hostId) posture.queueHost(hostId);
        else await posture.queueTenant(tenant.id);
        return reply.code(201).send(acceptanceView(acceptance, now));
      },
    );

    app.delete<{ Params: Static<typeof AcceptanceParams> }>(
      '/tenants/:tenant/acceptances/:id',
      { schema: { params: AcceptanceParams } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const revoked = await store.posture.revokeAcceptance(
          tenant.id,
          request.params.id,
          await actor(store, request.principal!.tokenId),
          new Date(),
        );
        if (!revoked) {
          throw new HttpError(404, 'not_found', `no live acceptance ${request.params.id}`);
        }
        await recordAudit(store, request.principal, {
          action: 'acceptance.revoke',
          tenantId: tenant.id,
          targetType: 'acceptance',
          targetId: request.params.id,
        });
        await posture.queueTenant(tenant.id);
        return reply.code(204).send();
      },
    );

    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/posture/settings',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const overrides = await store.posture.getTenantSettings(tenant.id);
        return { tenant: tenant.slug, overrides, effective: resolvePostureSettings(overrides) };
      },
    );

    app.put<{ Params: Static<typeof TenantParams>; Body: Static<typeof SettingsBody> }>(
      '/tenants/:tenant/posture/settings',
      { schema: { params: TenantParams, body: SettingsBody } },
      async (request) => {
        requireAdmin(request.principal!);
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const overrides = request.body as DeepPartialSettings;
        await store.posture.setTenantSettings(
          tenant.id,
          overrides,
          await actor(store, request.principal!.tokenId),
        );
        await recordAudit(store, request.principal, {
          action: 'posture_settings.update',
          tenantId: tenant.id,
          targetType: 'tenant',
          targetId: tenant.id,
          detail: { overrides },
        });
        await posture.queueTenant(tenant.id);
        return { tenant: tenant.slug, overrides, effective: resolvePostureSettings(overrides) };
      },
    );
  };
