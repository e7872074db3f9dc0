// Software and pending updates on ingest: lists become rows, hash-only reports cost a
// lookup, unknown hashes are asked for again, bad lists are refused, rows are replaced.
import t from 'tap';
import { softwareHash } from '@vcio/shared';
import { onceStorageRecovered, testCollector, type TestCollector } from './helpers.js';
import {
  count,
  DEBIAN_OPENSSL_TEAM,
  dpkg,
  hashOnly,
  hostKeyOf,
  patches,
  patchSource,
  pending,
  reportWith,
  send,
  software,
} from './sections.js';

const DAY = 86_400_000;
const at = (day: number) => new Date(Date.UTC(2026, 10, 1) + day * DAY);

const DEBIAN_12 = [
  dpkg('openssl', '3.0.19-1~deb12u2', DEBIAN_OPENSSL_TEAM),
  dpkg('libssl3', '3.0.19-1~deb12u2', DEBIAN_OPENSSL_TEAM),
  dpkg('curl', '7.88.1-10+deb12u14', 'Alessandro Ghedini <ghedo@debian.org>'),
];

function softwareRows(c: TestCollector, machineId: string) {
  return c.store.db
    .prepare('SELECT name, version, publisher FROM host_software WHERE host_key = ? ORDER BY item')
    .all(hostKeyOf(c, machineId).key) as {
    name: string;
    version: string | null;
    publisher: string | null;
  }[];
}

t.test('a full list, then the hash alone: stored once, not rewritten, nothing asked', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const full = software(DEBIAN_12);
  const first = await send(c, agent, reportWith(agent, 'm-1', { software: full }));
  t.equal(first.statusCode, 202, first.body);
  t.notOk('resend' in first.json(), 'no resend after a full list');
  t.same(
    softwareRows(c, 'm-1').map((r) => [r.name, r.version]),
    DEBIAN_12.map((i) => [i.name, i.version]),
  );
  t.equal(count(c, 'host_sections'), 0, 'the list is not kept a second time as JSON state');

  // A marker the collector would wipe if it rewrote the rows.
  c.store.db.prepare("UPDATE host_software SET publisher = 'marker' WHERE name = 'curl'").run();
  const again = await send(c, agent, reportWith(agent, 'm-1', { software: hashOnly(full) }));
  t.equal(again.statusCode, 202, again.body);
  t.same(again.json(), { reportId: again.json().reportId, duplicate: false, ignoredSections: [] });
  t.equal(softwareRows(c, 'm-1')[2]!.publisher, 'marker', 'a hash-only report rewrote nothing');

  // The whole list again with the same hash (an agent that lost its ack): still no rewrite.
  const resent = await send(c, agent, reportWith(agent, 'm-1', { software: full }));
  t.equal(resent.statusCode, 202);
  t.equal(softwareRows(c, 'm-1')[2]!.publisher, 'marker', 'an unchanged list is not rewritten');
  t.equal(count(c, 'reports'), 3, 'all three reports are in the ledger');
});

t.test('a hash the collector does not hold: accepted, and the list is asked for', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const unknown = hashOnly(software(DEBIAN_12));
  const report = reportWith(agent, 'm-1', { software: unknown, outbox: { queued: 0, dropped: 0 } });
  const res = await send(c, agent, report);
  t.equal(res.statusCode, 202, res.body);
  t.same(res.json().resend, ['software']);
  t.equal(count(c, 'reports'), 1, 'the report itself is stored');
  t.equal(count(c, 'host_sections'), 1, 'its other sections too');
  t.equal(count(c, 'host_software_state'), 0);

  const retried = await send(c, agent, report);
  t.equal(retried.json().duplicate, true);
  t.same(retried.json().resend, ['software'], 'a retry gets the answer it missed');

  // After the list arrives, a retry of the old report no longer asks for it.
  t.equal(
    (await send(c, agent, reportWith(agent, 'm-1', { software: software(DEBIAN_12) }))).statusCode,
    202,
  );
  const late = await send(c, agent, report);
  t.equal(late.json().duplicate, true);
  t.notOk('resend' in late.json());

  // Another list's hash: asked again.
  const changed = hashOnly(software(DEBIAN_12.slice(1)));
  const other = await send(c, agent, reportWith(agent, 'm-1', { software: changed }));
  t.same(other.json().resend, ['software']);
});

