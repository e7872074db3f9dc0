// Tenant isolation as a matrix: every route the collector registers × every kind of
// caller (no token, a wrong secret, a malformed header, an agent's credentials, tenant A's
// read token, tenant B's read token, the admin) → the allowed answers only, and no
// answer given to one tenant's token names the other tenant's ids or hostnames.
//
// The table below is explicit on purpose. A route the collector registers that is not in
// it fails the test: a new route cannot ship without someone deciding who may call it.
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { CHECKS } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../src/security/tokens.js';
import { enrollIn, readOnlyToken, testCollector, type TestCollector } from './helpers.js';
import {
  dpkg,
  patchSource,
  patches,
  pending,
  reportWith,
  security,
  send,
  software,
} from './sections.js';

/**
 * Who may call a route:
 * - public: anyone (health, console files, /metrics without --metrics-auth)
 * - download: anyone, no credentials; 404 for a file not served (this collector serves none)
 * - upgrade: the live feed's plain-HTTP answer, 426 for anyone (its auth: fuzz-live)
 * - enroll: authenticated by the enrollment token in the body, not by a header
 * - agent-write: an agent's own credentials only
 * - agent-self: an agent's own credentials, acting on that agent only (its secret rotation)
 * - read: any API token, within its tenant
 * - admin-write: an admin token only
 */
type Access =
  | 'public'
  | 'download'
  | 'upgrade'
  | 'enroll'
  | 'agent-write'
  | 'agent-self'
  | 'read'
  | 'admin-write';

interface RouteRule {
  access: Access;
  /** query string for a request that would succeed */
  query?: string;
  /** body for a request that would succeed (targets: the tenant and host of the caller) */
  body?: (target: Party) => unknown;
  /** false: answers about every tenant by design (not checked for cross-tenant names) */
  tenantScoped?: false;
}

