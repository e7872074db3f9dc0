// Agents: listing, revocation, secret rotation (its crash windows), and a report speaking
// only for the machine its agent enrolled as.
import t from 'tap';
import { sampleReport } from '@vcio/shared/testing';
import { agentAuthorization } from '@vcio/shared';
import { AgentAuthenticator } from '../src/http/auth.js';
import { readOnlyToken, testCollector, type TestCollector } from './helpers.js';
import { send, type Agent } from './sections.js';

const reportOf = (agent: Agent, machineId: string, hostname = `host-${machineId}`) =>
  sampleReport({ agentId: agent.agentId, machineId, hostname, sections: ['system'] });

const rotate = (c: TestCollector, authorization: string) =>
  c.app.inject({
    method: 'POST',
    url: '/api/v1/agent/rotate',
    headers: { authorization },
    payload: {},
  });

const confirm = (c: TestCollector, authorization: string) =>
  c.app.inject({
    method: 'POST',
    url: '/api/v1/agent/rotate/confirm',
    headers: { authorization },
    payload: {},
  });

async function auditActions(c: TestCollector, action: string) {
  const res = await c.app.inject({
    method: 'GET',
    url: `/api/v1/audit?action=${action}`,
    headers: c.admin,
  });
  return res.json<{ entries: { actor: { name: string }; targetId: string }[] }>().entries;
}

t.test('a tenant lists its agents, never their secrets', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-list');
  t.equal((await send(c, agent, reportOf(agent, 'm-list'))).statusCode, 202);
  const other = await c.enroll('m-silent');
  const slug = c.secrets.tenant.slug;
  const res = await c.app.inject({
    method: 'GET',
    url: `/api/v1/tenants/${slug}/agents`,
    headers: { authorization: `Bearer ${await readOnlyToken(c, c.secrets.tenant.id)}` },
  });
  t.equal(res.statusCode, 200, 'the tenant read token may list');
  const body = res.json<{ tenant: string; agents: Record<string, unknown>[] }>();
  t.equal(body.tenant, slug);
  t.equal(body.agents.length, 2);
  const listed = body.agents.find((a) => a.id === agent.agentId)!;
  t.match(listed, {
    machineId: 'm-list',
    hostname: 'host-m-list',
    version: '0.1.0',
    state: 'active',
    revokedAt: null,
    rotationPending: false,
  });
  t.type(listed.hostId, 'string', 'the host it reports');
  t.type(listed.lastSeen, 'string');
  t.type(listed.enrolledAt, 'string');
  t.match(
    body.agents.find((a) => a.id === other.agentId),
    { hostId: null, lastSeen: null },
  );
  t.notOk(
    Object.keys(listed).some((k) => /^(secret|secretHash|pendingSecretHash)$|hash/i.test(k)),
    'no secret field',
  );
  t.notOk(res.body.includes(agent.secret), 'no secret value');
});

