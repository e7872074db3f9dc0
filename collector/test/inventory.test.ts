// The questions across hosts (/software, /updates) and the host view of the new sections.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { softwareHash, type SoftwareItem } from '@vcio/shared';
import { PENDING_UPDATES_QUERY, SOFTWARE_QUERY } from '../src/store/sqlite/inventory.js';
import { enrollIn, readOnlyToken, testCollector, type TestCollector } from './helpers.js';

const readToken = async (c: TestCollector, tenantId: string) => ({
  authorization: `Bearer ${await readOnlyToken(c, tenantId)}`,
});
import {
  DEBIAN_OPENSSL_TEAM,
  dpkg,
  hostKeyOf,
  outbox,
  patches,
  patchSource,
  pending,
  reportWith,
  security,
  send,
  software,
} from './sections.js';

/**
 * A small fleet: openssl as Debian 12 shipped it over time, Ubuntu 22.04's, a Windows
 * build of OpenSSL (registry name in another case), and a host whose version is unknown.
 */
async function fleet(t: { teardown(fn: () => unknown): void }) {
  const c = await testCollector(t);
  const acme = { id: randomUUID(), slug: 'acme', name: 'Acme', createdAt: new Date() };
  await c.store.tenants.createTenant(acme);
  const hosts: [string, string | null, SoftwareItem[]][] = [
    ['deb-old', 'default', [dpkg('openssl', '3.0.11-1~deb12u2', DEBIAN_OPENSSL_TEAM)]],
    ['deb-new', 'default', [dpkg('openssl', '3.0.13-1~deb12u1', DEBIAN_OPENSSL_TEAM)]],
    ['deb-now', 'default', [dpkg('openssl', '3.0.19-1~deb12u2', DEBIAN_OPENSSL_TEAM)]],
    ['jammy', 'acme', [dpkg('openssl', '3.0.2-0ubuntu1.15'), dpkg('curl', '7.81.0-1ubuntu1.16')]],
    [
      'win',
      'acme',
      [
        {
          name: 'OpenSSL',
          version: '3.0.12',
          publisher: 'OpenSSL Win64 Installer Team',
          installedAt: null,
          arch: null,
          source: 'registry-64',
        },
      ],
    ],
    ['mystery', 'default', [dpkg('openssl', null)]],
  ];
  for (const [machineId, tenant, items] of hosts) {
    const agent =
      tenant === 'acme' ? await enrollIn(c, acme.id, machineId) : await c.enroll(machineId);
    const res = await send(
      c,
      agent,
      reportWith(agent, machineId, { software: software(items) }, { hostname: machineId }),
    );
    if (res.statusCode !== 202) throw new Error(res.body);
  }
  return { c, acme };
}

const get = (c: TestCollector, url: string, headers: Record<string, string> = c.admin) =>
  c.app.inject({ url, headers });

const hostnames = (body: { hosts: { hostname: string }[] }) => body.hosts.map((h) => h.hostname);

t.test('hosts with a package below a version, with real Debian versions', async (t) => {
  const { c } = await fleet(t);
  const res = await get(c, '/api/v1/software?name=openssl&below=3.0.13-1~deb12u1');
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  // 3.0.11-1~deb12u2 < 3.0.13-1~deb12u1, 3.0.12 < ..., 3.0.2 < ...; 3.0.19 and unknown not.
  t.same(hostnames(body), ['jammy', 'win', 'deb-old'], 'by tenant slug, then hostname');
  t.equal(body.total, 3);
  t.same(body.hosts[2], {
    hostId: hostKeyOf(c, 'deb-old').id,
    hostname: 'deb-old',
    tenantId: c.secrets.tenant.id,
    tenant: 'default',
    name: 'openssl',
    version: '3.0.11-1~deb12u2',
    arch: 'amd64',
    source: 'dpkg',
  });
  t.equal(body.hosts[1].name, 'OpenSSL', 'the name matches without regard to case');
  t.equal(body.below, '3.0.13-1~deb12u1');

  const exact = await get(c, '/api/v1/software?name=openssl&below=3.0.11-1~deb12u2');
  t.same(hostnames(exact.json()), ['jammy'], 'below is strict: 3.0.11-1~deb12u2 is not listed');

  const any = await get(c, '/api/v1/software?name=OPENSSL');
  t.same(
    hostnames(any.json()),
    ['jammy', 'win', 'deb-new', 'deb-now', 'deb-old', 'mystery'],
    'without below: every host with it, unknown versions included',
  );
  t.equal(any.json().below, null);

  const dpkgOnly = await get(c, '/api/v1/software?name=openssl&below=4&source=dpkg');
  t.same(hostnames(dpkgOnly.json()), ['jammy', 'deb-new', 'deb-now', 'deb-old']);

  const acme = await get(c, '/api/v1/software?name=openssl&below=4&tenant=acme');
  t.same(hostnames(acme.json()), ['jammy', 'win']);

  const nobody = await get(c, '/api/v1/software?name=openssl-legacy');
  t.same(nobody.json().hosts, []);
  t.equal(nobody.json().total, 0);
});

