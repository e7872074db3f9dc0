// Vendors and technology: software by publisher and product with the versions in use
// (version sprawl), unsupported key software, hardware by manufacturer and model with age,
// OS distribution; on a fixed fleet of two tenants, through the API and technologyOverview.
import t from 'tap';
import { hardwareAgeYears, type SoftwareItem } from '@vcio/shared';
import { sampleSystem } from '@vcio/shared/testing';
import { technologyOverview, ageSummary } from '../src/technology/overview.js';
import { sqliteTechnologyStore } from '../src/store/sqlite/technology.js';
import { workerTechnologyStore } from '../src/store/sqlite/technology-thread.js';
import { enrollIn, readOnlyToken, testCollector, type TestCollector } from './helpers.js';
import { DEBIAN_OPENSSL_TEAM, dpkg, reportWith, send, software } from './sections.js';

const CURL_TEAM = 'Alessandro Ghedini <ghedo@debian.org>';
const JS_TEAM = 'Debian Javascript Maintainers <pkg-javascript-devel@alioth-lists.debian.net>';

interface FleetHost {
  machineId: string;
  manufacturer: string;
  model: string;
  bios: string;
  virtual: boolean;
  release: string;
  items: SoftwareItem[];
}

/** Ubuntu 18.04 ended in 2023 and 26.04 is supported into 2031: states that stay put. */
const FLEET_A: FleetHost[] = [
  {
    machineId: 'ws-01',
    manufacturer: 'Dell Inc.',
    model: 'Latitude 5420',
    bios: '2019-03-01',
    virtual: false,
    release: '18.04.6 LTS',
    items: [
      dpkg('openssl', '3.0.11-1~deb12u2', DEBIAN_OPENSSL_TEAM),
      dpkg('curl', '7.88.1-10+deb12u5', CURL_TEAM),
      dpkg('nodejs', '16.20.2', JS_TEAM),
    ],
  },
  {
    machineId: 'ws-02',
    manufacturer: 'Dell Inc.',
    model: 'Latitude 5420',
    bios: '2023-09-12',
    virtual: false,
    release: '26.04 LTS',
    items: [
      dpkg('openssl', '3.0.13-1~deb12u1', DEBIAN_OPENSSL_TEAM),
      dpkg('curl', '7.88.1-10+deb12u5', CURL_TEAM),
      dpkg('nodejs', '16.20.2', JS_TEAM),
    ],
  },
  {
    machineId: 'ws-03',
    manufacturer: 'LENOVO',
    model: 'ThinkPad T14 Gen 2',
    bios: '2021-06-01',
    virtual: false,
    release: '26.04 LTS',
    items: [dpkg('openssl', '3.0.11-1~deb12u2', DEBIAN_OPENSSL_TEAM)],
  },
  {
    machineId: 'vm-01',
    manufacturer: 'QEMU',
    model: 'Standard PC (Q35 + ICH9, 2009)',
    bios: '2014-04-01',
    virtual: true,
    release: '26.04 LTS',
    items: [dpkg('openssl', null, DEBIAN_OPENSSL_TEAM)],
  },
];

const FLEET_B: FleetHost[] = [
  {
    machineId: 'hp-01',
    manufacturer: 'HP',
    model: 'EliteBook 840 G5',
    bios: '2018-01-15',
    virtual: false,
    release: '18.04.6 LTS',
    items: [
      dpkg('openssl', '1.1.1w-0+deb11u1', DEBIAN_OPENSSL_TEAM),
      dpkg('nodejs', '12.22.12', JS_TEAM),
    ],
  },
];

async function addHost(c: TestCollector, tenantId: string, h: FleetHost) {
  const agent = await enrollIn(c, tenantId, h.machineId);
  const system = sampleSystem(h.machineId);
  system.os = { ...system.os, distro: 'Ubuntu', release: h.release };
  system.hardware = {
    ...system.hardware,
    manufacturer: h.manufacturer,
    model: h.model,
    virtual: h.virtual,
    bios: { ...system.hardware.bios, releaseDate: h.bios },
  };
  const res = await send(
    c,
    agent,
    reportWith(
      agent,
      h.machineId,
      { system, software: software(h.items) },
      { hostname: h.machineId },
    ),
  );
  if (res.statusCode !== 202) throw new Error(`report for ${h.machineId}: ${res.body}`);
}

