// Agents: list a tenant's agents, revoke one, ask one to rotate its secret (API tokens);
// and an agent's own rotation of its secret (agent credentials). The operations are
// exported for the admin command.
//
// Revocation takes effect at once for requests to the collector that revoked it (its
// agent record caches are told); through the admin command (another process) within
// AGENT_RECORD_TTL_MS (60 s). The revoked agent's host and history stay; its next
// requests get 401 agent_revoked, and the machine comes back by enrolling again.
//
// Rotation is two steps, so that no crash can lock an agent out: POST /agent/rotate
// issues a new secret as pending (the old one keeps working); the agent writes it to disk
// atomically, then its first request with it (POST /agent/rotate/confirm, or any report)
// completes the rotation and the old secret stops working. A lost answer or a crash
// before the write leaves the agent with its old secret, still valid; a rotation asked
// again replaces the unused pending secret.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorBody, RotateConfirmResponse, RotateResponse } from '@vcio/shared';
import type { CollectorEvents } from '../events.js';
import { AgentAuthenticator } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { hashSecret, newSecret } from '../security/tokens.js';
import type { AgentRecord, AgentSummary, Store, Tenant } from '../store/types.js';
import { audit, TenantParams, type Actor, type TenancyStore } from './tenants.js';
import { requireAdmin, visibleTenant } from './visibility.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the authenticated agent on the agent's own routes (reports.ts declares `agent`) */
    selfAgent: AgentRecord | null;
  }
}

export const agentView = (a: AgentSummary, tenant: Pick<Tenant, 'slug'>) => ({
  id: a.id,
  tenant: tenant.slug,
  hostId: a.hostId,
  machineId: a.machineId,
  hostname: a.hostname,
  version: a.version,
  enrolledAt: a.createdAt,
  lastSeen: a.lastSeen,
  revokedAt: a.revokedAt,
  rotateRequestedAt: a.rotateRequestedAt,
  secretRotatedAt: a.secretRotatedAt,
  rotationPending: a.rotationPending,
  state: a.revokedAt ? ('revoked' as const) : ('active' as const),
});

/** The live agent `id`, or a 404 that does not say whether it exists revoked. */
async function liveAgent(store: TenancyStore, id: string): Promise<AgentRecord> {
  const agent = await store.access.findAgent(id);
  if (!agent || agent.revokedAt) throw new HttpError(404, 'not_found', `no live agent ${id}`);
  return agent;
}

/** The live agent `id` after `apply` changed it; a 404 as well when it was revoked meanwhile. */
async function changeLiveAgent(
  store: TenancyStore,
  id: string,
  apply: (at: Date) => Promise<boolean>,
): Promise<AgentRecord> {
  const agent = await liveAgent(store, id);
  if (!(await apply(new Date()))) throw new HttpError(404, 'not_found', `no live agent ${id}`);
  return agent;
}

export async function revokeAgent(
  store: TenancyStore,
  who: Actor,
  id: string,
  events?: CollectorEvents,
): Promise<AgentRecord> {
  const agent = await changeLiveAgent(store, id, (at) => store.access.revokeAgent(id, at));
  events?.emit('agent.changed', { agentId: id, tenantId: agent.tenantId, change: 'revoked' });
  await audit(store, who, {
    action: 'agent.revoke',
    tenantId: agent.tenantId,
    targetType: 'agent',
    targetId: id,
    detail: { hostname: agent.hostname, machineId: agent.machineId },
  });
  return agent;
}

/** Flags the agent: its next report's answer tells it to rotate its secret. */
export async function requestAgentRotation(
  store: TenancyStore,
  who: Actor,
  id: string,
  events?: CollectorEvents,
): Promise<AgentRecord> {
  const agent = await changeLiveAgent(store, id, (at) => store.access.requestAgentRotation(id, at));
  events?.emit('agent.changed', {
    agentId: id,
    tenantId: agent.tenantId,
    change: 'rotation_requested',
  });
  await audit(store, who, {
    action: 'agent.rotate_request',
    tenantId: agent.tenantId,
    targetType: 'agent',
    targetId: id,
    detail: { hostname: agent.hostname },
  });
  return (await store.access.findAgent(id))!;
}

const AgentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** The routes for API tokens (registered where requireApiToken applies). */
export const agentRoutes =
  (store: Store, events: CollectorEvents): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: Static<typeof TenantParams> }>(
      '/tenants/:tenant/agents',
      { schema: { params: TenantParams } },
      async (request) => {
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const agents = await store.access.listAgents(tenant.id);
        return { tenant: tenant.slug, agents: agents.map((a) => agentView(a, tenant)) };
      },
    );

    app.delete<{ Params: Static<typeof AgentParams> }>(
      '/agents/:id',
      { schema: { params: AgentParams } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        await revokeAgent(store, { principal: request.principal }, request.params.id, events);
        return reply.code(204).send();
      },
    );

    app.post<{ Params: Static<typeof AgentParams> }>(
      '/agents/:id/rotate',
      { schema: { params: AgentParams } },
      async (request, reply) => {
        requireAdmin(request.principal!);
        const agent = await requestAgentRotation(
          store,
          { principal: request.principal },
          request.params.id,
          events,
        );
        return reply.code(202).send({ id: agent.id, rotateRequestedAt: agent.rotateRequestedAt });
      },
    );
  };

/** The agent's own routes, authenticated by its credentials. */
export const agentSelfRoutes =
  (store: Store, events: CollectorEvents): FastifyPluginAsync =>
  async (app) => {
    const agents = new AgentAuthenticator(store, events);
    app.addHook('onClose', async () => agents.close());
    app.decorateRequest('selfAgent', null);
    // Before the body is read, as for reports: no credentials, no parsing.
    app.addHook('onRequest', async (request) => {
      request.selfAgent = await agents.authenticate(request);
    });

    app.post(
      '/agent/rotate',
      { schema: { response: { 200: RotateResponse, '4xx': ErrorBody } } },
      async (request) => {
        const agent = request.selfAgent!;
        const secret = newSecret();
        if (!(await store.access.beginAgentRotation(agent.id, hashSecret(secret)))) {
          // revoked between authentication and now
          throw new HttpError(401, 'agent_revoked', `agent ${agent.id} was revoked`);
        }
        events.emit('agent.changed', {
          agentId: agent.id,
          tenantId: agent.tenantId,
          change: 'rotation_started',
        });
        await audit(
          store,
          { principal: null, name: `agent ${agent.id}` },
          {
            action: 'agent.rotate',
            tenantId: agent.tenantId,
            targetType: 'agent',
            targetId: agent.id,
            detail: {
              hostname: agent.hostname,
              requested: agent.rotateRequestedAt !== null && agent.rotateRequestedAt !== undefined,
            },
          },
        );
        request.log.info({ agentId: agent.id }, 'agent secret rotation started');
        return { agentId: agent.id, secret };
      },
    );

    // Authentication with the new secret is what completes the rotation (see auth.ts);
    // this route only gives the agent a cheap request to make it happen at once.
    app.post(
      '/agent/rotate/confirm',
      { schema: { response: { 200: RotateConfirmResponse, '4xx': ErrorBody } } },
      async (request) => {
        const agent = request.selfAgent!;
        return { agentId: agent.id, rotationPending: Boolean(agent.pendingSecretHash) };
      },
    );
  };