t.test('pages carry the total, even past the end', async (t) => {
  const { c } = await fleet(t);
  const page = await get(c, '/api/v1/software?name=openssl&limit=2&offset=1');
  t.same(hostnames(page.json()), ['win', 'deb-new']);
  t.match(page.json(), { total: 6, limit: 2, offset: 1 });
  const past = await get(c, '/api/v1/software?name=openssl&limit=2&offset=50');
  t.match(past.json(), { total: 6, hosts: [] });
  const pastNothing = await get(c, '/api/v1/software?name=nothing&offset=50');
  t.match(pastNothing.json(), { total: 0, hosts: [] });
});

t.test('the below query is one statement on the name index', async (t) => {
  const { c } = await fleet(t);
  const sql = SOFTWARE_QUERY(['s.version_key < @below', 'h.tenant_id = @tenantId']);
  const plan = (
    c.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({
      name: 'openssl',
      below: 'x',
      tenantId: 'x',
      limit: 1,
      offset: 0,
    }) as { detail: string }[]
  ).map((r) => r.detail);
  t.ok(
    plan.some((d) => /host_software_by_name \(name=\? AND version_key<\?\)/.test(d)),
    plan.join('\n'),
  );
  const updatesPlan = (
    c.store.db
      .prepare(`EXPLAIN QUERY PLAN ${PENDING_UPDATES_QUERY(['u.security = @security'])}`)
      .all({ security: 1, limit: 1, offset: 0 }) as { detail: string }[]
  ).map((r) => r.detail);
  t.ok(
    updatesPlan.some((d) => /host_pending_updates_by_security \(security=\?\)/.test(d)),
    updatesPlan.join('\n'),
  );
});

t.test('a tenant-scoped token sees its tenant’s rows only', async (t) => {
  const { c, acme } = await fleet(t);
  const token = await readToken(c, acme.id);
  const mine = await get(c, '/api/v1/software?name=openssl', token);
  t.same(hostnames(mine.json()), ['jammy', 'win']);
  const theirs = await get(c, '/api/v1/software?name=openssl&tenant=default', token);
  t.equal(theirs.statusCode, 403);
  const updates = await get(c, '/api/v1/updates?tenant=default', token);
  t.equal(updates.statusCode, 403);
  t.equal((await get(c, '/api/v1/software?name=openssl', {})).statusCode, 401);
  t.equal((await get(c, '/api/v1/updates', {})).statusCode, 401);
  const unknownTenant = await get(c, '/api/v1/software?name=openssl&tenant=nope');
  t.equal(unknownTenant.statusCode, 404);
});

t.test('bad query parameters are 400s with the usual error body', async (t) => {
  const c = await testCollector(t);
  const cases: [string, RegExp][] = [
    ['/api/v1/software', /querystring must have required property 'name'/],
    ['/api/v1/software?name=', /querystring\/name/],
    ['/api/v1/software?name=x&below=', /querystring\/below/],
    ['/api/v1/software?name=x&below=%20%20', /querystring\/below/],
    [`/api/v1/software?name=x&below=${'1'.repeat(129)}`, /querystring\/below/],
    [`/api/v1/software?name=${'n'.repeat(257)}`, /querystring\/name/],
    ['/api/v1/software?name=x&source=Not%20A%20Source', /querystring\/source/],
    ['/api/v1/software?name=x&limit=0', /querystring\/limit/],
    ['/api/v1/software?name=x&limit=lots', /querystring\/limit/],
    ['/api/v1/software?name=x&offset=-1', /querystring\/offset/],
    ['/api/v1/software?name=x&version=1', /additional properties/],
    ['/api/v1/updates?security=maybe', /querystring\/security/],
    ['/api/v1/updates?severity=apocalyptic', /querystring\/severity/],
    ['/api/v1/updates?limit=10001', /querystring\/limit/],
    ['/api/v1/updates?kb=KB5034441', /additional properties/],
  ];
  for (const [url, message] of cases) {
    const res = await get(c, url);
    t.equal(res.statusCode, 400, `${url}: ${res.body}`);
    t.equal(res.json().error, 'invalid_request', url);
    t.match(res.json().message, message, url);
  }
});