const ACCESS_TABLE: Record<string, RouteRule> = {
  'GET /healthz': { access: 'public' },
  // Prometheus's scrape target: every tenant's per-host series, for whoever may scrape
  // (--metrics-auth protects it; without it, the network must).
  'GET /metrics': { access: 'public', tenantScoped: false },
  'GET /': { access: 'public' },
  'GET /console/app.js': { access: 'public' },
  'GET /console/technology.js': { access: 'public' },
  'GET /console/deploy.js': { access: 'public' },
  'GET /console/state.js': { access: 'public' },
  'GET /console/api.js': { access: 'public' },
  'GET /console/dom.js': { access: 'public' },
  'GET /console/format.js': { access: 'public' },
  'GET /console/views.js': { access: 'public' },
  'GET /console/session.js': { access: 'public' },
  'GET /console/live.js': { access: 'public' },
  'GET /console/tenant-scores.js': { access: 'public' },
  'GET /console/hosts.js': { access: 'public' },
  'GET /console/sites.js': { access: 'public' },
  'GET /console/host-view.js': { access: 'public' },
  'GET /console/host-posture.js': { access: 'public' },
  'GET /console/host-chart.js': { access: 'public' },
  'GET /downloads/agent/SHA256SUMS': { access: 'download' },
  'GET /downloads/agent/:file': { access: 'download' },
  'GET /api/v1/tenants/:tenant/install-commands': { access: 'read' },
  'POST /api/v1/tenants/:tenant/install-commands': { access: 'admin-write', body: () => ({}) },
  'GET /console/style.css': { access: 'public' },
  'GET /console/vendor/uPlot.esm.js': { access: 'public' },
  'GET /console/vendor/uPlot.min.css': { access: 'public' },
  'GET /api/v1/live': { access: 'upgrade' },
  'POST /api/v1/enroll': { access: 'enroll' },
  'POST /api/v1/reports': { access: 'agent-write' },
  'GET /api/v1/hosts': { access: 'read' },
  'GET /api/v1/hosts/:id': { access: 'read' },
  'GET /api/v1/hosts/:id/performance': { access: 'read' },
  'GET /api/v1/software': { access: 'read', query: 'name=openssl' },
  'GET /api/v1/updates': { access: 'read' },
  'GET /api/v1/tenants': { access: 'read' },
  'GET /api/v1/hosts/:id/posture': { access: 'read' },
  'PATCH /api/v1/hosts/:id': { access: 'admin-write', body: () => ({ role: 'server' }) },
  'GET /api/v1/tenants/:tenant/posture': { access: 'read' },
  'GET /api/v1/tenants/:tenant/findings': { access: 'read', query: 'status=all' },
  'GET /api/v1/tenants/:tenant/lifecycle': { access: 'read' },
  'GET /api/v1/tenants/:tenant/acceptances': { access: 'read' },
  'GET /api/v1/tenants/:tenant/report': { access: 'read' },
  'GET /api/v1/reports/portfolio': { access: 'read' },
  'POST /api/v1/tenants/:tenant/acceptances': {
    access: 'admin-write',
    body: () => ({
      checkId: CHECKS[0]!.id,
      reason: 'accepted in the isolation matrix',
      expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    }),
  },
  'DELETE /api/v1/tenants/:tenant/acceptances/:id': { access: 'admin-write' },
  'GET /api/v1/tenants/:tenant/posture/settings': { access: 'read' },
  'PUT /api/v1/tenants/:tenant/posture/settings': {
    access: 'admin-write',
    body: () => ({ serverWeight: 3 }),
  },
  'GET /api/v1/tenants/:tenant/technology': { access: 'read' },
  'GET /api/v1/tenants/:tenant/initiatives': { access: 'read' },
  'POST /api/v1/tenants/:tenant/initiatives': {
    access: 'admin-write',
    body: () => ({
      title: 'Initiative of the isolation matrix',
      owner: 'matrix',
      target: { type: 'lifecycle', os: 'not_end_of_life' },
      dueDate: '2030-01-01',
    }),
  },
  'GET /api/v1/tenants/:tenant/initiatives/:id': { access: 'read' },
  'PATCH /api/v1/tenants/:tenant/initiatives/:id': {
    access: 'admin-write',
    body: () => ({ owner: 'renamed in the isolation matrix' }),
  },
  'DELETE /api/v1/tenants/:tenant/initiatives/:id': { access: 'admin-write' },
  'GET /api/v1/tenants/:tenant/initiatives/suggestions': { access: 'read' },
  'POST /api/v1/tenants/:tenant/initiatives/suggestions/:key/adopt': {
    access: 'admin-write',
    body: () => ({}),
  },
  'GET /api/v1/tenants/:tenant': { access: 'read' },
  'POST /api/v1/tenants': {
    access: 'admin-write',
    body: () => ({ slug: 'matrix-new', name: 'Matrix' }),
  },
  'PATCH /api/v1/tenants/:tenant': {
    access: 'admin-write',
    body: (p) => ({ name: p.tenant.name }),
  },
  'POST /api/v1/tenants/:tenant/archive': { access: 'admin-write' },
  'POST /api/v1/tenants/:tenant/unarchive': { access: 'admin-write' },
  'GET /api/v1/tenants/:tenant/sites': { access: 'read' },
  'POST /api/v1/tenants/:tenant/sites': {
    access: 'admin-write',
    body: () => ({ slug: 'branch', name: 'Branch' }),
  },
  'PATCH /api/v1/tenants/:tenant/sites/:site': {
    access: 'admin-write',
    body: () => ({ name: 'Main office' }),
  },
  'PUT /api/v1/hosts/:id/site': { access: 'admin-write', body: (p) => ({ site: p.siteSlug }) },
  'GET /api/v1/tenants/:tenant/enrollment-tokens': { access: 'read' },
  'POST /api/v1/tenants/:tenant/enrollment-tokens': {
    access: 'admin-write',
    body: () => ({ name: 'matrix' }),
  },
  'DELETE /api/v1/tenants/:tenant/enrollment-tokens/:id': { access: 'admin-write' },
  // every tenant's tokens: for admin tokens only
  'GET /api/v1/api-tokens': { access: 'admin-write', tenantScoped: false },
  'POST /api/v1/api-tokens': {
    access: 'admin-write',
    body: (p) => ({ name: 'matrix', role: 'read', tenant: p.tenant.slug }),
  },
  'DELETE /api/v1/api-tokens/:id': { access: 'admin-write' },
  'GET /api/v1/tenants/:tenant/agents': { access: 'read' },
  'DELETE /api/v1/agents/:id': { access: 'admin-write' },
  'POST /api/v1/agents/:id/rotate': { access: 'admin-write' },
  // no :id: an agent can only ever rotate the agent its credentials belong to
  'POST /api/v1/agent/rotate': { access: 'agent-self' },
  'POST /api/v1/agent/rotate/confirm': { access: 'agent-self' },
  'GET /api/v1/audit': { access: 'read' },
};