async function fleet(t: Parameters<typeof testCollector>[0]) {
  const c = await testCollector(t);
  const tenants = {
    a: { id: 'tenant-a', slug: 'acme', name: 'Acme' },
    b: { id: 'tenant-b', slug: 'globex', name: 'Globex' },
  };
  for (const tenant of Object.values(tenants)) {
    await c.store.tenants.createTenant({ ...tenant, createdAt: new Date() });
  }
  for (const h of FLEET_A) await addHost(c, tenants.a.id, h);
  for (const h of FLEET_B) await addHost(c, tenants.b.id, h);
  await c.app.posture.idle();
  return {
    c,
    tenants,
    readA: `Bearer ${await readOnlyToken(c, tenants.a.id)}`,
    readB: `Bearer ${await readOnlyToken(c, tenants.b.id)}`,
  };
}

const get = (c: TestCollector, url: string, authorization: string) =>
  c.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization } });

const ageOf = (bios: string) =>
  hardwareAgeYears({ purchaseDate: null, firmwareDate: bios }, new Date())!;

t.test(
  'software by publisher and product: versions in use, hosts per version, sprawl',
  async (t) => {
    const { c, readA } = await fleet(t);
    const res = await get(c, '/tenants/acme/technology?part=software', readA);
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.equal(body.total, 3);
    t.same(
      body.products,
      [
        {
          publisher: CURL_TEAM,
          name: 'curl',
          hosts: 2,
          versionCount: 1,
          versions: [{ version: '7.88.1-10+deb12u5', hosts: 2 }],
        },
        {
          publisher: JS_TEAM,
          name: 'nodejs',
          hosts: 2,
          versionCount: 1,
          versions: [{ version: '16.20.2', hosts: 2 }],
        },
        {
          publisher: DEBIAN_OPENSSL_TEAM,
          name: 'openssl',
          hosts: 4,
          // two versions and one host whose package database gave none
          versionCount: 3,
          versions: [
            { version: '3.0.11-1~deb12u2', hosts: 2 },
            { version: '3.0.13-1~deb12u1', hosts: 1 },
            { version: null, hosts: 1 },
          ],
        },
      ],
      'ordered by publisher then product; versions oldest first; the other tenant absent',
    );
    t.notOk(res.body.includes('1.1.1w'), "tenant B's openssl is not counted");
    t.same(
      body.unsupported,
      [
        {
          product: 'nodejs',
          cycle: '16',
          label: body.unsupported[0]?.label,
          eol: body.unsupported[0]?.eol,
          state: 'end_of_life',
          hosts: 2,
        },
      ],
      'Node.js 16 is past its end of life on two hosts (from the lifecycle results)',
    );
    t.match(body.unsupported[0], { label: /Node\.js 16/, eol: /^\d{4}-\d{2}-\d{2}$/ });

    const sprawl = (
      await get(c, '/tenants/acme/technology?part=software&sort=versions', readA)
    ).json();
    t.equal(sprawl.products[0].name, 'openssl', 'sort=versions puts the most versions first');
    const byHosts = (
      await get(c, '/tenants/acme/technology?part=software&sort=hosts&limit=1', readA)
    ).json();
    t.match(byHosts, { total: 3, limit: 1, products: [{ name: 'openssl', hosts: 4 }] });
    const second = (
      await get(c, '/tenants/acme/technology?part=software&sort=hosts&limit=1&offset=1', readA)
    ).json();
    t.equal(second.products.length, 1);
    t.not(second.products[0].name, 'openssl', 'the second page continues the list');
    const past = (await get(c, '/tenants/acme/technology?part=software&offset=50', readA)).json();
    t.match(past, { total: 3, products: [] }, 'a page past the end still has the total');

    const filtered = (
      await get(c, '/tenants/acme/technology?part=software&name=SSL', readA)
    ).json();
    t.same(
      filtered.products.map((p: { name: string }) => p.name),
      ['openssl'],
      'name filters by substring, any case',
    );
    const byPublisher = (
      await get(c, '/tenants/acme/technology?part=software&publisher=javascript', readA)
    ).json();
    t.same(
      byPublisher.products.map((p: { name: string }) => p.name),
      ['nodejs'],
    );
    const literal = (await get(c, '/tenants/acme/technology?part=software&name=%25', readA)).json();
    t.equal(literal.total, 0, 'a % in the filter is a literal character, not a wildcard');
  },
);

