// Tenants, sites, enrollment tokens, API tokens and the audit log over the API: every
// endpoint with every kind of caller (admin, a read token of the same tenant, of another
// tenant, no token, an agent's credentials), secrets shown once and working, limits and
// revocation enforced at once, and an audit entry with who and when for every change.
import t from 'tap';
import { CHECKS } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import { testCollector, type TestCollector } from './helpers.js';
import { reportWith, send } from './sections.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** An API call as `authorization` (a full header value; undefined: none). */
function call(
  c: TestCollector,
  authorization: string | undefined,
  method: Method,
  url: string,
  payload?: unknown,
) {
  return c.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: authorization ? { authorization } : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

const bearer = (token: string) => `Bearer ${token}`;

interface AuditView {
  id: number;
  at: string;
  actor: { tokenId: string | null; name: string };
  action: string;
  tenant: string | null;
  targetType: string;
  targetId: string | null;
  detail: Record<string, unknown>;
}

async function auditEntries(c: TestCollector, query = ''): Promise<AuditView[]> {
  const res = await call(c, c.admin.authorization, 'GET', `/audit?limit=1000${query}`);
  if (res.statusCode !== 200) throw new Error(`audit: ${res.statusCode} ${res.body}`);
  return res.json<{ entries: AuditView[] }>().entries;
}

/** Two tenants, an admin, a read token for each, an agent in acme. */
async function world(t: Parameters<typeof testCollector>[0]) {
  const c = await testCollector(t);
  const admin = c.admin.authorization;
  const acme = await call(c, admin, 'POST', '/tenants', { slug: 'acme', name: 'Acme Inc' });
  const globex = await call(c, admin, 'POST', '/tenants', { slug: 'globex', name: 'Globex' });
  if (acme.statusCode !== 201 || globex.statusCode !== 201) throw new Error('tenants not created');
  const readToken = async (tenant: string) => {
    const res = await call(c, admin, 'POST', '/api-tokens', {
      name: `${tenant} portal`,
      role: 'read',
      tenant,
    });
    return bearer(res.json<{ token: string }>().token);
  };
  const enrollToken = async (tenant: string, body: Record<string, unknown> = {}) => {
    const res = await call(c, admin, 'POST', `/tenants/${tenant}/enrollment-tokens`, {
      name: 'rollout',
      ...body,
    });
    if (res.statusCode !== 201) throw new Error(`enrollment token: ${res.statusCode} ${res.body}`);
    return res.json<{ id: string; token: string; site: string | null }>();
  };
  const enroll = (token: string, machineId: string) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: { token, machineId, hostname: `host-${machineId}`, agentVersion: '0.1.0' },
    });
  return {
    c,
    admin,
    acme: acme.json<{ id: string; slug: string }>(),
    globex: globex.json<{ id: string; slug: string }>(),
    readAcme: await readToken('acme'),
    readGlobex: await readToken('globex'),
    enrollToken,
    enroll,
  };
}

/** Enrolls through `token` and sends one report: the host exists afterwards. */
async function hostVia(w: Awaited<ReturnType<typeof world>>, token: string, machineId: string) {
  const res = await w.enroll(token, machineId);
  if (res.statusCode !== 201) throw new Error(`enroll: ${res.statusCode} ${res.body}`);
  const body = res.json<{ agentId: string; secret: string }>();
  const agent = { ...body, tenant: '', authorization: `Bearer ${body.agentId}.${body.secret}` };
  const system = sampleReport({ sections: ['system'] }).sections.system;
  const sent = await send(w.c, agent, reportWith(agent, machineId, { system }));
  if (sent.statusCode !== 202) throw new Error(`report: ${sent.statusCode} ${sent.body}`);
  const hosts = await call(w.c, w.admin, 'GET', '/hosts?limit=1000');
  const host = hosts
    .json<{ hosts: { id: string; machineId: string }[] }>()
    .hosts.find((h) => h.machineId === machineId)!;
  return { agent, hostId: host.id };
}

