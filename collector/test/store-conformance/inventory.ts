// Software across hosts: exact name (ASCII case-insensitive), below a version, by tenant
// and package database, paged with totals, in the same order in both stores.
import type { Test } from 'tap';
import type { SoftwareItem } from '@vcio/shared';
import { dpkg, software } from '../sections.js';
import type { StoreFactory } from './harness.js';
import { enrolledAgent, ingest, report, tenant } from './fixtures.js';

export function inventorySuite(t: Test, factory: StoreFactory): void {
  t.test('findSoftware: name, below a version, tenant, source, paging', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const rpm = (name: string, version: string | null): SoftwareItem => ({
      ...dpkg(name, version),
      source: 'rpm',
      arch: 'x86_64',
    });
    const hosts: [string, string, SoftwareItem[]][] = [
      [a.id, 'web-2', [dpkg('openssl', '3.0.11-1~deb12u2'), dpkg('curl', '7.88.1')]],
      [a.id, 'web-1', [dpkg('OpenSSL', '1.1.1n-0+deb11u5'), dpkg('openssl', null)]],
      [b.id, 'db-1', [rpm('openssl', '1:3.0.7-27.el9')]],
      // Non-ASCII letters are not folded (as SQLite's NOCASE): "ÖPENSSL" is another name.
      [b.id, 'db-2', [dpkg('ÖPENSSL', '1.0'), dpkg('öpenssl', '1.0')]],
    ];
    for (const [tenantId, machine, items] of hosts) {
      const agent = await enrolledAgent(store, tenantId, machine);
      await ingest(
        store,
        agent,
        report(agent, { software: software(items) }, { hostname: machine }),
      );
    }
    const all = await store.inventory.findSoftware({ name: 'OPENSSL', limit: 10, offset: 0 });
    t.equal(all.total, 4);
    t.same(
      all.matches.map((m) => [m.tenant, m.hostname, m.name, m.version, m.source]),
      [
        ['a', 'web-1', 'openssl', null, 'dpkg'],
        ['a', 'web-1', 'OpenSSL', '1.1.1n-0+deb11u5', 'dpkg'],
        ['a', 'web-2', 'openssl', '3.0.11-1~deb12u2', 'dpkg'],
        ['b', 'db-1', 'openssl', '1:3.0.7-27.el9', 'rpm'],
      ],
      'by tenant, hostname, then version (unknown first)',
    );
    t.same(
      (
        await store.inventory.findSoftware({
          name: 'openssl',
          below: '3.0.0',
          limit: 10,
          offset: 0,
        })
      ).matches.map((m) => m.version),
      ['1.1.1n-0+deb11u5'],
      'below: by version order, not text; unknown versions never match; the epoch counts',
    );
    t.equal(
      (
        await store.inventory.findSoftware({
          name: 'openssl',
          tenantId: b.id,
          limit: 10,
          offset: 0,
        })
      ).total,
      1,
    );
    t.same(
      (await store.inventory.findSoftware({ name: 'openssl', source: 'rpm', limit: 10, offset: 0 }))
        .matches[0]?.arch,
      'x86_64',
    );
    const page = await store.inventory.findSoftware({ name: 'openssl', limit: 2, offset: 2 });
    t.same([page.total, page.matches.map((m) => m.hostname)], [4, ['web-2', 'db-1']]);
    t.same(await store.inventory.findSoftware({ name: 'openssl', limit: 2, offset: 9 }), {
      total: 4,
      matches: [],
    });
    t.equal(
      (await store.inventory.findSoftware({ name: 'öpenssl', limit: 10, offset: 0 })).total,
      1,
    );
    t.same(await store.inventory.findSoftware({ name: 'nothing', limit: 10, offset: 0 }), {
      total: 0,
      matches: [],
    });
  });
}