t.test(
  'the grouped software follows each change of a list (kept only while unchanged)',
  async (t) => {
    const { c, tenants, readA } = await fleet(t);
    const openssl = async () =>
      (await get(c, '/tenants/acme/technology?part=software&name=openssl', readA)).json()
        .products[0];
    t.match(await openssl(), { hosts: 4, versionCount: 3 });
    t.match(
      await openssl(),
      { hosts: 4, versionCount: 3 },
      'the same answer from the kept grouping',
    );
    // ws-03 upgrades openssl and installs curl
    const agent = await enrollIn(c, tenants.a.id, 'ws-03');
    const items = [
      dpkg('openssl', '3.0.13-1~deb12u1', DEBIAN_OPENSSL_TEAM),
      dpkg('curl', '7.88.1-10+deb12u5', CURL_TEAM),
    ];
    const res = await send(
      c,
      agent,
      reportWith(agent, 'ws-03', { software: software(items) }, { hostname: 'ws-03' }),
    );
    t.equal(res.statusCode, 202, res.body);
    t.same((await openssl()).versions, [
      { version: '3.0.11-1~deb12u2', hosts: 1 },
      { version: '3.0.13-1~deb12u1', hosts: 2 },
      { version: null, hosts: 1 },
    ]);
    const curl = (await get(c, '/tenants/acme/technology?part=software&name=curl', readA)).json();
    t.match(curl.products, [{ name: 'curl', hosts: 3 }]);
  },
);

t.test('hardware by manufacturer and model with age; OS distribution with lifecycle', async (t) => {
  const { c, readA } = await fleet(t);
  const hardware = (await get(c, '/tenants/acme/technology?part=hardware', readA)).json();
  const dellAges = [ageOf('2019-03-01'), ageOf('2023-09-12')].sort((a, b) => a - b);
  t.same(hardware.hardware, [
    {
      manufacturer: 'Dell Inc.',
      model: 'Latitude 5420',
      hosts: 2,
      virtual: 0,
      age: {
        min: dellAges[0],
        median: (dellAges[0]! + dellAges[1]!) / 2,
        max: dellAges[1],
        hosts: 2,
      },
    },
    {
      manufacturer: 'LENOVO',
      model: 'ThinkPad T14 Gen 2',
      hosts: 1,
      virtual: 0,
      age: {
        min: ageOf('2021-06-01'),
        median: ageOf('2021-06-01'),
        max: ageOf('2021-06-01'),
        hosts: 1,
      },
    },
    // a VM's firmware date is its hypervisor's: counted, not aged
    {
      manufacturer: 'QEMU',
      model: 'Standard PC (Q35 + ICH9, 2009)',
      hosts: 1,
      virtual: 1,
      age: null,
    },
  ]);
  t.notOk(JSON.stringify(hardware).includes('EliteBook'), "tenant B's hardware is absent");

  const os = (await get(c, '/tenants/acme/technology?part=os', readA)).json();
  t.equal(os.os.length, 2);
  t.match(os.os[0], {
    platform: 'linux',
    distro: 'Ubuntu',
    release: '26.04 LTS',
    hosts: 3,
    states: { supported: 3, ending_soon: 0, end_of_life: 0, unknown: 0 },
  });
  t.match(os.os[1], {
    release: '18.04.6 LTS',
    hosts: 1,
    eol: /^20\d\d-/,
    states: { supported: 0, end_of_life: 1 },
  });
});

t.test('the overview H9 reports from, and its API answer', async (t) => {
  const { c, tenants, readA } = await fleet(t);
  const overview = await technologyOverview(c.store, tenants.a.id);
  t.match(overview, {
    tenant: { id: 'tenant-a', slug: 'acme', name: 'Acme' },
    hosts: 4,
    software: {
      products: 3,
      mostInstalled: [{ name: 'openssl', hosts: 4 }, {}, {}],
      mostVersions: [{ name: 'openssl', versionCount: 3 }],
      unsupported: [{ product: 'nodejs', cycle: '16', hosts: 2 }],
    },
    hardware: [
      { model: 'Latitude 5420' },
      { model: 'ThinkPad T14 Gen 2' },
      { manufacturer: 'QEMU' },
    ],
    os: [{ release: '26.04 LTS' }, { release: '18.04.6 LTS' }],
  });
  t.equal(overview.software.mostVersions.length, 1, 'single-version products are no sprawl');
  await t.rejects(technologyOverview(c.store, 'acme'), /no tenant acme/, 'takes a tenant id');
  await t.rejects(technologyOverview(c.store, 'nope'), /no tenant nope/);

  const res = await get(c, '/tenants/acme/technology', readA);
  t.equal(res.statusCode, 200);
  t.match(res.json(), { tenant: { slug: 'acme' }, hosts: 4, software: { products: 3 } });
  const b = (await get(c, '/tenants/globex/technology', c.admin.authorization)).json();
  t.match(b, {
    hosts: 1,
    software: { products: 2, unsupported: [{ product: 'nodejs', cycle: '12' }] },
  });
});