/** List routes that take ?tenant=<id or slug> */
const TENANT_QUERY_ROUTES = ['/api/v1/hosts', '/api/v1/software', '/api/v1/updates'];

/** One tenant's world: its tenant, an agent, a host, an acceptance, a read token. */
interface Party {
  name: 'A' | 'B';
  tenant: { id: string; slug: string; name: string };
  agent: Awaited<ReturnType<typeof enrollIn>>;
  machineId: string;
  hostname: string;
  hostId: string;
  acceptanceId: string;
  initiativeId: string;
  /** a suggestion the tenant's findings give (the admin adopts it once) */
  suggestionKey: string;
  readToken: string;
  /** a site, an enrollment token and a spare read token of the tenant (the :site and :id routes) */
  siteSlug: string;
  enrollmentTokenId: string;
  spareApiTokenId: string;
  /** an agent of the tenant to revoke (the party's own agent keeps reporting) */
  spareAgentId: string;
}

type CallerName =
  'no token' | 'wrong secret' | 'malformed' | 'agent A' | 'read A' | 'read B' | 'admin';

interface Caller {
  name: CallerName;
  authorization?: string;
  /** the party whose data this caller may see; null: none, 'all': every tenant */
  sees: Party | null | 'all';
  kind: 'anonymous' | 'agent' | 'read' | 'admin';
}

/** Answers allowed for `rule` when `caller` asks about `target`'s data (null: no target). */
function allowed(rule: RouteRule, caller: Caller, target: Party | null): number[] {
  switch (rule.access) {
    case 'public':
      return [200];
    case 'download':
      return [200, 404];
    case 'upgrade':
      return [426];
    case 'enroll':
      return [401]; // the body carries a wrong enrollment token; headers do not matter
    case 'agent-write':
      return caller.kind === 'agent' ? [202] : [401];
    case 'agent-self':
      return caller.kind === 'agent' ? [200] : [401];
    case 'read':
    case 'admin-write': {
      if (caller.kind === 'anonymous' || caller.kind === 'agent') return [401];
      const ownTarget = caller.sees === 'all' || target === null || caller.sees === target;
      if (rule.access === 'admin-write' && caller.kind !== 'admin') {
        return ownTarget ? [403] : [403, 404];
      }
      const success = rule.access === 'read' ? [200] : [200, 201, 202, 204];
      // another tenant's host or tenant is "not found" (no probing of ids); asking a list
      // route for another tenant is a 403
      return ownTarget ? success : [403, 404];
    }
  }
}

/** What identifies a party in an answer: nothing of it may reach the other party. */
function identifiers(p: Party): string[] {
  return [
    p.tenant.id,
    p.tenant.slug,
    p.tenant.name,
    p.agent.agentId,
    p.machineId,
    p.hostname,
    p.hostId,
  ];
}

