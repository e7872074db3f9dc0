// Ingest: the report ledger (duplicates, conflicts, across Store instances), hosts and their
// sections, software lists and resend requests, pending updates, samples, prune.
import type { Test } from 'tap';
import { newReportId, type SoftwareSection } from '@vcio/shared';
import { samplePerformance, sampleSystem } from '@vcio/shared/testing';
import { dpkg, hashOnly, outbox, patches, patchSource, pending, software } from '../sections.js';
import type { StoreFactory } from './harness.js';
import { enrolledAgent, ingest, minutes, report, storedHost, T0, tenant } from './fixtures.js';

export function ingestSuite(t: Test, factory: StoreFactory): void {
  t.test('a report id is stored once; another agent reusing it is a conflict', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const other = await enrolledAgent(store, a.id, 'm-2');
    const r = report(agent, { performance: samplePerformance(1) });
    const first = await ingest(store, agent, r);
    t.equal(first.status, 'stored');
    t.same(await ingest(store, agent, r), { status: 'duplicate', resend: [] });
    t.same(await ingest(store, other, { ...r, host: { machineId: 'm-2', hostname: 'x' } }), {
      status: 'conflict',
    });
    const history = await store.hosts.performanceHistory(storedHost(first), T0, 10);
    t.equal(history.length, 1, 'one sample: the duplicate wrote nothing');
    t.same((await store.hosts.listHosts({ limit: 10, offset: 0 })).total, 1);
  });

  t.test('U+0000 in a report: stored, as itself or as U+FFFD, never refused', async (t) => {
    // PostgreSQL text cannot hold U+0000 (SQLite can): the PostgreSQL store writes U+FFFD.
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-nul');
    const performance = samplePerformance(1);
    performance.filesystems[0]!.mount = '/mnt/a\u0000b';
    const quick = report(agent, { performance }, { hostname: 'a\u0000b' });
    const first = await ingest(store, agent, quick);
    t.equal(first.status, 'stored', 'a performance report (the batched path)');
    // The text "\\u0000" (a backslash, then u0000) is not a NUL and stays as it was.
    const listed = software([dpkg('lib\u0000x', '1.0'), dpkg('lib\\u0000y', '1.0')]);
    const full = report(
      agent,
      { software: listed },
      { hostname: 'a\u0000b', collectedAt: minutes(1) },
    );
    t.equal((await ingest(store, agent, full)).status, 'stored', 'a software list');
    const host = await store.hosts.getHost(storedHost(first), { softwareItems: true });
    const nul = (text: string | undefined) => text?.replace('\uFFFD', '\u0000');
    t.equal(nul(host?.hostname), 'a\u0000b');
    const stored = host?.sections.software?.data as SoftwareSection | undefined;
    t.same(
      stored?.items?.map((item) => nul(item.name)),
      ['lib\u0000x', 'lib\\u0000y'],
    );
    const [sample] = await store.hosts.performanceHistory(storedHost(first), T0, 10);
    const [mount] = (sample?.detail.filesystems ?? []) as { mount: string }[];
    t.equal(nul(mount?.mount), '/mnt/a\u0000b');
  });

  t.test('the same report in one batch twice: stored, then duplicate', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const r = report(agent, { performance: samplePerformance(1) });
    const outcomes = await Promise.all([ingest(store, agent, r), ingest(store, agent, r)]);
    t.same(
      outcomes.map((o) => o.status),
      ['stored', 'duplicate'],
    );
  });

  t.test('the same reports sent to two Store instances at once are stored once', async (t) => {
    const db = await factory.open(t);
    const other = await db.another();
    const a = await tenant(db.store, 'a');
    const agents = await Promise.all(
      Array.from({ length: 4 }, (_, i) => enrolledAgent(db.store, a.id, `m-${i}`)),
    );
    const reports = agents.flatMap((agent, i) =>
      Array.from({ length: 10 }, (_, n) =>
        report(agent, { performance: samplePerformance(i * 10 + n) }, { collectedAt: minutes(n) }),
      ),
    );
    const outcomes = await Promise.all(
      reports.flatMap((r, i) => {
        const agent = agents[Math.floor(i / 10)]!;
        return [ingest(db.store, agent, r), ingest(other, agent, r)];
      }),
    );
    const counts = { stored: 0, duplicate: 0, conflict: 0 };
    for (const o of outcomes) counts[o.status]++;
    t.same(counts, { stored: 40, duplicate: 40, conflict: 0 });
    for (let i = 0; i < reports.length; i++) {
      t.same(
        [outcomes[2 * i]!.status, outcomes[2 * i + 1]!.status].sort(),
        ['duplicate', 'stored'],
        `report ${i}: once`,
      );
    }
    const { hosts, total } = await db.store.hosts.listHosts({ limit: 10, offset: 0 });
    t.equal(total, 4, 'one host per machine');
    for (const host of hosts) {
      t.equal((await other.hosts.performanceHistory(host.id, T0, 100)).length, 10);
    }
  });

  t.test(
    'hosts: upserted by machine, sections kept as the latest, older reports change nothing newer',
    async (t) => {
      const { store } = await factory.open(t);
      const a = await tenant(store, 'a');
      const b = await tenant(store, 'b');
      const agent = await enrolledAgent(store, a.id, 'm-1');
      const system = sampleSystem('web-1', 1);
      const hostId = storedHost(
        await ingest(
          store,
          agent,
          report(
            agent,
            { system, performance: samplePerformance(1), outbox: outbox() },
            { hostname: 'web-1' },
          ),
          minutes(1),
        ),
      );
      // A later report without a system section: the OS columns stay, the hostname follows.
      const later = await ingest(
        store,
        agent,
        report(
          agent,
          { performance: samplePerformance(2), outbox: { queued: 0, dropped: 1 } },
          {
            collectedAt: minutes(10),
            hostname: 'web-1b',
          },
        ),
        minutes(11),
      );
      t.equal(storedHost(later), hostId, 'the same host');
      // A late report from the queue: its sections do not replace newer ones.
      await ingest(
        store,
        agent,
        report(
          agent,
          { outbox: { queued: 9, dropped: 9 } },
          { collectedAt: minutes(5), hostname: 'web-1b' },
        ),
        minutes(12),
      );
      const host = (await store.hosts.getHost(hostId))!;
      t.equal(host.hostname, 'web-1b');
      t.equal(host.tenantSlug, 'a');
      t.equal(host.machineId, 'm-1');
      t.equal(host.agentId, agent.id);
      t.same(host.os, {
        platform: system.os.platform,
        distro: system.os.distro,
        release: system.os.release,
      });
      t.same(host.firstSeen, minutes(1));
      t.same(host.lastSeen, minutes(12));
      t.same(host.lastReportAt, minutes(10), 'the newest collectedAt, not the late one');
      t.equal(host.posture, null, 'not assessed');
      t.same(host.sections.system, { collectedAt: T0, data: system });
      t.same(host.sections.outbox, { collectedAt: minutes(10), data: { queued: 0, dropped: 1 } });
      t.notOk(host.sections.performance, 'performance is a time series, not a section');
      t.same(host.latestPerformance?.collectedAt, minutes(10));
      t.same(host.latestPerformance?.detail, {
        filesystems: samplePerformance(2).filesystems,
        network: samplePerformance(2).network,
      });
      t.equal(host.latestPerformance?.memoryTotalBytes, samplePerformance(2).memory.totalBytes);
      const history = await store.hosts.performanceHistory(hostId, minutes(2), 10);
      t.same(
        history.map((s) => s.collectedAt),
        [minutes(10)],
        'since, newest first',
      );
      t.equal(await store.hosts.getHost('h-none'), null);

      // The same machine id in another tenant is another host.
      const agentB = await enrolledAgent(store, b.id, 'm-1');
      const hostB = storedHost(await ingest(store, agentB, report(agentB, { outbox: outbox() })));
      t.not(hostB, hostId);
      const page = await store.hosts.listHosts({ limit: 1, offset: 1 });
      t.same(
        [page.total, page.hosts.map((h) => h.tenantSlug)],
        [2, ['b']],
        'by tenant slug, paged',
      );
      t.same(
        (await store.hosts.listHosts({ tenantId: b.id, limit: 5, offset: 0 })).hosts.map(
          (h) => h.id,
        ),
        [hostB],
      );
      t.equal(
        (await store.hosts.listHosts({ siteId: null, limit: 5, offset: 0 })).total,
        2,
        'in no site',
      );
      t.equal((await store.hosts.listHosts({ siteId: 's-x', limit: 5, offset: 0 })).total, 0);
    },
  );

  t.test('software: stored as rows, hash-only reports, resend requests, late lists', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const list = software([dpkg('openssl', '3.0.11-1~deb12u2'), dpkg('curl', '7.88.1-10+deb12u5')]);

    // A hash the collector does not hold: asked for the whole list.
    const unknown = await ingest(store, agent, report(agent, { software: hashOnly(list) }));
    t.same(unknown.status === 'stored' && unknown.resend, ['software']);
    const hostId = storedHost(unknown);
    t.notOk((await store.hosts.getHost(hostId))?.sections.software, 'nothing stored yet');
    const retried = report(agent, { software: hashOnly(list) }, { collectedAt: minutes(1) });
    t.same((await ingest(store, agent, retried)).status === 'stored', true);
    t.same(
      await ingest(store, agent, retried),
      { status: 'duplicate', resend: ['software'] },
      'a retried hash-only report is asked again',
    );

    const full = await ingest(
      store,
      agent,
      report(agent, { software: list }, { collectedAt: minutes(2) }),
    );
    t.same(full.status === 'stored' && full.resend, []);
    let host = (await store.hosts.getHost(hostId))!;
    t.same(host.sections.software, {
      collectedAt: minutes(2),
      data: {
        hash: list.hash,
        count: 2,
        updatedAt: minutes(2),
        sources: list.sources,
        items: list.items,
      },
    });
    t.same((await store.hosts.getHost(hostId, { softwareItems: false }))?.sections.software?.data, {
      hash: list.hash,
      count: 2,
      updatedAt: minutes(2),
      sources: list.sources,
      items: null,
    });

    // The hash alone now: nothing to resend; a changed source status is kept.
    const sources = [{ source: 'dpkg', ok: false, error: 'dpkg-query: lock', count: 0 }];
    const confirm = await ingest(
      store,
      agent,
      report(agent, { software: { ...hashOnly(list), sources } }, { collectedAt: minutes(3) }),
    );
    t.same(confirm.status === 'stored' && confirm.resend, []);
    host = (await store.hosts.getHost(hostId))!;
    t.same(host.sections.software?.data, {
      hash: list.hash,
      count: 2,
      updatedAt: minutes(2),
      sources,
      items: list.items,
    });

    // An older, different list from the queue does not replace the newer one, and a
    // hash-only report older than what is held is not asked for its list.
    const old = software([dpkg('openssl', '3.0.9-1')]);
    const late = await ingest(
      store,
      agent,
      report(agent, { software: old }, { collectedAt: minutes(1) }),
    );
    t.same(late.status === 'stored' && late.resend, []);
    const lateHash = await ingest(
      store,
      agent,
      report(agent, { software: hashOnly(old) }, { collectedAt: minutes(1) }),
    );
    t.same(lateHash.status === 'stored' && lateHash.resend, []);
    t.equal(
      ((await store.hosts.getHost(hostId))?.sections.software?.data as { hash: string }).hash,
      list.hash,
      'the newer list is kept',
    );

    // A newer, changed list replaces the rows whole; an empty list is a list.
    const changed = software([dpkg('openssl', '3.0.15-1~deb12u1')]);
    await ingest(store, agent, report(agent, { software: changed }, { collectedAt: minutes(4) }));
    host = (await store.hosts.getHost(hostId))!;
    t.same((host.sections.software?.data as { items: unknown }).items, changed.items);
    const empty = software([]);
    await ingest(store, agent, report(agent, { software: empty }, { collectedAt: minutes(5) }));
    host = (await store.hosts.getHost(hostId))!;
    t.same(host.sections.software?.data, {
      hash: empty.hash,
      count: 0,
      updatedAt: minutes(5),
      sources: empty.sources,
      items: [],
    });
  });

  t.test('pending updates follow the patches section; a failed source has none', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const libcurl = pending('libcurl4', '7.88.1-10+deb12u14', '7.88.1-10+deb12u15', {
      security: true,
      severity: 'important',
      advisories: ['DSA-5587-1', 'CVE-2024-2398'],
      restartRequired: false,
      releasedAt: '2025-06-24T14:36:25+02:00',
    });
    const first = patches([
      patchSource('apt', [
        libcurl,
        pending('bash', '5.2.15-2+b8', '5.2.15-2+b13', { security: false }),
      ]),
      patchSource('yum', [pending('kernel', '1', '2')], { ok: false, error: 'yum: lock held' }),
      patchSource('softwareupdate', [pending('Safari', '17.1', '17.2')], {
        checkedAt: 'not a time',
      }),
    ]);
    const hostId = storedHost(
      await ingest(store, agent, report(agent, { patches: first }, { collectedAt: minutes(1) })),
    );
    const { total, updates } = await store.inventory.findPendingUpdates({ limit: 10, offset: 0 });
    t.equal(total, 3);
    t.same(
      updates.map((u) => [u.manager, u.name]),
      [
        ['apt', 'libcurl4'],
        ['apt', 'bash'],
        ['softwareupdate', 'Safari'],
      ],
    );
    t.same(updates[0], {
      hostId,
      hostname: agent.hostname,
      tenantId: a.id,
      tenant: 'a',
      manager: 'apt',
      checkedAt: new Date('2026-11-27T08:00:00Z'),
      name: 'libcurl4',
      kb: null,
      currentVersion: '7.88.1-10+deb12u14',
      availableVersion: '7.88.1-10+deb12u15',
      security: true,
      severity: 'important',
      classification: null,
      advisories: ['DSA-5587-1', 'CVE-2024-2398'],
      restartRequired: false,
      releasedAt: new Date('2025-06-24T12:36:25Z'),
    });
    t.same(updates[2]!.checkedAt, minutes(1), 'an unreadable time: the report’s');
    t.same(updates[2]!.security, null);
    t.same(
      (
        await store.inventory.findPendingUpdates({ security: true, limit: 10, offset: 0 })
      ).updates.map((u) => u.name),
      ['libcurl4'],
    );
    t.same(
      (
        await store.inventory.findPendingUpdates({ security: false, limit: 10, offset: 0 })
      ).updates.map((u) => u.name),
      ['bash'],
    );
    t.equal(
      (await store.inventory.findPendingUpdates({ severity: 'important', limit: 10, offset: 0 }))
        .total,
      1,
    );
    t.same(
      await store.inventory.findPendingUpdates({ limit: 10, offset: 10 }),
      { total: 3, updates: [] },
      'past the end',
    );
    t.same(await store.inventory.findPendingUpdates({ tenantId: 't-none', limit: 10, offset: 0 }), {
      total: 0,
      updates: [],
    });

    // An older patches section changes nothing; a newer one replaces the rows.
    await ingest(
      store,
      agent,
      report(agent, { patches: patches([]) }, { collectedAt: minutes(0) }),
    );
    t.equal((await store.inventory.findPendingUpdates({ limit: 10, offset: 0 })).total, 3);
    await ingest(
      store,
      agent,
      report(
        agent,
        { patches: patches([patchSource('apt', [libcurl])]) },
        { collectedAt: minutes(2) },
      ),
    );
    t.same(
      (await store.inventory.findPendingUpdates({ limit: 10, offset: 0 })).updates.map(
        (u) => u.name,
      ),
      ['libcurl4'],
    );
    t.same(
      (await store.hosts.getHost(hostId))?.sections.patches?.data,
      patches([patchSource('apt', [libcurl])]),
    );
  });

  t.test('prune removes old samples and report ids; a pruned id may be stored again', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const old = new Date('2020-01-01T00:00:00Z');
    const oldReport = report(
      agent,
      { performance: samplePerformance(1) },
      { collectedAt: old, reportId: newReportId(old.getTime()) },
    );
    await ingest(store, agent, oldReport, old);
    for (let i = 0; i < 3; i++) {
      await ingest(
        store,
        agent,
        report(agent, { performance: samplePerformance(i) }, { collectedAt: minutes(i) }),
        minutes(i),
      );
    }
    t.equal(
      await store.reports.prune(new Date('2021-01-01T00:00:00Z')),
      2,
      'one sample, one ledger row',
    );
    const host = (await store.hosts.listHosts({ limit: 1, offset: 0 })).hosts[0]!;
    t.equal((await store.hosts.performanceHistory(host.id, old, 10)).length, 3);
    t.equal(
      await store.reports.prune(new Date('2021-01-01T00:00:00Z')),
      0,
      'nothing left to prune',
    );
    t.equal((await ingest(store, agent, oldReport, old)).status, 'stored', 'the ledger forgot it');

    // The retention rule, whichever store: a ledger row goes once its received AND its
    // collected time are past the cut-off. Received long ago but collected (by a clock
    // running ahead) after the cut-off: kept, so a resend cannot store its sample twice.
    const ahead = report(
      agent,
      { performance: samplePerformance(9) },
      { collectedAt: new Date('2022-01-01T00:00:00Z') },
    );
    await ingest(store, agent, ahead, old);
    await store.reports.prune(new Date('2021-01-01T00:00:00Z'));
    t.equal(
      (await ingest(store, agent, ahead, old)).status,
      'duplicate',
      'a report collected after the cut-off is still known',
    );
  });
}
