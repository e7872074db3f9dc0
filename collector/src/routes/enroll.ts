// POST /api/v1/enroll: an agent trades its tenant's enrollment token for its own
// credentials. The secret is returned once and only its hash is kept.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { EnrollRequest, EnrollResponse, ErrorBody } from '@vcio/shared';
import { enrollmentLimitHooks } from '../http/auth-limits.js';
import { HttpError } from '../http/errors.js';
import { strictBodyCompiler } from '../http/validation.js';
import { hashSecret, newSecret, secretMatches, splitCredential } from '../security/tokens.js';
import type { CollectorEvents } from '../events.js';
import type { Store } from '../store/types.js';

const rejected = (why: string) => new HttpError(401, 'invalid_token', `enrollment refused: ${why}`);

export const enrollRoutes =
  (store: Store, events: CollectorEvents): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: EnrollRequest }>(
      '/enroll',
      {
        schema: {
          body: EnrollRequest,
          response: { 201: EnrollResponse, '4xx': ErrorBody },
        },
        validatorCompiler: strictBodyCompiler,
        ...enrollmentLimitHooks(),
      },
      async (request, reply) => {
        const { token, machineId, hostname, agentVersion } = request.body;
        const presented = splitCredential(token);
        const record = presented ? await store.access.findEnrollmentToken(presented.id) : null;
        if (!presented || !secretMatches(presented.secret, record?.secretHash ?? null) || !record) {
          throw rejected('the enrollment token is not valid');
        }
        if (record.revokedAt) throw rejected('the enrollment token was revoked');
        if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) {
          throw rejected('the enrollment token has expired');
        }
        const tenant = await store.tenants.getTenant(record.tenantId);
        if (!tenant) throw rejected('the token belongs to no tenant');
        if (tenant.archivedAt) throw rejected(`tenant ${tenant.slug} is archived`);

        const secret = newSecret();
        const agentId = randomUUID();
        const outcome = await store.access.enrollAgent(record.id, {
          id: agentId,
          tenantId: record.tenantId,
          secretHash: hashSecret(secret),
          enrollmentTokenId: record.id,
          machineId,
          hostname,
          version: agentVersion,
          createdAt: new Date(),
          revokedAt: null,
        });
        if (outcome === 'exhausted') throw rejected('the enrollment token has no uses left');
        request.log.info({ agentId, tenant: tenant.slug, hostname }, 'agent enrolled');
        events.emit('agent.enrolled', { tenantId: record.tenantId, agentId, hostname, machineId });
        return reply.code(201).send({ agentId, secret, tenant: tenant.slug });
      },
    );
  };
