// Enrollment, read API and tenant scoping, through inject().
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { sampleReport } from '@vcio/shared/testing';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../src/security/tokens.js';
import { testCollector, type TestCollector } from './helpers.js';

async function tokenFor(c: TestCollector, tenantId: string | null, role: 'admin' | 'read') {
  const id = newTokenId('at');
  const secret = newSecret();
  await c.store.access.insertApiToken({
    id,
    tenantId,
    role,
    name: 'test',
    secretHash: hashSecret(secret),
    createdAt: new Date(),
    revokedAt: null,
  });
  return { authorization: `Bearer ${joinCredential(id, secret)}` };
}

async function enrollmentToken(
  c: TestCollector,
  overrides: { expiresAt?: Date | null; maxUses?: number | null; revokedAt?: Date | null },
) {
  const id = newTokenId('et');
  const secret = newSecret();
  await c.store.access.insertEnrollmentToken({
    id,
    tenantId: c.secrets.tenant.id,
    name: 'test',
    secretHash: hashSecret(secret),
    createdAt: new Date(),
    expiresAt: null,
    maxUses: null,
    uses: 0,
    revokedAt: null,
    ...overrides,
  });
  return joinCredential(id, secret);
}

const enrollWith = (c: TestCollector, token: string, machineId = randomUUID()) =>
  c.app.inject({
    method: 'POST',
    url: '/api/v1/enroll',
    payload: { token, machineId, hostname: 'h', agentVersion: '0.1.0' },
  });

t.test('enrollment checks the token: wrong, revoked, expired, used up', async (t) => {
  const c = await testCollector(t);
  const ok = await enrollWith(c, c.secrets.enrollToken);
  t.equal(ok.statusCode, 201);
  t.match(ok.json(), { agentId: /^[0-9a-f-]{36}$/, tenant: 'default' });
  t.equal(Buffer.from(ok.json().secret, 'base64url').length, 32);

  const wrong = await enrollWith(
    c,
    c.secrets.enrollToken.replace(/.$/, (ch) => (ch === 'a' ? 'b' : 'a')),
  );
  t.equal(wrong.statusCode, 401);
  t.match(wrong.json(), { error: 'invalid_token', message: /not valid/ });
  t.equal((await enrollWith(c, 'garbage')).statusCode, 401);
  t.equal(
    (await enrollWith(c, c.secrets.adminToken)).statusCode,
    401,
    'an API token cannot enroll',
  );

  const revoked = await enrollWith(c, await enrollmentToken(c, { revokedAt: new Date() }));
  t.match(revoked.json().message, /revoked/);
  const expired = await enrollWith(
    c,
    await enrollmentToken(c, { expiresAt: new Date(Date.now() - 1000) }),
  );
  t.match(expired.json().message, /expired/);

  const once = await enrollmentToken(c, { maxUses: 2 });
  const attempts = await Promise.all([1, 2, 3, 4].map(() => enrollWith(c, once)));
  t.same(
    attempts.map((r) => r.statusCode).sort(),
    [201, 201, 401, 401],
    'a token limited to 2 uses enrolls exactly 2 agents, even concurrently',
  );

  const missing = await c.app.inject({
    method: 'POST',
    url: '/api/v1/enroll',
    payload: { token: 'x' },
  });
  t.equal(missing.statusCode, 400);
  t.match(missing.json().message, /machineId/);
});

