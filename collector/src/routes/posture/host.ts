// A host's posture (its assessment, findings, acceptances that apply and trend) and the
// attributes an admin sets on a host that the assessment uses: its role and purchase date.
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { recordAudit } from '../../audit.js';
import { HttpError } from '../../http/errors.js';
import type { PostureService } from '../../posture/service.js';
import { hostPostureView } from '../../posture/views.js';
import type { Store } from '../../store/types.js';
import { requireAdmin, visibleHost } from '../visibility.js';
import { actor } from './actor.js';
import { DAY, HostAttributesBody, IdParams, TrendQuery } from './schemas.js';

export const hostPostureRoutes =
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
  };
