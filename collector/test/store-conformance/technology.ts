// Vendors and technology: software by publisher and product (versions in use, sprawl,
// filters, sorts, paging, refreshed when a host's list changes), key releases past or near
// their end of support, hardware models with ages, OS distribution with lifecycle states.
import type { Test } from 'tap';
import type { LifecycleResult, Report, SoftwareItem } from '@vcio/shared';
import { samplePerformance, sampleSystem } from '@vcio/shared/testing';
import { dpkg, software } from '../sections.js';
import type { ConformanceStore, StoreFactory } from './harness.js';
import { assessment, detail, type DetailOptions } from './assessments.js';
import { enrolledAgent, ingest, minutes, report, storedHost, T0, tenant } from './fixtures.js';

const OPENSSL = 'OpenSSL Team <openssl@example.org>';
const CURL = 'Curl Team <curl@example.org>';
const JS = 'JS Team <js@example.org>';

interface FleetHost {
  machineId: string;
  /** null: no system section reported */
  system: { manufacturer: string; model: string; virtual: boolean; release: string } | null;
  items: SoftwareItem[];
  /** null: never assessed */
  assessed: DetailOptions | null;
}

const eol = (product: string, cycle: string, state: LifecycleResult['state']) =>
  ({
    product,
    cycle,
    label: `${product} ${cycle}`,
    eol: state === 'supported' ? '2030-01-01' : '2025-12-31',
    state,
    source: 'endoflife.date',
  }) satisfies LifecycleResult;

const FLEET: FleetHost[] = [
  {
    machineId: 'ws-3',
    system: { manufacturer: 'LENOVO', model: 'ThinkPad T14', virtual: false, release: '26.04' },
    items: [dpkg('openssl', '3.0.11', OPENSSL), dpkg('nodejs', '9.11.2', JS), dpkg('bash', '5.2')],
    assessed: {
      os: 'supported',
      osLabel: 'Ubuntu 26.04',
      ageYears: 4,
      software: [eol('nodejs', '9', 'end_of_life'), eol('curl', '7', 'supported')],
    },
  },
  {
    machineId: 'ws-1',
    system: { manufacturer: 'Dell Inc.', model: 'Latitude 5420', virtual: false, release: '18.04' },
    items: [
      dpkg('openssl', '3.0.11', OPENSSL),
      dpkg('curl', '7.88.1', CURL),
      dpkg('nodejs', '16.20.2', JS),
    ],
    assessed: {
      os: 'end_of_life',
      osLabel: 'Ubuntu 18.04',
      ageYears: 7,
      software: [eol('nodejs', '16', 'end_of_life')],
    },
  },
  {
    machineId: 'ws-2',
    system: { manufacturer: 'Dell Inc.', model: 'Latitude 5420', virtual: false, release: '26.04' },
    items: [
      dpkg('openssl', '3.0.13', OPENSSL),
      dpkg('curl', '7.88.1', CURL),
      dpkg('nodejs', '16.20.2', JS),
    ],
    assessed: {
      os: 'supported',
      osLabel: 'Ubuntu 26.04',
      ageYears: 2,
      software: [eol('nodejs', '16', 'end_of_life'), eol('openssl', '3.0', 'ending_soon')],
    },
  },
  {
    machineId: 'vm-1',
    system: { manufacturer: 'QEMU', model: 'Standard PC', virtual: true, release: '26.04' },
    items: [dpkg('openssl', null, OPENSSL)],
    // a VM's age is its hypervisor's firmware: never counted
    assessed: { os: 'supported', osLabel: 'Ubuntu 26.04', ageYears: 12, virtual: true },
  },
  { machineId: 'bare-1', system: null, items: [], assessed: null },
];