t.test('tenants: create, rename, archive, list, by permission', async (t) => {
  const w = await world(t);
  const { c, admin } = w;
  const agent = await c.enroll('m-perm');

  const dup = await call(c, admin, 'POST', '/tenants', { slug: 'acme', name: 'Other' });
  t.equal(dup.statusCode, 409, 'a duplicate slug is a conflict');
  t.match(dup.json(), { error: 'conflict', message: /acme/ });
  const badSlug = await call(c, admin, 'POST', '/tenants', { slug: 'Acme Corp', name: 'X' });
  t.equal(badSlug.statusCode, 400);
  t.match(badSlug.json(), { error: 'invalid_slug' });
  const blank = await call(c, admin, 'POST', '/tenants', { slug: 'blank', name: '   ' });
  t.equal(blank.statusCode, 400, 'a name of spaces only is refused');
  t.equal((await call(c, admin, 'POST', '/tenants', { slug: 'x' })).statusCode, 400);

  for (const [who, auth, status] of [
    ['read token', w.readAcme, 403],
    ['no token', undefined, 401],
    ['agent credentials', agent.authorization, 401],
  ] as const) {
    const res = await call(c, auth, 'POST', '/tenants', { slug: 'nope', name: 'Nope' });
    t.equal(res.statusCode, status, `${who} cannot create a tenant`);
  }

  // GET /tenants/:tenant with its sites; another tenant's is a 404
  t.equal((await call(c, w.readAcme, 'GET', '/tenants/acme')).statusCode, 200);
  t.equal((await call(c, w.readAcme, 'GET', '/tenants/globex')).statusCode, 404);
  t.equal((await call(c, w.readAcme, 'GET', `/tenants/${w.globex.id}`)).statusCode, 404);
  t.equal((await call(c, undefined, 'GET', '/tenants/acme')).statusCode, 401);
  t.equal((await call(c, agent.authorization, 'GET', '/tenants/acme')).statusCode, 401);

  // rename
  const renamed = await call(c, admin, 'PATCH', '/tenants/acme', { name: 'Acme Corporation' });
  t.equal(renamed.statusCode, 200);
  t.match(renamed.json(), { slug: 'acme', name: 'Acme Corporation' });
  t.equal((await call(c, w.readAcme, 'PATCH', '/tenants/acme', { name: 'X' })).statusCode, 403);
  t.equal((await call(c, w.readAcme, 'PATCH', '/tenants/globex', { name: 'X' })).statusCode, 403);
  t.equal((await call(c, admin, 'PATCH', '/tenants/nope', { name: 'X' })).statusCode, 404);

  // archive: hidden from lists unless asked for; still readable and reporting
  const archived = await call(c, admin, 'POST', '/tenants/acme/archive');
  t.equal(archived.statusCode, 200);
  t.ok(archived.json<{ archivedAt: string }>().archivedAt, 'archivedAt is set');
  const again = await call(c, admin, 'POST', '/tenants/acme/archive');
  t.equal(
    again.json<{ archivedAt: string }>().archivedAt,
    archived.json<{ archivedAt: string }>().archivedAt,
    'archiving twice keeps the first time',
  );
  const list = async (auth: string, query = '') =>
    (await call(c, auth, 'GET', `/tenants${query}`))
      .json<{ tenants: { slug: string }[] }>()
      .tenants.map((x) => x.slug);
  t.same(await list(admin), ['default', 'globex'], 'archived tenants are hidden');
  t.same(await list(admin, '?archived=true'), ['acme', 'default', 'globex']);
  t.same(
    await list(w.readAcme, '?archived=true'),
    ['acme'],
    'a read token sees its own tenant only',
  );
  t.same(await list(w.readGlobex), ['globex']);
  t.equal((await call(c, w.readAcme, 'GET', '/tenants/acme')).statusCode, 200, 'still readable');
  t.equal((await call(c, w.readAcme, 'POST', '/tenants/acme/unarchive')).statusCode, 403);
  t.equal((await call(c, w.readGlobex, 'POST', '/tenants/acme/unarchive')).statusCode, 403);

  const token = await call(c, admin, 'POST', '/tenants/acme/enrollment-tokens', { name: 'late' });
  t.equal(token.statusCode, 409, 'no new enrollment tokens for an archived tenant');
  const unarchived = await call(c, admin, 'POST', '/tenants/acme/unarchive');
  t.equal(unarchived.json<{ archivedAt: null }>().archivedAt, null);
  t.same(await list(admin), ['acme', 'default', 'globex']);

  const actions = (await auditEntries(c)).map((e) => `${e.action} ${e.tenant}`);
  t.same(
    actions.filter((a) => a.startsWith('tenant.')).reverse(),
    [
      'tenant.create acme',
      'tenant.create globex',
      'tenant.rename acme',
      'tenant.archive acme',
      'tenant.unarchive acme',
    ],
    'each change audited once (archiving twice records once); refused ones not at all',
  );
});