t.test('a revoked agent is refused at once, with a clear 401; its host stays', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-revoke');
  t.equal((await send(c, agent, reportOf(agent, 'm-revoke'))).statusCode, 202, 'cached now');

  const reader = `Bearer ${await readOnlyToken(c, c.secrets.tenant.id)}`;
  const byReader = await c.app.inject({
    method: 'DELETE',
    url: `/api/v1/agents/${agent.agentId}`,
    headers: { authorization: reader },
  });
  t.equal(byReader.statusCode, 403, 'a read token may not revoke');

  const revoked = await c.app.inject({
    method: 'DELETE',
    url: `/api/v1/agents/${agent.agentId}`,
    headers: c.admin,
  });
  t.equal(revoked.statusCode, 204);
  const again = await c.app.inject({
    method: 'DELETE',
    url: `/api/v1/agents/${agent.agentId}`,
    headers: c.admin,
  });
  t.equal(again.statusCode, 404, 'no live agent left to revoke');

  // The record was cached by the first report: the revocation must reach the cache.
  const refused = await send(c, agent, reportOf(agent, 'm-revoke'));
  t.equal(refused.statusCode, 401);
  t.match(refused.json(), { error: 'agent_revoked', message: /revoked.*enroll .*again/ });
  t.equal((await rotate(c, agent.authorization)).statusCode, 401, 'nor may it rotate');

  const hosts = await c.app.inject({ method: 'GET', url: '/api/v1/hosts', headers: c.admin });
  t.equal(hosts.json<{ total: number }>().total, 1, 'its host and history stay');
  const list = await c.app.inject({
    method: 'GET',
    url: `/api/v1/tenants/${c.secrets.tenant.slug}/agents`,
    headers: c.admin,
  });
  t.match(list.json(), { agents: [{ id: agent.agentId, state: 'revoked' }] });
  const audited = await auditActions(c, 'agent.revoke');
  t.equal(audited.length, 1);
  t.equal(audited[0]!.targetId, agent.agentId);
  t.equal(audited[0]!.actor.name, 'bootstrap admin token', 'the admin token is the actor');

  // The same machine enrolls again and reports to the same host.
  const back = await c.enroll('m-revoke');
  t.equal((await send(c, back, reportOf(back, 'm-revoke'))).statusCode, 202);
});

t.test('rotation: the old secret works until the new one is used, then never', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-rotate');
  const old = agent.authorization;
  t.equal((await send(c, agent, reportOf(agent, 'm-rotate'))).statusCode, 202);

  const first = await rotate(c, old);
  t.equal(first.statusCode, 200);
  const { agentId, secret } = first.json<{ agentId: string; secret: string }>();
  t.equal(agentId, agent.agentId);
  t.not(secret, agent.secret);

  // Crash window 1: the answer was lost (or the agent died before writing it). The old
  // secret still works, and rotating again replaces the unused pending secret.
  t.equal((await send(c, agent, reportOf(agent, 'm-rotate'))).statusCode, 202, 'old still works');
  const second = await rotate(c, old);
  t.equal(second.statusCode, 200);
  const lost = agentAuthorization(agentId, secret);
  const fresh = agentAuthorization(agentId, second.json<{ secret: string }>().secret);
  t.equal((await confirm(c, lost)).statusCode, 401, 'the replaced pending secret is dead');
  const pending = await confirm(c, old);
  t.equal(pending.statusCode, 200);
  t.same(pending.json(), { agentId, rotationPending: true }, 'the old secret says: still pending');

  // Crash window 2: the agent wrote the new secret and died before confirming; its next
  // request (here a report) completes the rotation.
  const withNew = await send(c, { ...agent, authorization: fresh }, reportOf(agent, 'm-rotate'));
  t.equal(withNew.statusCode, 202, 'a report with the new secret is accepted');
  t.equal((await send(c, agent, reportOf(agent, 'm-rotate'))).statusCode, 401, 'old now refused');
  t.same((await confirm(c, fresh)).json(), { agentId, rotationPending: false });

  const started = await auditActions(c, 'agent.rotate');
  t.equal(started.length, 2);
  t.equal(started[0]!.actor.name, `agent ${agentId}`, 'the agent is the actor');
  t.equal((await auditActions(c, 'agent.rotate_complete')).length, 1);
  const list = await c.app.inject({
    method: 'GET',
    url: `/api/v1/tenants/${c.secrets.tenant.slug}/agents`,
    headers: c.admin,
  });
  t.match(list.json(), { agents: [{ rotationPending: false, secretRotatedAt: String }] });
});

t.test('two requests with the new secret at once both pass', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-race');
  const secret = (await rotate(c, agent.authorization)).json<{ secret: string }>().secret;
  const fresh = agentAuthorization(agent.agentId, secret);
  const answers = await Promise.all([confirm(c, fresh), confirm(c, fresh), confirm(c, fresh)]);
  t.same(
    answers.map((a) => a.statusCode),
    [200, 200, 200],
  );
  t.equal((await auditActions(c, 'agent.rotate_complete')).length, 1, 'completed once');
});