async function party(c: TestCollector, name: 'A' | 'B'): Promise<Party> {
  const lower = name.toLowerCase();
  const tenant = {
    id: `tenant-${lower}-${newSecret().slice(0, 8)}`,
    slug: `acme-${lower}-corp`,
    name: `Acme ${name} Corporation`,
  };
  await c.store.tenants.createTenant({ ...tenant, createdAt: new Date() });
  const machineId = `machine-${lower}-7f3e`;
  const hostname = `ws-${lower}-finance-01`;
  const agent = await enrollIn(c, tenant.id, machineId);
  const report = reportWith(
    agent,
    machineId,
    {
      system: sampleReport({ sections: ['system'], hostname }).sections.system,
      performance: sampleReport().sections.performance,
      patches: patches([
        patchSource('apt', [pending('openssl', '3.0.11-1', '3.0.13-1', { security: true })]),
      ]),
      security: security(),
      software: software([dpkg('openssl', '3.0.11-1~deb12u2')]),
    },
    { hostname },
  );
  const stored = await send(c, agent, report);
  if (stored.statusCode !== 202) throw new Error(`report for ${name}: ${stored.body}`);
  const hosts = await c.app.inject({
    method: 'GET',
    url: `/api/v1/hosts?tenant=${tenant.slug}`,
    headers: c.admin,
  });
  const hostId = hosts.json<{ hosts: { id: string }[] }>().hosts[0]!.id;
  const accepted = await c.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenant.slug}/acceptances`,
    headers: c.admin,
    payload: ACCESS_TABLE['POST /api/v1/tenants/:tenant/acceptances']!.body!(
      null as never,
    ) as object,
  });
  if (accepted.statusCode !== 201) throw new Error(`acceptance for ${name}: ${accepted.body}`);
  const initiative = await c.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenant.slug}/initiatives`,
    headers: c.admin,
    payload: ACCESS_TABLE['POST /api/v1/tenants/:tenant/initiatives']!.body!(
      null as never,
    ) as object,
  });
  if (initiative.statusCode !== 201) throw new Error(`initiative for ${name}: ${initiative.body}`);
  await c.app.posture.idle();
  const suggestions = await c.app.inject({
    method: 'GET',
    url: `/api/v1/tenants/${tenant.slug}/initiatives/suggestions`,
    headers: c.admin,
  });
  const suggestionKey = suggestions.json<{ suggestions: { key: string }[] }>().suggestions[0]?.key;
  if (!suggestionKey) throw new Error(`no initiative suggestion for ${name}: ${suggestions.body}`);
  return {
    name,
    tenant,
    agent,
    machineId,
    hostname,
    hostId,
    acceptanceId: accepted.json<{ id: string }>().id,
    initiativeId: initiative.json<{ id: string }>().id,
    suggestionKey,
    readToken: await readOnlyToken(c, tenant.id),
    ...(await tenancyTargets(c, tenant.id, lower)),
  };
}

/** What the tenancy routes act on: a site, an enrollment token, a read token to revoke. */
async function tenancyTargets(c: TestCollector, tenantId: string, lower: string) {
  const now = new Date();
  await c.store.tenants.createSite({
    id: `site-${lower}-${newSecret().slice(0, 8)}`,
    tenantId,
    slug: 'main',
    name: 'Main',
    createdAt: now,
    archivedAt: null,
  });
  const enrollmentTokenId = newTokenId('et');
  await c.store.access.insertEnrollmentToken({
    id: enrollmentTokenId,
    tenantId,
    name: 'matrix',
    secretHash: hashSecret(newSecret()),
    createdAt: now,
    expiresAt: null,
    maxUses: null,
    uses: 0,
    revokedAt: null,
  });
  const spareApiTokenId = newTokenId('at');
  await c.store.access.insertApiToken({
    id: spareApiTokenId,
    tenantId,
    role: 'read',
    name: 'matrix spare',
    secretHash: hashSecret(newSecret()),
    createdAt: now,
    revokedAt: null,
  });
  const spareAgentId = `00000000-0000-4000-8000-${newSecret().slice(0, 12).toLowerCase()}`;
  await c.store.access.enrollAgent(enrollmentTokenId, {
    id: spareAgentId,
    tenantId,
    secretHash: hashSecret(newSecret()),
    enrollmentTokenId,
    machineId: `spare-${lower}`,
    hostname: `spare-${lower}`,
    version: '0.1.0',
    createdAt: now,
    revokedAt: null,
  });
  return { siteSlug: 'main', enrollmentTokenId, spareApiTokenId, spareAgentId };
}