t.test('a duplicate of a report whose host is not cached still finds its state', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const report = reportWith(agent, 'm-1', { software: hashOnly(software(DEBIAN_12)) });
  t.same((await send(c, agent, report)).json().resend, ['software']);
  // A write that fails and rolls back clears the store's host cache.
  c.store.db.pragma('query_only = ON');
  t.equal((await send(c, agent, reportWith(agent, 'm-1', {}))).statusCode, 503);
  c.store.db.pragma('query_only = OFF');
  const retried = await onceStorageRecovered(() => send(c, agent, report));
  t.same(retried.json(), {
    reportId: report.reportId,
    duplicate: true,
    ignoredSections: [],
    resend: ['software'],
  });
});

t.test('a list that does not match its hash or count is refused with a 400', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const full = software(DEBIAN_12);

  const tampered = { ...full, items: [...full.items!.slice(0, 2), dpkg('curl', '7.88.1-10')] };
  const res = await send(c, agent, reportWith(agent, 'm-1', { software: tampered }));
  t.equal(res.statusCode, 400, res.body);
  t.equal(res.json().error, 'software_hash_mismatch');
  t.match(res.json().message, /sections\/software\/hash [0-9a-f]{64} is not the hash of/);

  const miscounted = { ...full, count: 4 };
  const bad = await send(c, agent, reportWith(agent, 'm-1', { software: miscounted }));
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, /count is 4 but sections\/software\/items holds 3 entries/);

  t.equal(count(c, 'reports'), 0, 'a refused report is not in the ledger');
  t.equal(count(c, 'host_software'), 0);

  // The hash covers the list exactly as sent, at the contract's bounds.
  const longest = dpkg('x'.repeat(256), '1'.repeat(128), 'p'.repeat(256));
  const atBounds = software([longest]);
  t.equal(atBounds.hash, softwareHash([longest]));
  const ok = await send(c, agent, reportWith(agent, 'm-1', { software: atBounds }));
  t.equal(ok.statusCode, 202, ok.body);
});

t.test('a new list replaces the host’s rows; other hosts keep theirs', async (t) => {
  const c = await testCollector(t);
  const a = await c.enroll('m-a');
  const b = await c.enroll('m-b');
  await send(c, a, reportWith(a, 'm-a', { software: software(DEBIAN_12) }, { collectedAt: at(0) }));
  await send(c, b, reportWith(b, 'm-b', { software: software(DEBIAN_12) }, { collectedAt: at(0) }));
  const upgraded = [dpkg('openssl', '3.0.20-1~deb12u1', DEBIAN_OPENSSL_TEAM), dpkg('jq', null)];
  const res = await send(
    c,
    a,
    reportWith(a, 'm-a', { software: software(upgraded) }, { collectedAt: at(1) }),
  );
  t.equal(res.statusCode, 202, res.body);
  t.same(
    softwareRows(c, 'm-a').map((r) => [r.name, r.version]),
    [
      ['openssl', '3.0.20-1~deb12u1'],
      ['jq', null],
    ],
    'replaced, not appended',
  );
  t.equal(softwareRows(c, 'm-b').length, 3);
  const state = c.store.db
    .prepare('SELECT hash, count, updated_at FROM host_software_state WHERE host_key = ?')
    .get(hostKeyOf(c, 'm-a').key);
  t.same(state, { hash: softwareHash(upgraded), count: 2, updated_at: at(1).getTime() });
  const keys = c.store.db
    .prepare('SELECT version_key FROM host_software WHERE host_key = ? ORDER BY item')
    .pluck()
    .all(hostKeyOf(c, 'm-a').key);
  t.match(keys[0], /^0000000000 #0000000003/, 'versions get their sort key');
  t.equal(keys[1], null, 'an unknown version has no key');

  // An empty list (every package removed, or a fresh image) is a list.
  await send(c, a, reportWith(a, 'm-a', { software: software([]) }, { collectedAt: at(2) }));
  t.same(softwareRows(c, 'm-a'), []);
});

t.test('an older report never replaces a newer list, nor asks for one', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const newer = software(DEBIAN_12);
  const older = software(DEBIAN_12.slice(0, 1));
  await send(c, agent, reportWith(agent, 'm-1', { software: newer }, { collectedAt: at(5) }));
  const late = await send(
    c,
    agent,
    reportWith(agent, 'm-1', { software: older }, { collectedAt: at(4) }),
  );
  t.equal(late.statusCode, 202);
  t.equal(softwareRows(c, 'm-1').length, 3, 'the newer list stays');
  const lateHash = await send(
    c,
    agent,
    reportWith(agent, 'm-1', { software: hashOnly(older) }, { collectedAt: at(4) }),
  );
  t.notOk('resend' in lateHash.json(), 'the collector holds a newer list than that hash');
});