function sectionsOf(h: FleetHost): Report['sections'] {
  const sections: Report['sections'] = { performance: samplePerformance() };
  if (h.items.length > 0) sections.software = software(h.items);
  if (h.system) {
    const system = sampleSystem(h.machineId);
    system.os = { ...system.os, distro: 'Ubuntu', release: h.system.release };
    system.hardware = {
      ...system.hardware,
      manufacturer: h.system.manufacturer,
      model: h.system.model,
      virtual: h.system.virtual,
    };
    sections.system = system;
  }
  return sections;
}

async function fleet(store: ConformanceStore) {
  const a = await tenant(store, 'a');
  const b = await tenant(store, 'b');
  const agents = new Map<string, Awaited<ReturnType<typeof enrolledAgent>>>();
  const add = async (tenantId: string, h: FleetHost) => {
    const agent = await enrolledAgent(store, tenantId, h.machineId);
    agents.set(h.machineId, agent);
    const hostId = storedHost(
      await ingest(store, agent, report(agent, sectionsOf(h), { hostname: h.machineId })),
    );
    if (h.assessed) {
      await store.posture.recordHostPosture(
        assessment(hostId, tenantId, T0, { detail: detail(h.assessed) }),
      );
    }
  };
  for (const h of FLEET) await add(a.id, h);
  await add(b.id, {
    machineId: 'hp-1',
    system: { manufacturer: 'HP', model: 'EliteBook', virtual: false, release: '18.04' },
    items: [dpkg('openssl', '1.1.1w', OPENSSL)],
    assessed: { os: 'end_of_life', ageYears: 8, software: [eol('nodejs', '12', 'end_of_life')] },
  });
  return { a, b, agents };
}

