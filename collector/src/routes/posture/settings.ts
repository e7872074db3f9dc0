// A tenant's posture settings: its overrides of the defaults (thresholds, server weight,
// replacement ages and costs, lifecycle warnings) and the settings in effect.
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { resolvePostureSettings, type DeepPartialSettings } from '@vcio/shared';
import { recordAudit } from '../../audit.js';
import type { PostureService } from '../../posture/service.js';
import type { Store } from '../../store/types.js';
import { requireAdmin, visibleTenant } from '../visibility.js';
import { actor } from './actor.js';
import { SettingsBody, TenantParams } from './schemas.js';

export const postureSettingsRoutes =
  (store: Store, posture: PostureService): FastifyPluginAsync =>
  async (app) => {
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