/** The URL of a route template for `target` (hosts, tenants and acceptances filled in). */
function urlFor(template: string, target: Party | null, fallback: Party): string {
  const p = target ?? fallback;
  return template
    .replace(/\/acceptances\/:id/, `/acceptances/${p.acceptanceId}`)
    .replace(/\/sites\/:site/, `/sites/${p.siteSlug}`)
    .replace(/\/enrollment-tokens\/:id/, `/enrollment-tokens/${p.enrollmentTokenId}`)
    .replace(/\/api-tokens\/:id/, `/api-tokens/${p.spareApiTokenId}`)
    .replace(/\/agents\/:id\/rotate/, `/agents/${p.agent.agentId}/rotate`)
    .replace(/\/agents\/:id/, `/agents/${p.spareAgentId}`)
    .replace(/\/initiatives\/:id/, `/initiatives/${p.initiativeId}`)
    .replace(/\/suggestions\/:key/, `/suggestions/${p.suggestionKey}`)
    .replace(/\/hosts\/:id/, `/hosts/${p.hostId}`)
    .replace(/:tenant/, p.tenant.slug);
}

t.test('every route × every caller answers only what the access table allows', async (t) => {
  const c = await testCollector(t);
  const a = await party(c, 'A');
  const b = await party(c, 'B');
  const wrongSecret = `Bearer ${joinCredential(a.readToken.split('.')[0]!, newSecret())}`;
  const callers: Caller[] = [
    { name: 'no token', sees: null, kind: 'anonymous' },
    { name: 'wrong secret', authorization: wrongSecret, sees: null, kind: 'anonymous' },
    { name: 'malformed', authorization: 'Bearer not-a-credential', sees: null, kind: 'anonymous' },
    { name: 'agent A', authorization: a.agent.authorization, sees: null, kind: 'agent' },
    { name: 'read A', authorization: `Bearer ${a.readToken}`, sees: a, kind: 'read' },
    { name: 'read B', authorization: `Bearer ${b.readToken}`, sees: b, kind: 'read' },
    // last: its writes (revoking acceptances) must not change what the others see
    { name: 'admin', authorization: c.admin.authorization, sees: 'all', kind: 'admin' },
  ];

  const registered = c.routes.map((r) => `${r.method} ${r.url}`);
  const missing = registered.filter((key) => {
    const [method, url] = key.split(' ');
    return !ACCESS_TABLE[key] && !(method === 'HEAD' && ACCESS_TABLE[`GET ${url}`]);
  });
  t.same(
    missing,
    [],
    'routes missing from ACCESS_TABLE in collector/test/isolation-matrix.test.ts: add each ' +
      'with who may call it (public, read, admin-write...)',
  );
  const stale = Object.keys(ACCESS_TABLE).filter((key) => !registered.includes(key));
  t.same(stale, [], 'ACCESS_TABLE entries for routes the collector no longer registers');

  const problems: string[] = [];
  let tried = 0;
  for (const caller of callers) {
    for (const route of c.routes) {
      const key = `${route.method} ${route.url}`;
      const rule = ACCESS_TABLE[key] ?? ACCESS_TABLE[`GET ${route.url}`];
      if (!rule) continue;
      // A route names another tenant's data through its path (:id, :tenant) or, for the
      // list routes, through ?tenant=; other routes are asked once, without a target.
      const parameterised = /:\w+/.test(route.url);
      const tenantQuery = TENANT_QUERY_ROUTES.includes(route.url);
      const targets: (Party | null)[] = parameterised
        ? [a, b]
        : tenantQuery
          ? [null, a, b]
          : [null];
      for (const target of targets) {
        let url = urlFor(route.url, target, a);
        const q = [rule.query, tenantQuery && target ? `tenant=${target.tenant.slug}` : undefined]
          .filter(Boolean)
          .join('&');
        if (q) url += `?${q}`;
        const request: InjectOptions = {
          method: route.method as InjectOptions['method'],
          url,
          headers: caller.authorization ? { authorization: caller.authorization } : {},
        };
        if (rule.access === 'agent-write') {
          request.payload = sampleReport({
            agentId: a.agent.agentId,
            machineId: a.machineId,
            hostname: a.hostname,
          });
        } else if (rule.access === 'agent-self') {
          request.payload = {};
        } else if (rule.access === 'enroll') {
          request.payload = {
            token: 'et_wrong.secret',
            machineId: 'm',
            hostname: 'h',
            agentVersion: '0.1.0',
          };
        } else if (rule.body) {
          request.payload = rule.body(target ?? a) as InjectOptions['payload'];
        }
        const res = await c.app.inject(request);
        tried++;
        const where = `${caller.name} → ${route.method} ${url}`;
        const expected = allowed(rule, caller, target);
        if (!expected.includes(res.statusCode)) {
          problems.push(
            `${where}: ${res.statusCode}, allowed ${expected.join('/')}: ${res.body.slice(0, 200)}`,
          );
        }
        // Whatever the status, a tenant's token never hears of the other tenant (beyond
        // what its own request named).
        if (caller.kind === 'read' && rule.tenantScoped !== false) {
          const other = caller.sees === a ? b : a;
          const leaked = identifiers(other).filter(
            (id) => !url.includes(id) && res.body.includes(id),
          );
          if (leaked.length > 0)
            problems.push(`${where}: answer names ${other.name}'s ${leaked.join(', ')}`);
        }
        if (caller.kind === 'agent' && rule.access === 'read' && res.body.includes(a.hostname)) {
          problems.push(`${where}: an agent's credentials read data`);
        }
      }
    }
  }
  t.comment(`${c.routes.length} routes, ${callers.length} callers, ${tried} requests`);
  t.same(problems, [], 'every answer is in the allowed set and stays in its tenant');

  // Positive control: the scoped tokens do see their own tenant (the matrix would pass
  // vacuously if every read answered an empty list).
  for (const p of [a, b]) {
    const res = await c.app.inject({
      method: 'GET',
      url: '/api/v1/hosts',
      headers: { authorization: `Bearer ${p.readToken}` },
    });
    t.match(res.json(), { total: 1, hosts: [{ id: p.hostId }] }, `read ${p.name} sees its host`);
  }
});