export function technologySuite(t: Test, factory: StoreFactory): void {
  t.test('software products: versions in use, sprawl, sorts, filters, paging', async (t) => {
    const { store } = await factory.open(t);
    const { a, b, agents } = await fleet(store);
    const query = (q: Partial<Parameters<typeof store.technology.softwareProducts>[0]> = {}) =>
      store.technology.softwareProducts({
        tenantId: a.id,
        sort: 'name',
        limit: 50,
        offset: 0,
        ...q,
      });
    const byName = await query();
    t.equal(byName.total, 4);
    t.same(
      byName.products,
      [
        {
          publisher: null,
          name: 'bash',
          hosts: 1,
          versionCount: 1,
          versions: [{ version: '5.2', hosts: 1 }],
        },
        {
          publisher: CURL,
          name: 'curl',
          hosts: 2,
          versionCount: 1,
          versions: [{ version: '7.88.1', hosts: 2 }],
        },
        {
          publisher: JS,
          name: 'nodejs',
          hosts: 3,
          versionCount: 2,
          versions: [
            { version: '9.11.2', hosts: 1 },
            { version: '16.20.2', hosts: 2 },
          ],
        },
        {
          publisher: OPENSSL,
          name: 'openssl',
          hosts: 4,
          versionCount: 3,
          versions: [
            { version: '3.0.11', hosts: 2 },
            { version: '3.0.13', hosts: 1 },
            { version: null, hosts: 1 },
          ],
        },
      ],
      'no publisher first; versions oldest first by version order, unknown last',
    );
    const names = (r: Awaited<ReturnType<typeof query>>) => r.products.map((p) => p.name);
    t.same(names(await query({ sort: 'hosts' })), ['openssl', 'nodejs', 'curl', 'bash']);
    t.same(names(await query({ sort: 'versions' })), ['openssl', 'nodejs', 'curl', 'bash']);
    t.same(names(await query({ publisher: 'team' })), ['curl', 'nodejs', 'openssl']);
    t.same(names(await query({ name: 'SSL' })), ['openssl'], 'ASCII case-insensitive');
    const page = await query({ sort: 'hosts', limit: 2, offset: 1 });
    t.same([page.total, names(page)], [4, ['nodejs', 'curl']]);
    t.same(
      names(
        await store.technology.softwareProducts({
          tenantId: b.id,
          sort: 'name',
          limit: 5,
          offset: 0,
        }),
      ),
      ['openssl'],
    );
    t.same(
      await store.technology.softwareProducts({
        tenantId: 't-none',
        sort: 'name',
        limit: 5,
        offset: 0,
      }),
      { total: 0, products: [] },
    );

    // A host's list changes: the next answer has it (no stale grouping).
    const ws3 = agents.get('ws-3')!;
    const items = [dpkg('curl', '8.0.0', CURL), dpkg('bash', '5.2')];
    await ingest(
      store,
      ws3,
      report(ws3, { software: software(items) }, { hostname: 'ws-3', collectedAt: minutes(5) }),
    );
    const after = await query({ name: 'curl' });
    t.same(after.products[0]?.versions, [
      { version: '7.88.1', hosts: 2 },
      { version: '8.0.0', hosts: 1 },
    ]);
    t.same(
      (await query()).products.map((p) => [p.name, p.hosts]),
      [
        ['bash', 1],
        ['curl', 3],
        ['nodejs', 2],
        ['openssl', 3],
      ],
    );
  });

  t.test('unsupported key software, hardware models, OS distribution', async (t) => {
    const { store } = await factory.open(t);
    const { a, b } = await fleet(store);
    t.same(
      await store.technology.unsupportedSoftware(a.id),
      [
        {
          product: 'nodejs',
          cycle: '16',
          label: 'nodejs 16',
          eol: '2025-12-31',
          state: 'end_of_life',
          hosts: 2,
        },
        {
          product: 'nodejs',
          cycle: '9',
          label: 'nodejs 9',
          eol: '2025-12-31',
          state: 'end_of_life',
          hosts: 1,
        },
        {
          product: 'openssl',
          cycle: '3.0',
          label: 'openssl 3.0',
          eol: '2025-12-31',
          state: 'ending_soon',
          hosts: 1,
        },
      ],
      'end of life first, then most hosts; supported releases left out',
    );
    t.same(
      (await store.technology.unsupportedSoftware(b.id)).map((r) => [r.product, r.cycle, r.hosts]),
      [['nodejs', '12', 1]],
    );

    t.same(
      await store.technology.hardwareModels(a.id),
      [
        { manufacturer: 'Dell Inc.', model: 'Latitude 5420', hosts: 2, virtual: 0, ages: [2, 7] },
        { manufacturer: null, model: null, hosts: 1, virtual: 0, ages: [] },
        { manufacturer: 'LENOVO', model: 'ThinkPad T14', hosts: 1, virtual: 0, ages: [4] },
        { manufacturer: 'QEMU', model: 'Standard PC', hosts: 1, virtual: 1, ages: [] },
      ],
      'most hosts first; no system section: one (null, null) row; VMs have no age',
    );

    const os = await store.technology.osDistribution(a.id);
    t.same(
      os.map((r) => [r.platform, r.distro, r.release, r.hosts, r.label, r.states]),
      [
        [
          'linux',
          'Ubuntu',
          '26.04',
          3,
          'Ubuntu 26.04',
          { supported: 3, ending_soon: 0, end_of_life: 0, unknown: 0 },
        ],
        [null, null, null, 1, null, { supported: 0, ending_soon: 0, end_of_life: 0, unknown: 1 }],
        [
          'linux',
          'Ubuntu',
          '18.04',
          1,
          'Ubuntu 18.04',
          { supported: 0, ending_soon: 0, end_of_life: 1, unknown: 0 },
        ],
      ],
      'never assessed: unknown',
    );
    t.equal(os[0]!.eol, '2027-04-01');
    t.same(
      (await store.technology.osDistribution(b.id)).map((r) => [r.release, r.hosts]),
      [['18.04', 1]],
    );
    t.same(await store.technology.hardwareModels('t-none'), []);
    t.same(await store.technology.osDistribution('t-none'), []);
    t.same(await store.technology.unsupportedSoftware('t-none'), []);
  });
}