t.test('pending updates across hosts: security, severity, tenant', async (t) => {
  const c = await testCollector(t);
  const acme = { id: randomUUID(), slug: 'acme', name: 'Acme', createdAt: new Date() };
  await c.store.tenants.createTenant(acme);
  const deb = await c.enroll('deb');
  const rhel = await enrollIn(c, acme.id, 'rhel');
  const libcurl = pending('libcurl4', '7.88.1-10+deb12u14', '7.88.1-10+deb12u15', {
    security: true,
    classification: 'bookworm-security',
  });
  const bash = pending('bash', '5.2.15-2+b8', '5.2.15-2+b13', { security: false });
  const dirsrv = pending('389-ds-base', '1.3.1.6-26.el7_0', '1.3.8.4-15.el7', {
    security: true,
    severity: 'important',
    advisories: ['RHSA-2014:1031', 'RHSA-2018:3127'],
    releasedAt: '2018-10-30T00:00:00Z',
    restartRequired: false,
  });
  const kernel = pending('kernel', '3.10.0-1160.el7', '3.10.0-1160.119.1.el7', {
    security: true,
    severity: 'critical',
  });
  await send(
    c,
    deb,
    reportWith(deb, 'deb', { patches: patches([patchSource('apt', [libcurl, bash])]) }),
  );
  await send(
    c,
    rhel,
    reportWith(rhel, 'rhel', { patches: patches([patchSource('yum', [dirsrv, kernel])]) }),
  );

  const all = (await get(c, '/api/v1/updates')).json();
  t.equal(all.total, 4);
  t.same(
    all.updates.map((u: { hostname: string; name: string }) => `${u.hostname}:${u.name}`),
    ['host-rhel:389-ds-base', 'host-rhel:kernel', 'host-deb:libcurl4', 'host-deb:bash'],
    'by tenant, host, then the order the source listed them',
  );

  const securityOnly = (await get(c, '/api/v1/updates?security=true')).json();
  t.same(
    securityOnly.updates.map((u: { name: string }) => u.name),
    ['389-ds-base', 'kernel', 'libcurl4'],
  );
  t.same(securityOnly.updates[0], {
    hostId: hostKeyOf(c, 'rhel').id,
    hostname: 'host-rhel',
    tenantId: acme.id,
    tenant: 'acme',
    manager: 'yum',
    checkedAt: '2026-11-27T08:00:00.000Z',
    name: '389-ds-base',
    kb: null,
    currentVersion: '1.3.1.6-26.el7_0',
    availableVersion: '1.3.8.4-15.el7',
    security: true,
    severity: 'important',
    classification: null,
    advisories: ['RHSA-2014:1031', 'RHSA-2018:3127'],
    restartRequired: false,
    releasedAt: '2018-10-30T00:00:00.000Z',
  });

  const critical = (await get(c, '/api/v1/updates?security=true&severity=critical')).json();
  t.same(
    critical.updates.map((u: { name: string }) => u.name),
    ['kernel'],
  );
  const notSecurity = (await get(c, '/api/v1/updates?security=false')).json();
  t.same(
    notSecurity.updates.map((u: { name: string }) => u.name),
    ['bash'],
  );
  const defaultOnly = (await get(c, '/api/v1/updates?tenant=default')).json();
  t.equal(defaultOnly.total, 2);
  const scoped = (await get(c, '/api/v1/updates', await readToken(c, acme.id))).json();
  t.same(
    scoped.updates.map((u: { hostname: string }) => u.hostname),
    ['host-rhel', 'host-rhel'],
  );
});

t.test('the host view: software from the tables, security, outbox, pending updates', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const items: SoftwareItem[] = [
    dpkg('openssl', '3.0.19-1~deb12u2', DEBIAN_OPENSSL_TEAM),
    {
      name: 'Google Chrome',
      version: '131.0.6778.86',
      publisher: 'Google LLC',
      installedAt: '2026-11-20T00:00:00Z',
      arch: null,
      source: 'registry-64',
    },
  ];
  const libcurl = pending('libcurl4', '7.88.1-10+deb12u14', '7.88.1-10+deb12u15', {
    security: true,
  });
  const collectedAt = new Date('2026-11-27T09:00:00Z');
  const res = await send(
    c,
    agent,
    reportWith(
      agent,
      'm-1',
      {
        software: software(items),
        security: security(),
        outbox: outbox(),
        patches: patches([patchSource('apt', [libcurl])]),
      },
      { collectedAt },
    ),
  );
  t.equal(res.statusCode, 202, res.body);
  const host = (await get(c, `/api/v1/hosts/${hostKeyOf(c, 'm-1').id}`)).json();
  t.match(host, { hostname: 'host-m-1', tenantSlug: 'default', latestPerformance: null });
  t.same(host.sections.software, {
    collectedAt: collectedAt.toISOString(),
    data: {
      hash: softwareHash(items),
      count: 2,
      updatedAt: collectedAt.toISOString(),
      sources: [{ source: 'dpkg', ok: true, error: null, count: 2 }],
      items,
    },
  });
  t.equal(softwareHash(host.sections.software.data.items), host.sections.software.data.hash);
  t.same(host.sections.security.data, security());
  t.same(host.sections.outbox.data, outbox());
  t.same(host.sections.patches.data.sources[0].pending, [libcurl]);
});