t.test('an archived tenant: reports accepted, enrollments refused', async (t) => {
  const w = await world(t);
  const { c, admin } = w;
  const et = await w.enrollToken('acme');
  const { agent } = await hostVia(w, et.token, 'm-arch');
  await call(c, admin, 'POST', '/tenants/acme/archive');
  const system = sampleReport({ sections: ['system'] }).sections.system;
  const report = await send(c, agent, reportWith(agent, 'm-arch', { system }));
  t.equal(report.statusCode, 202, "an archived tenant's agent still reports");
  const enroll = await w.enroll(et.token, 'm-new');
  t.equal(enroll.statusCode, 401);
  t.match(enroll.json(), { message: /archived/ });
});

t.test(
  'sites: create, list, rename, archive; hosts enrolled into and moved between them',
  async (t) => {
    const w = await world(t);
    const { c, admin } = w;

    const hq = await call(c, admin, 'POST', '/tenants/acme/sites', {
      slug: 'hq',
      name: 'Head office',
    });
    t.equal(hq.statusCode, 201);
    const hqSite = hq.json<{ id: string; slug: string }>();
    t.equal(
      (await call(c, admin, 'POST', '/tenants/acme/sites', { slug: 'hq', name: 'X' })).statusCode,
      409,
    );
    t.equal(
      (await call(c, admin, 'POST', '/tenants/globex/sites', { slug: 'hq', name: 'Globex HQ' }))
        .statusCode,
      201,
      'site slugs are per tenant',
    );
    t.equal(
      (await call(c, admin, 'POST', '/tenants/acme/sites', { slug: 'none', name: 'X' })).statusCode,
      400,
      "'none' is reserved",
    );
    await call(c, admin, 'POST', '/tenants/acme/sites', { slug: 'branch', name: 'Branch' });
    t.equal(
      (await call(c, w.readAcme, 'POST', '/tenants/acme/sites', { slug: 'b2', name: 'X' }))
        .statusCode,
      403,
    );
    t.equal(
      (await call(c, undefined, 'POST', '/tenants/acme/sites', { slug: 'b2', name: 'X' }))
        .statusCode,
      401,
    );

    const sites = await call(c, w.readAcme, 'GET', '/tenants/acme/sites');
    t.equal(sites.statusCode, 200);
    t.match(sites.json(), {
      tenant: 'acme',
      sites: [{ slug: 'branch', hostCount: 0 }, { slug: 'hq' }],
    });
    t.equal((await call(c, w.readGlobex, 'GET', '/tenants/acme/sites')).statusCode, 404);
    t.notOk(sites.body.includes('Globex'), "no word of the other tenant's sites");

    // a site token puts the new host in its site
    const et = await w.enrollToken('acme', { site: 'hq' });
    t.equal(et.site, 'hq');
    const { hostId } = await hostVia(w, et.token, 'm-site');
    const plain = await hostVia(w, (await w.enrollToken('acme')).token, 'm-plain');
    const hosts = async (query: string, auth = admin) =>
      (await call(c, auth, 'GET', `/hosts?${query}`)).json<{
        total: number;
        hosts: { id: string; site: { slug: string } | null }[];
      }>();
    const inHq = await hosts('tenant=acme&site=hq');
    t.same(
      inHq.hosts.map((h) => h.id),
      [hostId],
      "the host is in the token's site",
    );
    t.match(inHq.hosts[0], { site: { id: hqSite.id, slug: 'hq', name: 'Head office' } });
    t.same(
      (await hosts('tenant=acme&site=none')).hosts.map((h) => h.id),
      [plain.hostId],
    );
    t.same(
      (await hosts(`site=${hqSite.id}`)).hosts.map((h) => h.id),
      [hostId],
      'by site id, any tenant',
    );
    t.same(
      (await hosts('site=hq', w.readAcme)).hosts.map((h) => h.id),
      [hostId],
      'a scoped token filters by slug',
    );
    t.equal(
      (await call(c, admin, 'GET', '/hosts?site=hq')).statusCode,
      404,
      'a slug needs a tenant',
    );
    t.equal(
      (await call(c, w.readGlobex, 'GET', `/hosts?site=${hqSite.id}`)).statusCode,
      404,
      "another tenant's site",
    );

    // moving hosts
    const move = (id: string, site: string | null, auth = admin) =>
      call(c, auth, 'PUT', `/hosts/${id}/site`, { site });
    const moved = await move(hostId, 'branch');
    t.equal(moved.statusCode, 200);
    t.match(moved.json(), { hostId, site: { slug: 'branch' } });
    t.equal((await move(hostId, null)).json<{ site: null }>().site, null, 'out of any site');
    t.same((await hosts('tenant=acme&site=none')).total, 2);
    t.equal((await move(hostId, 'hq', w.readAcme)).statusCode, 403);
    t.equal((await move(hostId, 'hq', w.readGlobex)).statusCode, 403);
    t.equal(
      (await call(c, undefined, 'PUT', `/hosts/${hostId}/site`, { site: 'hq' })).statusCode,
      401,
    );
    t.equal((await move(hostId, 'nowhere')).statusCode, 400);
    const coerced = await call(c, admin, 'PUT', `/hosts/${hostId}/site`, { site: 0 });
    t.equal(coerced.statusCode, 400, 'a 0 is not taken for null (no type coercion)');
    const globexHq = (await call(c, admin, 'GET', '/tenants/globex/sites')).json<{
      sites: { id: string }[];
    }>().sites[0]!.id;
    t.equal((await move(hostId, globexHq)).statusCode, 400, "never into another tenant's site");
    t.equal((await move('no-such-host', 'hq')).statusCode, 404);

    // rename and archive
    const renamed = await call(c, admin, 'PATCH', '/tenants/acme/sites/hq', { name: 'HQ' });
    t.match(renamed.json(), { slug: 'hq', name: 'HQ' });
    t.equal(
      (await call(c, w.readAcme, 'PATCH', '/tenants/acme/sites/hq', { name: 'X' })).statusCode,
      403,
    );
    t.equal(
      (await call(c, admin, 'PATCH', '/tenants/acme/sites/nope', { name: 'X' })).statusCode,
      404,
    );
    t.equal((await call(c, admin, 'PATCH', '/tenants/acme/sites/hq', {})).statusCode, 400);
    await move(hostId, 'hq');
    const archived = await call(c, admin, 'PATCH', '/tenants/acme/sites/hq', { archived: true });
    t.ok(archived.json<{ archivedAt: string }>().archivedAt);
    const listed = (await call(c, admin, 'GET', '/tenants/acme/sites')).json<{
      sites: { slug: string }[];
    }>();
    t.same(
      listed.sites.map((s) => s.slug),
      ['branch'],
      'archived sites are hidden',
    );
    const all = (await call(c, admin, 'GET', '/tenants/acme/sites?archived=true')).json<{
      sites: { slug: string }[];
    }>();
    t.same(
      all.sites.map((s) => s.slug),
      ['branch', 'hq'],
    );
    t.match((await hosts('tenant=acme&site=hq')).hosts, [{ id: hostId }], 'its hosts stay');
    t.equal(
      (await move(plain.hostId, 'hq')).statusCode,
      409,
      'no host moves into an archived site',
    );
    const closed = await w.enroll(et.token, 'm-late');
    t.equal(closed.statusCode, 401, 'archiving a site revokes its enrollment tokens');
    t.equal(
      (await call(c, admin, 'POST', '/tenants/acme/enrollment-tokens', { name: 'x', site: 'hq' }))
        .statusCode,
      409,
    );
    await call(c, admin, 'PATCH', '/tenants/acme/sites/hq', { archived: false });

    const entries = (await auditEntries(c, '&tenant=acme')).reverse();
    t.same(
      entries
        .filter((e) => e.targetType === 'site' || e.action === 'host.move_site')
        .map((e) => e.action),
      [
        'site.create',
        'site.create',
        'host.move_site',
        'host.move_site',
        'site.rename',
        'host.move_site',
        'site.archive',
        'site.unarchive',
      ],
    );
    t.match(
      entries.find((e) => e.action === 'host.move_site'),
      {
        targetId: hostId,
        detail: { from: 'hq', to: 'branch' },
      },
    );
  },
);