t.test('an admin asks an agent to rotate; the ingest answer tells it', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-ask');
  const before = await send(c, agent, reportOf(agent, 'm-ask'));
  t.equal(before.json<{ rotateSecret?: boolean }>().rotateSecret, undefined, 'nothing asked');

  const asked = await c.app.inject({
    method: 'POST',
    url: `/api/v1/agents/${agent.agentId}/rotate`,
    headers: c.admin,
  });
  t.equal(asked.statusCode, 202);
  t.match(asked.json(), { id: agent.agentId, rotateRequestedAt: String });
  const answer = await send(c, agent, reportOf(agent, 'm-ask'));
  t.equal(answer.json<{ rotateSecret?: boolean }>().rotateSecret, true, 'told to rotate');

  const secret = (await rotate(c, agent.authorization)).json<{ secret: string }>().secret;
  const fresh = { ...agent, authorization: agentAuthorization(agent.agentId, secret) };
  const after = await send(c, fresh, reportOf(agent, 'm-ask'));
  t.equal(after.statusCode, 202);
  t.equal(after.json<{ rotateSecret?: boolean }>().rotateSecret, undefined, 'request cleared');
  const requested = await auditActions(c, 'agent.rotate_request');
  t.equal(requested[0]!.actor.name, 'bootstrap admin token');
});

t.test('a report speaks only for the machine its agent enrolled as', async (t) => {
  const c = await testCollector(t);
  const original = await c.enroll('m-original');
  t.equal((await send(c, original, reportOf(original, 'm-original'))).statusCode, 202);
  const rejected: string[] = [];
  c.events.on('report.rejected', (e) => rejected.push(e.reason));

  // A clone carries the original's credentials but reads its own machine id.
  const clone = await send(c, original, reportOf(original, 'm-clone', 'clone-host'));
  t.equal(clone.statusCode, 403);
  t.match(clone.json(), {
    error: 'machine_mismatch',
    message: /enrolled for another machine.*re-enroll this machine/,
  });
  t.same(rejected, ['machine_mismatch'], 'counted as a rejected report');
  const hosts = await c.app.inject({ method: 'GET', url: '/api/v1/hosts', headers: c.admin });
  t.equal(hosts.json<{ total: number }>().total, 1, 'the clone wrote no host');
  t.notOk(hosts.body.includes('clone-host'));

  // Enrolled on its own, the clone reports as itself.
  const own = await c.enroll('m-clone');
  t.equal((await send(c, own, reportOf(own, 'm-clone', 'clone-host'))).statusCode, 202);
});

t.test('a secret changed by another process is not refused for the cache TTL', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-elsewhere');
  const auth = new AgentAuthenticator(c.store, c.events, { ttlMs: 3_600_000 });
  t.teardown(() => auth.close());
  const request = (authorization: string) =>
    ({
      headers: { authorization },
      ip: '127.0.0.1',
      server: c.app,
      log: c.app.log,
    }) as never;
  t.equal((await auth.authenticate(request(agent.authorization))).id, agent.agentId);
  // Another collector process (no event reaches this one) rotates and completes.
  const { hashSecret, newSecret } = await import('../src/security/tokens.js');
  const secret = newSecret();
  await c.store.access.beginAgentRotation(agent.agentId, hashSecret(secret));
  await c.store.access.completeAgentRotation(agent.agentId, hashSecret(secret), new Date());
  const fresh = agentAuthorization(agent.agentId, secret);
  t.equal((await auth.authenticate(request(fresh))).id, agent.agentId, 'new secret accepted');
  const refused = await auth.authenticate(request(agent.authorization)).catch((e: unknown) => e);
  t.match(refused, { statusCode: 401 }, 'the old secret is refused');
});
