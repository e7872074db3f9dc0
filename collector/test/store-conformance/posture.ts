// Posture: host attributes and tenant settings, risk acceptances, assessments with their
// findings opened, updated and resolved (with reasons), score history under the
// changed-or-new-day rule, tenant score inputs, findings queries, stale hosts; and two
// Store instances writing one host's assessment at once.
import type { Test } from 'tap';
import type { RiskAcceptanceRecord } from '../../src/store/types.js';
import type { StoreFactory } from './harness.js';
import { assessment, categories, finding, host } from './assessments.js';
import { minutes, T0, tenant } from './fixtures.js';

const HOUR = 60;
const DAY = 24 * HOUR;

export function postureSuite(t: Test, factory: StoreFactory): void {
  t.test('host attributes and tenant settings: defaults, set, replaced', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const hostId = await host(store, a.id, 'm-1');
    t.same(await store.posture.getHostAttributes(hostId), { role: null, purchaseDate: null });
    t.same(await store.posture.getHostAttributes('no-such-host'), {
      role: null,
      purchaseDate: null,
    });
    await store.posture.setHostAttributes(
      hostId,
      { role: 'server', purchaseDate: '2021-03-04' },
      'dana',
    );
    t.same(await store.posture.getHostAttributes(hostId), {
      role: 'server',
      purchaseDate: '2021-03-04',
    });
    await store.posture.setHostAttributes(hostId, { role: null, purchaseDate: null }, 'dana');
    t.same(await store.posture.getHostAttributes(hostId), { role: null, purchaseDate: null });

    t.same(await store.posture.getTenantSettings(a.id), {}, 'none recorded: empty');
    const settings = { endingSoonDays: 90, thresholds: { patchAgeDays: 21 } };
    await store.posture.setTenantSettings(a.id, settings as never, 'dana');
    t.same(await store.posture.getTenantSettings(a.id), settings);
    await store.posture.setTenantSettings(a.id, { serverWeight: 2 } as never, 'dana');
    t.same(await store.posture.getTenantSettings(a.id), { serverWeight: 2 }, 'replaced whole');
  });

  t.test('risk acceptances: newest first, revoked once, only within their tenant', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const hostId = await host(store, a.id, 'm-1');
    const acceptance = (
      id: string,
      tenantId: string,
      createdAt: Date,
      hostIdOrNull: string | null,
    ): RiskAcceptanceRecord => ({
      id,
      tenantId,
      hostId: hostIdOrNull,
      checkId: 'encryption-os-disk',
      reason: 'replaced next quarter',
      acceptedBy: 'dana',
      createdAt,
      expiresAt: minutes(30 * DAY),
      revokedAt: null,
      revokedBy: null,
    });
    const first = acceptance('ra-2', a.id, T0, hostId);
    const tied = acceptance('ra-1', a.id, T0, null);
    const newest = acceptance('ra-3', a.id, minutes(5), null);
    for (const x of [first, tied, newest, acceptance('ra-9', b.id, minutes(9), null)]) {
      await store.posture.addAcceptance(x);
    }
    await t.rejects(store.posture.addAcceptance(first), 'ids are unique');
    t.same(await store.posture.listAcceptances(a.id), [newest, tied, first], 'then by id');
    t.equal(await store.posture.revokeAcceptance(b.id, 'ra-1', 'eve', minutes(10)), false);
    t.equal(await store.posture.revokeAcceptance(a.id, 'ra-1', 'sam', minutes(10)), true);
    t.equal(await store.posture.revokeAcceptance(a.id, 'ra-1', 'sam', minutes(11)), false);
    t.equal(await store.posture.revokeAcceptance(a.id, 'ra-none', 'sam', minutes(11)), false);
    t.same((await store.posture.listAcceptances(a.id))[1], {
      ...tied,
      revokedAt: minutes(10),
      revokedBy: 'sam',
    });
    t.same(
      (await store.posture.listAcceptances(b.id)).map((x) => x.id),
      ['ra-9'],
    );
  });

  t.test(
    'recordHostPosture: changed or not, findings opened, kept, resolved with reasons',
    async (t) => {
      const { store } = await factory.open(t);
      const a = await tenant(store, 'a');
      const hostId = await host(store, a.id, 'web-1');
      const write = (at: Date, options: Parameters<typeof assessment>[3]) =>
        store.posture.recordHostPosture(assessment(hostId, a.id, at, options));

      const first = await write(T0, {
        score: 50,
        open: [
          finding('patch-age', 10, { severity: 'critical' }),
          finding('firewall-off', 5, { credit: 0.5 }),
          finding('av-stale', 3, { severity: 'low' }),
        ],
      });
      t.equal(first.changed, true, 'no previous assessment: changed');
      t.equal(first.previousScore, null);
      t.same(first.resolved, []);
      t.same(
        first.opened.map((f) => [f.checkId, f.severity, f.weight, f.credit, f.hostname]),
        [
          ['patch-age', 'critical', 10, 0, 'web-1'],
          ['firewall-off', 'high', 5, 0.5, 'web-1'],
          ['av-stale', 'low', 3, 0, 'web-1'],
        ],
        'in the order of the write, with the hostname',
      );
      t.ok(
        first.opened.every(
          (f) =>
            f.tenantId === a.id &&
            f.hostId === hostId &&
            f.openedAt.getTime() === T0.getTime() &&
            f.updatedAt.getTime() === T0.getTime() &&
            f.resolvedAt === null &&
            f.resolution === null &&
            Number.isInteger(f.id),
        ),
        'opened now, not resolved',
      );
      t.equal(new Set(first.opened.map((f) => f.id)).size, 3, 'distinct ids');
      const idOf = new Map(first.opened.map((f) => [f.checkId, f.id]));

      // Same scores an hour later: patch-age still open (new evidence), firewall-off now
      // accepted, av-stale unknown (kept open as it was).
      const second = await write(minutes(HOUR), {
        score: 50.0000001,
        open: [finding('patch-age', 12, { severity: 'critical', evidence: 'now 40 days' })],
        resolutions: { 'firewall-off': 'accepted' },
        unknown: ['av-stale'],
      });
      t.equal(second.changed, false, 'float noise is no change');
      t.equal(second.previousScore, 50);
      t.same(second.opened, []);
      t.same(
        second.resolved.map((f) => [f.id, f.checkId, f.resolution, f.resolvedAt, f.updatedAt]),
        [[idOf.get('firewall-off'), 'firewall-off', 'accepted', minutes(HOUR), minutes(HOUR)]],
      );
      const open = await store.posture.findings({
        tenantId: a.id,
        status: 'open',
        limit: 10,
        offset: 0,
      });
      t.equal(open.total, 2);
      t.same(
        open.findings.map((f) => [f.id, f.checkId, f.weight, f.evidence, f.openedAt, f.updatedAt]),
        [
          [idOf.get('patch-age'), 'patch-age', 12, 'now 40 days', T0, minutes(HOUR)],
          [idOf.get('av-stale'), 'av-stale', 3, 'av-stale failing', T0, T0],
        ],
        'the same finding updated in place; the unknown one untouched; heaviest first',
      );

      // Scores change: everything left resolves, by default as fixed.
      const third = await write(minutes(2 * HOUR), {
        score: 70,
        resolutions: { 'av-stale': 'not_applicable' },
      });
      t.equal(third.changed, true);
      t.equal(third.previousScore, 50.0000001);
      t.same(third.resolved.map((f) => [f.checkId, f.resolution]).sort(), [
        ['av-stale', 'not_applicable'],
        ['patch-age', 'fixed'],
      ]);
      const reopened = await write(minutes(3 * HOUR), {
        score: 70,
        open: [finding('patch-age', 10)],
      });
      t.equal(reopened.opened.length, 1);
      t.not(reopened.opened[0]!.id, idOf.get('patch-age'), 'a resolved finding is not reopened');

      const stored = await store.posture.getHostPosture(hostId);
      t.same(stored, assessment(hostId, a.id, minutes(3 * HOUR), { score: 70 }).posture);
      t.equal(await store.posture.getHostPosture('no-such-host'), null);
      t.same(
        (await store.posture.history('host', hostId, T0)).map((p) => [p.at, p.score]),
        [
          [T0, 50],
          [minutes(2 * HOUR), 70],
        ],
        'a point when the scores changed; none for an unchanged one on the same day',
      );
      await write(minutes(DAY), { score: 70 });
      t.same(
        (await store.posture.history('host', hostId, minutes(HOUR))).map((p) => [p.at, p.score]),
        [
          [minutes(2 * HOUR), 70],
          [minutes(DAY), 70],
        ],
        'unchanged on a new UTC day: a point; since: from then on',
      );
      t.same((await store.posture.history('host', hostId, T0))[0]!.categories, categories(50));
    },
  );

  t.test('findings: status, since, host, check and severity filters, order, paging', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const h1 = await host(store, a.id, 'h-1');
    const h2 = await host(store, a.id, 'h-2');
    const other = await host(store, b.id, 'h-b');
    const open = [finding('patch-age', 10), finding('av-stale', 3, { severity: 'low' })];
    await store.posture.recordHostPosture(assessment(h1, a.id, T0, { open }));
    await store.posture.recordHostPosture(assessment(h2, a.id, minutes(10), { open }));
    await store.posture.recordHostPosture(assessment(other, b.id, T0, { open }));
    // h1 fixes av-stale later
    await store.posture.recordHostPosture(
      assessment(h1, a.id, minutes(30), { open: [finding('patch-age', 10)] }),
    );
    const query = (q: Partial<Parameters<typeof store.posture.findings>[0]>) =>
      store.posture.findings({ tenantId: a.id, status: 'open', limit: 10, offset: 0, ...q });
    const rows = (r: Awaited<ReturnType<typeof query>>) =>
      r.findings.map((f) => `${f.hostname}/${f.checkId}`);

    const all = await query({ status: 'all' });
    t.equal(all.total, 4);
    t.same(
      rows(all),
      ['h-2/patch-age', 'h-1/patch-age', 'h-2/av-stale', 'h-1/av-stale'],
      'open first, heaviest, most recent',
    );
    t.same(rows(await query({})), ['h-2/patch-age', 'h-1/patch-age', 'h-2/av-stale']);
    t.same(rows(await query({ status: 'resolved' })), ['h-1/av-stale']);
    t.same(rows(await query({ since: minutes(5) })), ['h-2/patch-age', 'h-2/av-stale']);
    t.same(rows(await query({ status: 'resolved', since: minutes(31) })), []);
    t.same(
      rows(await query({ status: 'all', since: minutes(20) })),
      ['h-1/av-stale'],
      'all + since: opened or resolved since',
    );
    t.same(rows(await query({ hostId: h1, status: 'all' })), ['h-1/patch-age', 'h-1/av-stale']);
    t.same(rows(await query({ checkId: 'av-stale' })), ['h-2/av-stale']);
    t.same(rows(await query({ severity: 'low', status: 'all' })), ['h-2/av-stale', 'h-1/av-stale']);
    const page = await query({ status: 'all', limit: 2, offset: 1 });
    t.same([page.total, rows(page)], [4, ['h-1/patch-age', 'h-2/av-stale']]);
    const past = await query({ status: 'all', limit: 2, offset: 10 });
    t.same([past.total, past.findings], [4, []], 'past the end: the total still');
    t.same(
      await store.posture.findings({ tenantId: 't-none', status: 'all', limit: 5, offset: 0 }),
      { total: 0, findings: [] },
    );
  });

  t.test('tenant history, score inputs, assessments and open findings by check', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const point = (at: Date, score: number | null) => ({
      at,
      score,
      categories: categories(score),
    });
    t.equal(await store.posture.recordTenantPosture(a.id, point(T0, 60)), true, 'first: changed');
    t.equal(await store.posture.recordTenantPosture(a.id, point(minutes(5), 60)), false);
    t.equal(await store.posture.recordTenantPosture(a.id, point(minutes(6), 61)), true);
    t.equal(
      await store.posture.recordTenantPosture(a.id, point(minutes(DAY), 61)),
      false,
      'a new day, unchanged: not changed, but a point',
    );
    t.equal(await store.posture.recordTenantPosture(a.id, point(minutes(DAY + 1), null)), true);
    t.same(
      (await store.posture.history('tenant', a.id, T0)).map((p) => [p.at, p.score]),
      [
        [T0, 60],
        [minutes(6), 61],
        [minutes(DAY), 61],
        [minutes(DAY + 1), null],
      ],
    );
    t.same(await store.posture.history('host', a.id, T0), [], 'scopes are apart');

    const h1 = await host(store, a.id, 'h-1');
    const h2 = await host(store, a.id, 'h-2');
    await host(store, a.id, 'never-assessed');
    await store.posture.recordHostPosture(
      assessment(h1, a.id, T0, {
        score: 40,
        role: 'server',
        open: [finding('patch-age', 10, { severity: 'critical' }), finding('av-stale', 2)],
      }),
    );
    await store.posture.recordHostPosture(
      assessment(h2, a.id, T0, {
        score: null,
        categories: { ...categories(null), patching: 20 },
        open: [finding('patch-age', 4, { severity: 'medium' })],
      }),
    );
    const byHost = <T extends { hostId: string }>(list: T[]) =>
      [...list].sort((x, y) => (x.hostId < y.hostId ? -1 : 1));
    t.same(
      byHost(await store.posture.tenantScoreInputs(a.id)),
      byHost([
        { hostId: h1, score: 40, role: 'server', categories: categories(40) },
        {
          hostId: h2,
          score: null,
          role: 'workstation',
          categories: { ...categories(null), patching: 20 },
        },
      ]),
      'assessed hosts only',
    );
    t.same(
      byHost(await store.posture.listHostPostures(a.id)).map((p) => [p.hostId, p.score]),
      byHost([
        { hostId: h1, score: 40 },
        { hostId: h2, score: null },
      ]).map((p) => [p.hostId, p.score]),
    );
    t.same(await store.posture.listHostPostures('t-none'), []);
    const byCheck = await store.posture.openFindingsByCheck(a.id);
    t.same(
      [...byCheck].sort((x, y) => (x.checkId < y.checkId ? -1 : 1)),
      [
        { checkId: 'av-stale', hosts: 1, severity: 'high', weight: 2 },
        { checkId: 'patch-age', hosts: 2, severity: 'critical', weight: 10 },
      ],
      'hosts with it open; the heaviest weight and its severity',
    );
  });

  t.test('staleHosts: never assessed first, then the oldest assessment; a limit', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const old = await host(store, a.id, 'old');
    const recent = await host(store, a.id, 'recent');
    const never = await host(store, a.id, 'never');
    await store.posture.recordHostPosture(assessment(old, a.id, T0));
    await store.posture.recordHostPosture(assessment(recent, a.id, minutes(2 * HOUR)));
    t.same(await store.posture.staleHosts(minutes(HOUR), 10), [never, old]);
    t.same(await store.posture.staleHosts(minutes(3 * HOUR), 10), [never, old, recent]);
    t.same(await store.posture.staleHosts(minutes(3 * HOUR), 1), [never]);
    t.same(await store.posture.staleHosts(T0, 10), [never], 'assessed at the cut-off: not stale');
  });

  t.test(
    "two Store instances writing one host's assessment at once: each finding opened once",
    async (t) => {
      const db = await factory.open(t);
      const second = await db.another();
      const a = await tenant(db.store, 'a');
      const hostId = await host(db.store, a.id, 'h-1');
      const write = assessment(hostId, a.id, T0, {
        open: [finding('patch-age', 10), finding('av-stale', 3)],
      });
      await Promise.all([db.store, second].map((s) => s.posture.getHostPosture(hostId)));
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? db.store : second).posture.recordHostPosture(write),
        ),
      );
      t.same(
        outcomes.map((o) => [o.changed, o.opened.length]).sort(),
        [
          [false, 0],
          [false, 0],
          [false, 0],
          [false, 0],
          [false, 0],
          [true, 2],
        ],
        'one saw no previous assessment and opened both; the others found them',
      );
      const open = await second.posture.findings({
        tenantId: a.id,
        status: 'open',
        limit: 10,
        offset: 0,
      });
      t.equal(open.total, 2);
      t.equal((await db.store.posture.history('host', hostId, T0)).length, 1);
      const tenantPoints = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? db.store : second).posture.recordTenantPosture(a.id, {
            at: T0,
            score: 10,
            categories: categories(10),
          }),
        ),
      );
      t.equal(tenantPoints.filter(Boolean).length, 1, 'one tenant point is the change');
    },
  );
}