t.test('enrollment tokens: secret once, max uses, expiry, immediate revocation', async (t) => {
  const w = await world(t);
  const { c, admin } = w;

  const created = await call(c, admin, 'POST', '/tenants/acme/enrollment-tokens', {
    name: 'two machines',
    maxUses: 2,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  t.equal(created.statusCode, 201);
  const token = created.json<{ id: string; token: string; uses: number; state: string }>();
  t.match(token, { name: 'two machines', tenant: 'acme', maxUses: 2, uses: 0, state: 'active' });
  t.match(token.token, new RegExp(`^${token.id}\\.`), 'the credential is <id>.<secret>');
  const secret = token.token.split('.')[1]!;

  const listed = await call(c, w.readAcme, 'GET', '/tenants/acme/enrollment-tokens');
  t.equal(listed.statusCode, 200);
  t.notOk(listed.body.includes(secret), 'a list never shows the secret');
  t.notOk(/secretHash|token"/.test(listed.body), 'nor its hash');
  t.equal((await call(c, w.readGlobex, 'GET', '/tenants/acme/enrollment-tokens')).statusCode, 404);
  t.equal((await call(c, undefined, 'GET', '/tenants/acme/enrollment-tokens')).statusCode, 401);
  t.equal(
    (await call(c, w.readAcme, 'POST', '/tenants/acme/enrollment-tokens', { name: 'x' }))
      .statusCode,
    403,
  );

  t.equal((await w.enroll(token.token, 'm1')).statusCode, 201, 'the token works');
  const second = await w.enroll(token.token, 'm2');
  t.equal(second.statusCode, 201);
  t.match(second.json(), { tenant: 'acme' });
  const third = await w.enroll(token.token, 'm3');
  t.equal(third.statusCode, 401, 'a third enrollment exceeds maxUses 2');
  t.match(third.json(), { message: /no uses left/ });
  const after = (await call(c, admin, 'GET', '/tenants/acme/enrollment-tokens')).json<{
    enrollmentTokens: { id: string; uses: number; state: string }[];
  }>();
  t.match(
    after.enrollmentTokens.find((x) => x.id === token.id),
    { uses: 2, state: 'used_up' },
  );

  // expiry
  const past = await call(c, admin, 'POST', '/tenants/acme/enrollment-tokens', {
    name: 'late',
    expiresAt: new Date(Date.now() - 1000).toISOString(),
  });
  t.equal(past.statusCode, 400, 'an expiry in the past is refused');
  const soon = await w.enrollToken('acme', { expiresAt: new Date(Date.now() + 400).toISOString() });
  t.equal((await w.enroll(soon.token, 'm-soon-1')).statusCode, 201, 'before it expires');
  await new Promise((r) => setTimeout(r, 500));
  const expired = await w.enroll(soon.token, 'm-soon-2');
  t.equal(expired.statusCode, 401, 'after it expires');
  t.match(expired.json(), { message: /expired/ });
  t.equal(
    (await call(c, admin, 'POST', '/tenants/acme/enrollment-tokens', { name: 'x', maxUses: 0 }))
      .statusCode,
    400,
  );
  t.equal(
    (await call(c, admin, 'POST', '/tenants/acme/enrollment-tokens', { name: 'x', site: 'nope' }))
      .statusCode,
    400,
  );

  // revocation: the very next enrollment is refused; agents it enrolled keep reporting
  const live = await w.enrollToken('acme');
  const { agent } = await hostVia(w, live.token, 'm-live');
  t.equal(
    (await call(c, w.readAcme, 'DELETE', `/tenants/acme/enrollment-tokens/${live.id}`)).statusCode,
    403,
  );
  t.equal(
    (await call(c, admin, 'DELETE', `/tenants/globex/enrollment-tokens/${live.id}`)).statusCode,
    404,
    'not via another tenant',
  );
  const revoked = await call(c, admin, 'DELETE', `/tenants/acme/enrollment-tokens/${live.id}`);
  t.equal(revoked.statusCode, 204);
  const refused = await w.enroll(live.token, 'm-after');
  t.equal(refused.statusCode, 401);
  t.match(refused.json(), { message: /revoked/ });
  t.equal(
    (await call(c, admin, 'DELETE', `/tenants/acme/enrollment-tokens/${live.id}`)).statusCode,
    404,
    'once',
  );
  const system = sampleReport({ sections: ['system'] }).sections.system;
  t.equal(
    (await send(c, agent, reportWith(agent, 'm-live', { system }))).statusCode,
    202,
    'its agent still reports',
  );

  // the store's enrollment is atomic with revocation: a token revoked after the route
  // checked it still enrolls nobody
  const racing = await w.enrollToken('acme');
  const record = (await c.store.access.findEnrollmentToken(racing.id))!;
  await c.store.access.revokeEnrollmentToken(w.acme.id, racing.id, new Date());
  const outcome = await c.store.access.enrollAgent(record.id, {
    id: 'agent-race',
    tenantId: w.acme.id,
    secretHash: record.secretHash,
    enrollmentTokenId: record.id,
    machineId: 'm-race',
    hostname: 'race',
    version: '0.1.0',
    createdAt: new Date(),
    revokedAt: null,
  });
  t.equal(outcome, 'exhausted', 'revoked between check and use: not enrolled');

  const entries = await auditEntries(c, '&action=enrollment_token.create');
  t.ok(entries.length >= 4);
  t.notOk(JSON.stringify(entries).includes(secret), 'the audit log never holds a secret');
  t.match(entries.at(-1), { detail: { name: 'two machines', maxUses: 2 } });
  const revocations = await auditEntries(c, '&action=enrollment_token.revoke');
  t.match(revocations, [{ targetId: live.id, tenant: 'acme' }]);
});

t.test(
  'API tokens: admin only, shown once, scoped, revoked at once, never the last admin',
  async (t) => {
    const w = await world(t);
    const { c, admin } = w;
    const agent = await c.enroll('m-api');

    t.equal((await call(c, admin, 'GET', '/api-tokens')).statusCode, 200);
    for (const [who, auth, status] of [
      ['read token', w.readAcme, 403],
      ['no token', undefined, 401],
      ['agent credentials', agent.authorization, 401],
    ] as const) {
      t.equal((await call(c, auth, 'GET', '/api-tokens')).statusCode, status, `${who}: list`);
      t.equal(
        (await call(c, auth, 'POST', '/api-tokens', { name: 'x', role: 'admin' })).statusCode,
        status,
        `${who}: create`,
      );
    }
    t.equal(
      (await call(c, admin, 'POST', '/api-tokens', { name: 'x', role: 'read' })).statusCode,
      400,
      'read needs a tenant',
    );
    t.equal(
      (await call(c, admin, 'POST', '/api-tokens', { name: 'x', role: 'admin', tenant: 'acme' }))
        .statusCode,
      400,
      'admin tokens have no tenant',
    );
    t.equal(
      (await call(c, admin, 'POST', '/api-tokens', { name: 'x', role: 'read', tenant: 'nope' }))
        .statusCode,
      400,
    );
    t.equal(
      (await call(c, admin, 'POST', '/api-tokens', { name: 'x', role: 'owner' })).statusCode,
      400,
    );

    // a scoped read token: its tenant only
    const created = await call(c, admin, 'POST', '/api-tokens', {
      name: 'acme portal 2',
      role: 'read',
      tenant: 'acme',
    });
    t.equal(created.statusCode, 201);
    const read = created.json<{ id: string; token: string }>();
    t.match(created.json(), { role: 'read', tenant: 'acme', state: 'active' });
    const list = await call(c, admin, 'GET', '/api-tokens');
    t.notOk(list.body.includes(read.token.split('.')[1]!), 'the list never shows a secret');
    t.match(list.json(), {
      apiTokens: [{ id: read.id, name: 'acme portal 2', role: 'read', tenant: 'acme' }],
    });
    const readAuth = bearer(read.token);
    t.equal(
      (await call(c, readAuth, 'GET', '/tenants/acme/sites')).statusCode,
      200,
      'the token works',
    );
    t.equal(
      (await call(c, readAuth, 'GET', '/tenants/globex/sites')).statusCode,
      404,
      'within its tenant',
    );
    t.equal(
      (await call(c, readAuth, 'POST', '/tenants/acme/sites', { slug: 's', name: 'S' })).statusCode,
      403,
      'read-only',
    );

    // revocation is immediate
    t.equal((await call(c, admin, 'DELETE', `/api-tokens/${read.id}`)).statusCode, 204);
    t.equal(
      (await call(c, readAuth, 'GET', '/tenants/acme/sites')).statusCode,
      401,
      'refused at once',
    );
    t.equal(
      (await call(c, admin, 'DELETE', `/api-tokens/${read.id}`)).statusCode,
      404,
      'revoked once',
    );
    t.equal((await call(c, w.readAcme, 'DELETE', `/api-tokens/${read.id}`)).statusCode, 403);

    // a new admin token works; the last admin token cannot be revoked; a token may revoke itself
    const second = await call(c, admin, 'POST', '/api-tokens', {
      name: 'second admin',
      role: 'admin',
    });
    const secondAuth = bearer(second.json<{ token: string }>().token);
    const secondId = second.json<{ id: string }>().id;
    t.equal(
      (await call(c, secondAuth, 'POST', '/tenants', { slug: 'initech', name: 'Initech' }))
        .statusCode,
      201,
    );
    const bootstrapId = c.secrets.adminToken.split('.')[0]!;
    t.equal((await call(c, secondAuth, 'DELETE', `/api-tokens/${bootstrapId}`)).statusCode, 204);
    t.equal(
      (await call(c, admin, 'GET', '/api-tokens')).statusCode,
      401,
      'the bootstrap token is gone',
    );
    const last = await call(c, secondAuth, 'DELETE', `/api-tokens/${secondId}`);
    t.equal(last.statusCode, 409, 'never the last admin token');
    t.match(last.json(), { error: 'last_admin_token' });
    const third = await call(c, secondAuth, 'POST', '/api-tokens', {
      name: 'third admin',
      role: 'admin',
    });
    t.equal(
      (await call(c, secondAuth, 'DELETE', `/api-tokens/${secondId}`)).statusCode,
      204,
      'itself, with another admin left',
    );
    t.equal((await call(c, secondAuth, 'GET', '/api-tokens')).statusCode, 401);
    const thirdAuth = bearer(third.json<{ token: string }>().token);

    const entries = (await call(c, thirdAuth, 'GET', '/audit?action=api_token.revoke')).json<{
      entries: AuditView[];
    }>().entries;
    t.match(entries, [
      { targetId: secondId, actor: { tokenId: secondId, name: 'second admin' } },
      { targetId: bootstrapId, actor: { tokenId: secondId, name: 'second admin' } },
      {
        targetId: read.id,
        tenant: 'acme',
        actor: { tokenId: bootstrapId, name: 'bootstrap admin token' },
      },
    ]);
  },
);

t.test('the audit log: who and when for every change, scoped like everything else', async (t) => {
  const w = await world(t);
  const { c, admin } = w;
  const before = Date.now();
  const { hostId } = await hostVia(w, (await w.enrollToken('acme')).token, 'm-audit');
  await hostVia(w, (await w.enrollToken('globex')).token, 'm-globex');

  // the posture routes' changes are audited too
  t.equal((await call(c, admin, 'PATCH', `/hosts/${hostId}`, { role: 'server' })).statusCode, 200);
  const acceptance = await call(c, admin, 'POST', '/tenants/acme/acceptances', {
    checkId: CHECKS[0]!.id,
    reason: 'test',
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  t.equal(acceptance.statusCode, 201);
  const acceptanceId = acceptance.json<{ id: string }>().id;
  t.equal(
    (await call(c, admin, 'DELETE', `/tenants/acme/acceptances/${acceptanceId}`)).statusCode,
    204,
  );
  t.equal(
    (await call(c, admin, 'PUT', '/tenants/acme/posture/settings', { serverWeight: 3 })).statusCode,
    200,
  );
  await c.app.posture.idle();

  const bootstrapId = c.secrets.adminToken.split('.')[0]!;
  const mine = (await auditEntries(c, '&tenant=acme')).reverse();
  t.same(
    mine.map((e) => e.action),
    [
      'tenant.create',
      'api_token.create',
      'enrollment_token.create',
      'host.update',
      'acceptance.create',
      'acceptance.revoke',
      'posture_settings.update',
    ],
  );
  for (const e of mine) {
    t.same(e.actor, { tokenId: bootstrapId, name: 'bootstrap admin token' }, `${e.action}: who`);
    const at = Date.parse(e.at);
    t.ok(at >= before - 5_000 && at <= Date.now(), `${e.action}: when`);
  }
  t.match(mine[3], { targetType: 'host', targetId: hostId, detail: { role: 'server' } });
  t.match(mine[4], { targetId: acceptanceId, detail: { checkId: CHECKS[0]!.id, reason: 'test' } });
  t.match(mine[6], { detail: { overrides: { serverWeight: 3 } } });

  // a read token sees its tenant's entries only; another tenant is a 404
  const scoped = await call(c, w.readAcme, 'GET', '/audit');
  t.equal(scoped.statusCode, 200);
  const scopedEntries = scoped.json<{ entries: AuditView[] }>().entries;
  t.ok(scopedEntries.length === mine.length && scopedEntries.every((e) => e.tenant === 'acme'));
  t.notOk(scoped.body.includes('globex'), "no word of the other tenant's changes");
  t.equal((await call(c, w.readAcme, 'GET', '/audit?tenant=globex')).statusCode, 404);
  t.equal((await call(c, w.readAcme, 'GET', '/audit?tenant=acme')).statusCode, 200);
  t.equal((await call(c, undefined, 'GET', '/audit')).statusCode, 401);
  const agent = await c.enroll('m-agent-audit');
  t.equal((await call(c, agent.authorization, 'GET', '/audit')).statusCode, 401);

  // filters and paging
  const all = await auditEntries(c);
  t.ok(
    all.some((e) => e.tenant === 'globex') && all.some((e) => e.tenant === 'acme'),
    'admin: all',
  );
  const page = await call(c, admin, 'GET', '/audit?limit=2&offset=1');
  t.match(page.json(), { total: all.length, limit: 2, offset: 1 });
  t.same(
    page.json<{ entries: AuditView[] }>().entries.map((e) => e.id),
    all.slice(1, 3).map((e) => e.id),
  );
  const future = new Date(Date.now() + 60_000).toISOString();
  t.match((await call(c, admin, 'GET', `/audit?since=${future}`)).json(), {
    total: 0,
    entries: [],
  });
  const since = mine[3]!.at;
  t.ok((await auditEntries(c, `&since=${since}`)).every((e) => e.at >= since));
  t.equal((await call(c, admin, 'GET', '/audit?action=DROP TABLE')).statusCode, 400);
  t.equal((await call(c, admin, 'GET', '/audit?limit=0')).statusCode, 400);
});
