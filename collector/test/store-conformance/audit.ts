// The audit log.
import type { Test } from 'tap';
import type { NewAuditEntry } from '../../src/store/types.js';
import type { StoreFactory } from './harness.js';
import { minutes, tenant } from './fixtures.js';

export function auditSuite(t: Test, factory: StoreFactory): void {
  t.test('audit: appended, newest first, filtered by tenant, time and action, paged', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const entry = (i: number, overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
      at: minutes(i),
      actorTokenId: 'at-1',
      actorName: 'ops',
      action: 'tenant.rename',
      tenantId: a.id,
      targetType: 'tenant',
      targetId: a.id,
      detail: { name: `name ${i}`, nested: { n: i } },
      ...overrides,
    });
    for (let i = 0; i < 5; i++) await store.audit.append(entry(i));
    await store.audit.append(
      entry(5, {
        tenantId: null,
        action: 'api_token.create',
        actorTokenId: null,
        actorName: 'cli (root)',
      }),
    );

    const all = await store.audit.query({ limit: 10, offset: 0 });
    t.equal(all.total, 6);
    t.same(
      all.entries.map((e) => e.at.getTime()),
      [5, 4, 3, 2, 1, 0].map((i) => minutes(i).getTime()),
    );
    t.same(all.entries[1]!.detail, { name: 'name 4', nested: { n: 4 } });
    t.equal(typeof all.entries[0]!.id, 'number');
    t.same(
      { ...all.entries[0], id: 0 },
      {
        id: 0,
        ...entry(5, {
          tenantId: null,
          action: 'api_token.create',
          actorTokenId: null,
          actorName: 'cli (root)',
        }),
      },
    );

    const tenantOnly = await store.audit.query({ tenantId: a.id, limit: 2, offset: 1 });
    t.equal(tenantOnly.total, 5);
    t.same(
      tenantOnly.entries.map((e) => e.detail.name),
      ['name 3', 'name 2'],
    );
    t.equal((await store.audit.query({ since: minutes(3), limit: 10, offset: 0 })).total, 3);
    t.equal(
      (await store.audit.query({ action: 'api_token.create', limit: 10, offset: 0 })).total,
      1,
    );
    const past = await store.audit.query({ tenantId: a.id, limit: 10, offset: 50 });
    t.same(past, { total: 5, entries: [] }, 'a page past the end still tells the total');
    t.same(await store.audit.query({ action: 'none', limit: 10, offset: 0 }), {
      total: 0,
      entries: [],
    });
  });
}