t.test('a source’s status changes without the list: the state follows', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const full = software(DEBIAN_12);
  await send(c, agent, reportWith(agent, 'm-1', { software: full }, { collectedAt: at(0) }));
  const withSnap = {
    ...hashOnly(full),
    sources: [
      ...full.sources,
      { source: 'snap', ok: false, error: 'snap: command not found', count: null },
    ],
  };
  await send(c, agent, reportWith(agent, 'm-1', { software: withSnap }, { collectedAt: at(1) }));
  const { sources } = c.store.db.prepare('SELECT sources FROM host_software_state').get() as {
    sources: string;
  };
  t.same(JSON.parse(sources), withSnap.sources);
});

t.test('pending updates: replaced with each patches section, not by older ones', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const libcurl = pending('libcurl4', '7.88.1-10+deb12u14', '7.88.1-10+deb12u15', {
    security: true,
    classification: 'bookworm-security',
  });
  const bash = pending('bash', '5.2.15-2+b8', '5.2.15-2+b13', { security: false });
  const rows = () =>
    c.store.db
      .prepare('SELECT manager, name, security FROM host_pending_updates ORDER BY name')
      .all();

  await send(
    c,
    agent,
    reportWith(
      agent,
      'm-1',
      { patches: patches([patchSource('apt', [libcurl, bash])]) },
      {
        collectedAt: at(1),
      },
    ),
  );
  t.same(rows(), [
    { manager: 'apt', name: 'bash', security: 0 },
    { manager: 'apt', name: 'libcurl4', security: 1 },
  ]);

  await send(
    c,
    agent,
    reportWith(
      agent,
      'm-1',
      { patches: patches([patchSource('apt', [bash])]) },
      {
        collectedAt: at(2),
      },
    ),
  );
  t.same(rows(), [{ manager: 'apt', name: 'bash', security: 0 }], 'libcurl4 was installed');

  await send(
    c,
    agent,
    reportWith(
      agent,
      'm-1',
      { patches: patches([patchSource('apt', [libcurl, bash])]) },
      {
        collectedAt: at(0),
      },
    ),
  );
  t.same(
    rows(),
    [{ manager: 'apt', name: 'bash', security: 0 }],
    'an older report changes nothing',
  );

  // The source fails: its rows go, and its error is in the host's patches state.
  const failed = patchSource('apt', [bash], {
    ok: false,
    error:
      'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4588 (unattended-upgr)',
    pendingCount: null,
    securityCount: null,
  });
  await send(
    c,
    agent,
    reportWith(agent, 'm-1', { patches: patches([failed]) }, { collectedAt: at(3) }),
  );
  t.same(rows(), [], 'nothing listed from a source that could not answer');
  const host = (
    await c.app.inject({ url: `/api/v1/hosts/${hostKeyOf(c, 'm-1').id}`, headers: c.admin })
  ).json();
  t.equal(host.sections.patches.data.sources[0].ok, false);
  t.match(host.sections.patches.data.sources[0].error, /Could not get lock/);
});

t.test('a leap second (valid RFC 3339, not a JavaScript date) is a 400, not a 500', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const update = pending('tzdata', '2024a-0+deb12u1', '2025b-0+deb12u1', {
    releasedAt: '2016-12-31T23:59:60Z',
  });
  const inPatches = await send(
    c,
    agent,
    reportWith(agent, 'm-1', { patches: patches([patchSource('apt', [update])]) }),
  );
  t.equal(inPatches.statusCode, 400, inPatches.body);
  t.match(inPatches.json(), {
    error: 'invalid_request',
    message: /releasedAt must match format "date-time"/,
  });
  const asCollectedAt = await send(
    c,
    agent,
    reportWith(agent, 'm-1', {}, { collectedAt: new Date('2016-12-31T23:59:59Z') }),
  );
  t.equal(asCollectedAt.statusCode, 202, 'the second before is fine');
  t.same(c.store.db.prepare('SELECT count(*) AS n FROM host_pending_updates').get(), { n: 0 });
});