t.test('read API: tokens, scoping, pagination, 404s', async (t) => {
  const c = await testCollector(t);
  const other = { id: randomUUID(), slug: 'acme', name: 'Acme', createdAt: new Date() };
  await c.store.tenants.createTenant(other);
  const agents = await Promise.all([1, 2, 3].map((i) => c.enroll(`m-${i}`)));
  for (const [i, a] of agents.entries()) {
    const res = await c.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { authorization: a.authorization },
      payload: sampleReport({
        agentId: a.agentId,
        machineId: `m-${i + 1}`,
        hostname: `h-${i + 1}`,
      }),
    });
    t.equal(res.statusCode, 202);
  }

  t.equal((await c.app.inject({ url: '/api/v1/hosts' })).statusCode, 401);
  t.equal(
    (await c.app.inject({ url: '/api/v1/hosts', headers: { authorization: 'Bearer at_x.y' } }))
      .statusCode,
    401,
  );
  const agentAsApi = await c.app.inject({
    url: '/api/v1/hosts',
    headers: { authorization: agents[0]!.authorization },
  });
  t.equal(agentAsApi.statusCode, 401, 'agent credentials do not open the read API');

  const page = await c.app.inject({ url: '/api/v1/hosts?limit=2&offset=1', headers: c.admin });
  t.match(page.json(), { total: 3, limit: 2, offset: 1 });
  t.same(
    page.json().hosts.map((h: { hostname: string }) => h.hostname),
    ['h-2', 'h-3'],
  );

  const badLimit = await c.app.inject({ url: '/api/v1/hosts?limit=0', headers: c.admin });
  t.equal(badLimit.statusCode, 400);
  t.match(badLimit.json().message, /querystring\/limit/);
  const unknownParam = await c.app.inject({ url: '/api/v1/hosts?colour=red', headers: c.admin });
  t.equal(unknownParam.statusCode, 400);

  const byTenant = await c.app.inject({ url: '/api/v1/hosts?tenant=default', headers: c.admin });
  t.equal(byTenant.json().total, 3);
  t.equal(
    (await c.app.inject({ url: '/api/v1/hosts?tenant=acme', headers: c.admin })).json().total,
    0,
  );
  t.equal(
    (await c.app.inject({ url: '/api/v1/hosts?tenant=nope', headers: c.admin })).statusCode,
    404,
  );

  const acme = await tokenFor(c, other.id, 'read');
  t.equal((await c.app.inject({ url: '/api/v1/hosts', headers: acme })).json().total, 0);
  const forbidden = await c.app.inject({ url: '/api/v1/hosts?tenant=default', headers: acme });
  t.equal(forbidden.statusCode, 403);
  const hostId = byTenant.json().hosts[0].id;
  t.equal(
    (await c.app.inject({ url: `/api/v1/hosts/${hostId}`, headers: acme })).statusCode,
    404,
    'a host of another tenant does not exist for a scoped token',
  );
  const acmeTenants = await c.app.inject({ url: '/api/v1/tenants', headers: acme });
  t.same(
    acmeTenants.json().tenants.map((x: { slug: string }) => x.slug),
    ['acme'],
  );

  const all = await c.app.inject({ url: '/api/v1/tenants', headers: c.admin });
  t.same(
    all.json().tenants.map((x: { slug: string; hostCount: number }) => [x.slug, x.hostCount]),
    [
      ['acme', 0],
      ['default', 3],
    ],
  );

  t.equal(
    (await c.app.inject({ url: `/api/v1/hosts/${randomUUID()}`, headers: c.admin })).statusCode,
    404,
  );
  const since = await c.app.inject({
    url: `/api/v1/hosts/${hostId}/performance?since=2999-01-01T00:00:00Z`,
    headers: c.admin,
  });
  t.same(since.json().samples, []);
  const badSince = await c.app.inject({
    url: `/api/v1/hosts/${hostId}/performance?since=soon`,
    headers: c.admin,
  });
  t.equal(badSince.statusCode, 400);

  const nowhere = await c.app.inject({ url: '/api/v2/anything' });
  t.equal(nowhere.statusCode, 404);
  t.same(nowhere.json(), { error: 'not_found', message: 'no route GET /api/v2/anything' });
});

t.test('healthz says ok, and 503 when the database is gone', async (t) => {
  const c = await testCollector(t);
  const ok = await c.app.inject({ url: '/healthz' });
  t.equal(ok.statusCode, 200);
  t.match(ok.json(), { status: 'ok', version: /^\d+\.\d+\.\d+/ });
  c.store.db.close();
  const down = await c.app.inject({ url: '/healthz' });
  t.equal(down.statusCode, 503);
  t.equal(down.json().error, 'storage_unavailable');
});

t.test('numbers too large to represent are a 400, not a 500', async (t) => {
  const c = await testCollector(t);
  for (const query of ['limit=1e309', 'offset=-1e309', 'limit=Infinity']) {
    for (const path of ['/api/v1/hosts', '/api/v1/audit', '/api/v1/tenants/default/findings']) {
      const res = await c.app.inject({ method: 'GET', url: `${path}?${query}`, headers: c.admin });
      t.equal(res.statusCode, 400, `${path}?${query}: ${res.body}`);
      t.match(res.json(), { error: 'invalid_request', message: /must be a finite number/ });
    }
  }
  const name = await c.app.inject({
    method: 'GET',
    url: '/api/v1/software?name=Infinity',
    headers: c.admin,
  });
  t.equal(name.statusCode, 200, 'a text parameter may say Infinity');
});
