// A tenant's posture: its score, categories and top findings (with what changed since a
// date), its findings page by page, and the lifecycle of its hosts.
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { resolvePostureSettings, tenantCategoryScores, tenantScore } from '@vcio/shared';
import type { PostureService } from '../../posture/service.js';
import {
  findingView,
  round2,
  tenantLifecycleView,
  topFindingsView,
  trendView,
} from '../../posture/views.js';
import type { FindingRecord, Store } from '../../store/types.js';
import { visibleTenant } from '../visibility.js';
import { DAY, FindingsQuery, TenantParams, TenantPostureQuery } from './schemas.js';

/** Host samples listed under each top finding. */
const TOP_FINDING_HOSTS = 20;

export const tenantPostureRoutes =
  (store: Store, posture: PostureService): FastifyPluginAsync =>
  async (app) => {
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
  };
