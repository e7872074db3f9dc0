// Risk acceptances: a check accepted as not met, for one host or the whole tenant, until
// a date (listing, accepting, revoking). Each change re-assesses what it covers.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { findCheck } from '@vcio/shared';
import { recordAudit } from '../../audit.js';
import { HttpError } from '../../http/errors.js';
import type { PostureService } from '../../posture/service.js';
import { acceptanceView } from '../../posture/views.js';
import type { Store } from '../../store/types.js';
import { requireAdmin, visibleTenant } from '../visibility.js';
import { actor } from './actor.js';
import { AcceptanceBody, AcceptanceParams, DAY, TenantParams } from './schemas.js';

/** Acceptances longer than this are refused: an accepted risk must come back for review. */
const MAX_ACCEPTANCE_DAYS = 3 * 365;

export const acceptanceRoutes =
  (store: Store, posture: PostureService): FastifyPluginAsync =>
  async (app) => {
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
  };
