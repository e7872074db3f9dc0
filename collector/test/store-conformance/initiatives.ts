// Initiatives: create, get, list and update (within their tenant), evaluation of check,
// lifecycle and hardware targets with host filters, progress points under the
// changed-or-new-day rule, and two Store instances recording one initiative's progress.
import type { Test } from 'tap';
import type { InitiativeRecord, InitiativeTarget } from '../../src/store/types.js';
import type { StoreFactory } from './harness.js';
import { assessment, detail, host, result, type DetailOptions } from './assessments.js';
import { minutes, T0, tenant } from './fixtures.js';

const DAY = 24 * 60;

function initiative(
  id: string,
  tenantId: string,
  overrides: Partial<InitiativeRecord> = {},
): InitiativeRecord {
  return {
    id,
    tenantId,
    title: 'Encrypt the fleet',
    owner: 'Dana (vCIO)',
    filter: {},
    target: { type: 'checks', checkIds: ['encryption-os-disk'] },
    startDate: '2026-11-27',
    dueDate: '2026-12-31',
    status: 'active',
    suggestionKey: null,
    createdAt: T0,
    createdBy: 'dana',
    updatedAt: T0,
    ...overrides,
  };
}

export function initiativesSuite(t: Test, factory: StoreFactory): void {
  t.test('create, get, list and update, each within its tenant', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const older = initiative('i-2', a.id, { suggestionKey: 'check-encryption-os-disk' });
    const tied = initiative('i-1', a.id, {
      filter: { platforms: ['windows'], roles: ['server'], hostIds: ['h-1'] },
      target: { type: 'lifecycle', os: 'supported' },
      status: 'done',
    });
    const newest = initiative('i-3', a.id, {
      createdAt: minutes(5),
      target: { type: 'hardware', notPastReplacement: true },
    });
    const elsewhere = initiative('i-9', b.id, { createdAt: minutes(9), status: 'done' });
    for (const i of [older, tied, newest, elsewhere]) await store.initiatives.create(i);
    await t.rejects(store.initiatives.create(older), 'ids are unique');

    t.same(await store.initiatives.get(a.id, 'i-1'), tied, 'filter and target as written');
    t.equal(await store.initiatives.get(b.id, 'i-1'), null, "not another tenant's");
    t.equal(await store.initiatives.get(a.id, 'i-none'), null);
    const ids = (list: InitiativeRecord[]) => list.map((i) => i.id);
    t.same(ids(await store.initiatives.list(a.id)), ['i-3', 'i-1', 'i-2'], 'newest first, then id');
    t.same(ids(await store.initiatives.list(a.id, 'done')), ['i-1']);
    t.same(ids(await store.initiatives.list(a.id, 'cancelled')), []);
    t.same(ids(await store.initiatives.list(null)), ['i-9', 'i-3', 'i-1', 'i-2'], 'every tenant');
    t.same(ids(await store.initiatives.list(null, 'done')), ['i-9', 'i-1']);

    const changed: InitiativeRecord = {
      ...older,
      title: 'Encrypt every laptop',
      owner: 'Sam',
      filter: { roles: ['workstation'] },
      target: { type: 'checks', checkIds: ['encryption-os-disk', 'firewall-off'] },
      startDate: '2026-12-01',
      dueDate: '2027-01-31',
      status: 'cancelled',
      updatedAt: minutes(30),
    };
    await store.initiatives.update({
      ...changed,
      suggestionKey: 'other',
      createdAt: minutes(99),
      createdBy: 'mallory',
    });
    t.same(
      await store.initiatives.get(a.id, 'i-2'),
      changed,
      'changed; its suggestion and creation are kept',
    );
    await store.initiatives.update({ ...elsewhere, tenantId: a.id, title: 'hijacked' });
    t.equal((await store.initiatives.get(b.id, 'i-9'))?.title, elsewhere.title, 'tenant-bound');
  });

  t.test('evaluate: checks, lifecycle and hardware targets; host filters', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const now = new Date('2026-01-01T12:00:00.000Z');
    const hosts: [string, DetailOptions, 'server' | 'workstation'][] = [
      // created out of hostname order: answers come by hostname
      ['s-3', { os: 'end_of_life', replacementDue: null, platform: 'windows' }, 'workstation'],
      ['s-1', { os: 'supported', replacementDue: '2027-01-01' }, 'workstation'],
      ['s-5', { os: 'supported', replacementDue: '2026-01-01' }, 'workstation'],
      ['s-2', { os: 'ending_soon', replacementDue: '2025-06-30' }, 'server'],
      ['s-4', { os: null, replacementDue: '2020-01-01', virtual: true }, 'workstation'],
    ];
    const encryption = {
      's-1': 'pass',
      's-2': 'fail',
      's-3': 'unknown',
      's-4': 'accepted',
      's-5': 'not_applicable',
    } as const;
    const id = new Map<string, string>();
    for (const [name, options, role] of hosts) {
      const hostId = await host(store, a.id, name);
      id.set(name, hostId);
      const results = [
        result('encryption-os-disk', encryption[name as keyof typeof encryption]),
        result('firewall-off', 'pass'),
      ];
      await store.posture.recordHostPosture(
        assessment(hostId, a.id, T0, { role, detail: detail({ ...options, results }) }),
      );
    }
    await host(store, a.id, 's-0-never-assessed');
    const other = await host(store, b.id, 's-1');
    await store.posture.recordHostPosture(
      assessment(other, b.id, T0, {
        detail: detail({ os: 'supported', results: [result('encryption-os-disk', 'fail')] }),
      }),
    );

    const evaluate = async (
      target: InitiativeTarget,
      filter: Parameters<typeof store.initiatives.evaluate>[1] = {},
    ) =>
      (await store.initiatives.evaluate(a.id, filter, target, now)).map(
        (r) => `${r.hostname}:${r.reason}:${r.met}`,
      );
    const rows = await store.initiatives.evaluate(
      a.id,
      {},
      { type: 'lifecycle', os: 'supported' },
      now,
    );
    t.same(rows[0], { hostId: id.get('s-1'), hostname: 's-1', met: true, reason: 'met' });

    t.same(
      await evaluate({ type: 'checks', checkIds: ['encryption-os-disk'] }),
      ['s-1:met:true', 's-2:failing:false', 's-3:unknown:false', 's-4:met:true'],
      'accepted counts as met; not applicable is out of scope',
    );
    t.same(
      await evaluate({ type: 'checks', checkIds: ['encryption-os-disk', 'firewall-off'] }),
      ['s-1:met:true', 's-2:failing:false', 's-3:unknown:false', 's-4:met:true', 's-5:met:true'],
      'in scope when any of the checks applies',
    );
    t.same(await evaluate({ type: 'checks', checkIds: ['identity-guest-enabled'] }), []);
    t.same(await evaluate({ type: 'lifecycle', os: 'not_end_of_life' }), [
      's-1:met:true',
      's-2:met:true',
      's-3:end_of_life:false',
      's-4:unknown:false',
      's-5:met:true',
    ]);
    t.same(await evaluate({ type: 'lifecycle', os: 'supported' }), [
      's-1:met:true',
      's-2:ending_soon:false',
      's-3:end_of_life:false',
      's-4:unknown:false',
      's-5:met:true',
    ]);
    t.same(
      await evaluate({ type: 'hardware', notPastReplacement: true }),
      [
        's-1:met:true',
        's-2:past_replacement:false',
        's-3:age_unknown:false',
        's-5:past_replacement:false',
      ],
      'VMs out of scope; due today is past',
    );
    const lifecycle: InitiativeTarget = { type: 'lifecycle', os: 'supported' };
    t.same(await evaluate(lifecycle, { roles: ['server'] }), ['s-2:ending_soon:false']);
    t.same(await evaluate(lifecycle, { platforms: ['windows'] }), ['s-3:end_of_life:false']);
    t.same(await evaluate(lifecycle, { hostIds: [id.get('s-1')!, id.get('s-5')!, other] }), [
      's-1:met:true',
      's-5:met:true',
    ]);
    t.same(await evaluate(lifecycle, { platforms: ['linux'], roles: ['workstation'] }), [
      's-1:met:true',
      's-4:unknown:false',
      's-5:met:true',
    ]);
    t.same(await evaluate(lifecycle, { platforms: [] }), [], 'an empty list matches nothing');
    t.same(
      await store.initiatives.evaluate('t-none', {}, lifecycle, now),
      [],
      'an unknown tenant: nothing',
    );
  });

  t.test('progress: a point when the counts change or on a new UTC day', async (t) => {
    const db = await factory.open(t);
    const { store } = db;
    const a = await tenant(store, 'a');
    await store.initiatives.create(initiative('i-1', a.id));
    await store.initiatives.create(initiative('i-2', a.id));
    const point = (at: Date, inScope: number, met: number) => ({ at, inScope, met });
    t.equal(await store.initiatives.recordProgress('i-1', point(T0, 4, 0)), true, 'first');
    t.equal(await store.initiatives.recordProgress('i-1', point(minutes(5), 4, 0)), false);
    t.equal(await store.initiatives.recordProgress('i-1', point(minutes(6), 4, 1)), true);
    t.equal(await store.initiatives.recordProgress('i-1', point(minutes(7), 5, 1)), true);
    t.equal(
      await store.initiatives.recordProgress('i-1', point(minutes(DAY), 5, 1)),
      true,
      'unchanged on a new day: a point',
    );
    t.same(await store.initiatives.progressHistory('i-1'), [
      point(T0, 4, 0),
      point(minutes(6), 4, 1),
      point(minutes(7), 5, 1),
      point(minutes(DAY), 5, 1),
    ]);
    t.same(await store.initiatives.progressHistory('i-2'), []);
    t.same(await store.initiatives.progressHistory('i-none'), []);

    // Two collectors (connections open) recording the same measurement at once.
    const second = await db.another();
    await Promise.all([store, second].map((s) => s.initiatives.progressHistory('i-2')));
    const recorded = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? store : second).initiatives.recordProgress('i-2', point(T0, 3, 1)),
      ),
    );
    t.equal(recorded.filter(Boolean).length, 1, 'two collectors at once: one point');
    t.same(await second.initiatives.progressHistory('i-2'), [point(T0, 3, 1)]);
  });
}