t.test('permissions and bad input', async (t) => {
  const { c, readA, readB } = await fleet(t);
  t.equal((await get(c, '/tenants/acme/technology', c.admin.authorization)).statusCode, 200);
  t.equal((await get(c, '/tenants/tenant-a/technology', readA)).statusCode, 200, 'by id too');
  for (const part of ['', '?part=software', '?part=hardware', '?part=os']) {
    const res = await get(c, `/tenants/acme/technology${part}`, readB);
    t.equal(res.statusCode, 404, `another tenant's token: 404 (${part || 'overview'})`);
    t.notOk(res.body.includes('Latitude'));
  }
  const anonymous = await c.app.inject({ method: 'GET', url: '/api/v1/tenants/acme/technology' });
  t.equal(anonymous.statusCode, 401);
  t.equal((await get(c, '/tenants/nope/technology', c.admin.authorization)).statusCode, 404);

  const bad = [
    '?part=vendors',
    '?part=software&limit=0',
    '?part=software&sort=size',
    '?part=software&unknown=1',
    '?name=openssl',
    '?part=os&publisher=Dell',
  ];
  for (const q of bad) {
    const res = await get(c, `/tenants/acme/technology${q}`, readA);
    t.equal(res.statusCode, 400, q);
    t.match(
      res.json(),
      { error: 'invalid_request', message: /\w/ },
      `${q}: an error that says why`,
    );
  }
});

t.test(
  'the grouping runs in a worker thread: same answers, clear errors, stopped on close',
  async (t) => {
    const { c, tenants } = await fleet(t);
    // The collector's store delegates to a worker; the same store on this thread must agree.
    const here = sqliteTechnologyStore(c.store.db);
    const query = { tenantId: tenants.a.id, sort: 'hosts' as const, limit: 10, offset: 0 };
    const fromWorker = await c.store.technology.softwareProducts(query);
    t.equal(fromWorker.total, 3);
    t.same(fromWorker, await here.softwareProducts(query), 'software products');
    t.same(
      await c.store.technology.unsupportedSoftware(tenants.a.id),
      await here.unsupportedSoftware(tenants.a.id),
      'unsupported software',
    );
    t.same(
      await c.store.technology.hardwareModels(tenants.a.id),
      await here.hardwareModels(tenants.a.id),
      'hardware models',
    );
    t.same(
      await c.store.technology.osDistribution(tenants.a.id),
      await here.osDistribution(tenants.a.id),
      'OS distribution',
    );

    // A worker of its own on the same file: it answers, then is stopped for good.
    const own = workerTechnologyStore(c.store.path);
    t.match(await own.osDistribution(tenants.a.id), [{ hosts: 3 }, { hosts: 1 }]);
    const pending = t.rejects(
      own.hardwareModels(tenants.a.id),
      /technology worker was stopped/,
      'a question out at close fails',
    );
    await own.close();
    await pending;
    await t.rejects(own.osDistribution(tenants.a.id), /store is closed/, 'none after close');

    // A database that cannot be opened is an error answer, not a hang or a crash.
    const missing = workerTechnologyStore(`${c.dataDir}/no-such.db`);
    t.teardown(() => missing.close());
    await t.rejects(
      missing.hardwareModels(tenants.a.id),
      /unable to open|no such file|does not exist/i,
    );
  },
);

t.test('ageSummary', async (t) => {
  t.equal(ageSummary([]), null);
  t.same(ageSummary([4]), { min: 4, median: 4, max: 4, hosts: 1 });
  t.same(ageSummary([1, 2, 9]), { min: 1, median: 2, max: 9, hosts: 3 });
  t.same(ageSummary([1, 2, 3, 9]), { min: 1, median: 2.5, max: 9, hosts: 4 });
});