t.test('an agent writes only its own host', async (t) => {
  const c = await testCollector(t);
  const a = await party(c, 'A');
  const b = await party(c, 'B');
  const before = (
    await c.app.inject({ method: 'GET', url: `/api/v1/hosts/${b.hostId}`, headers: c.admin })
  ).json<{ hostname: string; lastSeen: string }>();

  // A's credentials, B's agent id in the body: refused.
  const asB = await send(
    c,
    a.agent,
    sampleReport({ agentId: b.agent.agentId, machineId: b.machineId }),
  );
  t.equal(asB.statusCode, 403);
  t.match(asB.json(), { error: 'agent_mismatch' });

  // A's own agent id, but claiming B's machine and hostname: refused, the credentials were
  // enrolled for A's machine.
  const claim = await send(
    c,
    a.agent,
    sampleReport({ agentId: a.agent.agentId, machineId: b.machineId, hostname: 'taken-over' }),
  );
  t.equal(claim.statusCode, 403, 'claiming another machine id');
  t.match(claim.json(), { error: 'machine_mismatch' });
  const after = (
    await c.app.inject({ method: 'GET', url: `/api/v1/hosts/${b.hostId}`, headers: c.admin })
  ).json<{ hostname: string; lastSeen: string; tenantId: string }>();
  t.equal(after.hostname, before.hostname, "B's host keeps its hostname");
  t.equal(after.lastSeen, before.lastSeen, "B's host was not touched");
  t.equal(after.tenantId, b.tenant.id);
  const bHosts = await c.app.inject({
    method: 'GET',
    url: '/api/v1/hosts',
    headers: { authorization: `Bearer ${b.readToken}` },
  });
  t.equal(bHosts.json<{ total: number }>().total, 1, 'tenant B still has only its own host');
  t.notOk(bHosts.body.includes('taken-over'));

  // A revoked agent writes nothing.
  const revokedId = newTokenId('at');
  await c.store.access.insertApiToken({
    id: revokedId,
    tenantId: a.tenant.id,
    role: 'read',
    name: 'revoked',
    secretHash: hashSecret('s'),
    createdAt: new Date(),
    revokedAt: new Date(),
  });
  const revoked = await c.app.inject({
    method: 'GET',
    url: '/api/v1/hosts',
    headers: { authorization: `Bearer ${joinCredential(revokedId, 's')}` },
  });
  t.equal(revoked.statusCode, 401, 'a revoked token reads nothing');
});
