import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { sampleReport } from '@vcio/shared/testing';
import { BOOTSTRAP_FILE, bootstrapIfEmpty } from '../src/bootstrap.js';
import { migrate, schemaVersion } from '../src/store/sqlite/database.js';
import { migrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { VERSION } from '../src/version.js';
import { testCollector } from './helpers.js';
import { dpkg, patches, patchSource, pending, software } from './sections.js';

const silent = pino({ level: 'silent' });

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-store-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The newest schema this collector knows; migrations are numbered 1, 2, 3... without gaps. */
const LATEST = migrations.length;

t.test('migrations run once, in order, and refuse a newer schema', async (t) => {
  const db = new Database(':memory:');
  t.same(
    migrations.map((m) => m.version).sort((a, b) => a - b),
    Array.from({ length: LATEST }, (_, i) => i + 1),
    'numbered without gaps',
  );
  t.same(
    migrate(db, migrations),
    Array.from({ length: LATEST }, (_, i) => i + 1),
  );
  t.same(migrate(db, migrations), [], 'a second run applies nothing');
  t.equal(schemaVersion(db), LATEST);
  db.prepare('INSERT INTO schema_migrations VALUES (99, ?, ?)').run('from the future', Date.now());
  t.throws(
    () => migrate(db, migrations),
    new RegExp(`schema is version 99, newer than this collector knows \\(${LATEST}\\)`),
  );
  db.close();
});

t.test(
  'migration 2 on a database of migration 1: data kept, pending updates as rows',
  async (t) => {
    const dir = tempDir(t);
    const old = new Database(join(dir, 'vcio.db'));
    t.same(
      migrate(
        old,
        migrations.filter((m) => m.version === 1),
      ),
      [1],
    );
    const now = Date.parse('2026-11-27T09:00:00Z');
    old.exec(`
    INSERT INTO tenants VALUES ('t-1', 'default', 'Default', ${now});
    INSERT INTO enrollment_tokens VALUES ('et-1', 't-1', 'x', x'00', ${now}, NULL, NULL, 1, NULL);
    INSERT INTO agents VALUES ('a-1', 't-1', x'00', 'et-1', 'm-1', 'h-1', '0.1.0', ${now}, NULL);
    INSERT INTO hosts (key, id, tenant_id, machine_id, hostname, agent_id, agent_version,
                       os_platform, os_distro, os_release, first_seen, last_seen, last_report_at)
    VALUES (7, 'host-1', 't-1', 'm-1', 'h-1', 'a-1', '0.1.0', 'linux', 'Debian GNU/Linux', '12',
            ${now}, ${now}, ${now});
    INSERT INTO reports VALUES ('r-1', 'a-1', ${now}, ${now});
  `);
    const libcurl = pending('libcurl4', '7.88.1-10+deb12u14', '7.88.1-10+deb12u15', {
      security: true,
      advisories: ['DSA-5587-1'],
      releasedAt: '2025-06-24T14:36:25+02:00',
    });
    const bash = pending('bash', '5.2.15-2+b8', '5.2.15-2+b13', { security: false });
    const section = patches([
      patchSource('apt', [libcurl, bash]),
      patchSource('yum', [pending('kernel', '3.10.0-1160.el7', '3.10.0-1160.119.1.el7')], {
        ok: false,
        error: 'yum: lock held',
      }),
      patchSource('softwareupdate', [pending('Safari', '17.1', '17.2')], {
        checkedAt: '2026-11-27t08:00:00z',
      }),
    ]);
    const insertSection = old.prepare(
      "INSERT INTO host_sections VALUES ('host-1', ?, ?, 'r-1', ?)",
    );
    insertSection.run('patches', now, JSON.stringify(section));
    insertSection.run('software', now, JSON.stringify(software([dpkg('openssl', '3.0.11')])));
    insertSection.run('outbox', now, JSON.stringify({ queued: 1, dropped: 0 }));
    old.close();

    const store = openSqliteStore(dir);
    t.teardown(() => store.close());
    t.equal(schemaVersion(store.db), LATEST);
    const host = await store.hosts.getHost('host-1');
    t.equal(host?.hostname, 'h-1', 'hosts are kept');
    t.same(host?.sections.patches?.data, section, 'the patches section is kept as it was');
    t.same(host?.sections.outbox?.data, { queued: 1, dropped: 0 });
    t.notOk(host?.sections.software, 'the JSON software list is gone: agents are asked again');
    t.equal(
      (store.db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n,
      1,
      'the report ledger is kept',
    );
    const { updates } = await store.inventory.findPendingUpdates({ limit: 10, offset: 0 });
    t.same(
      updates.map((u) => [u.name, u.security, u.advisories, u.releasedAt?.toISOString() ?? null]),
      [
        ['libcurl4', true, ['DSA-5587-1'], '2025-06-24T12:36:25.000Z'],
        ['bash', false, [], null],
        ['Safari', null, [], null],
      ],
      'none from the source that failed',
    );
    t.equal(updates[0]!.checkedAt.toISOString(), '2026-11-27T08:00:00.000Z');
    t.equal(updates[2]!.checkedAt.getTime(), now, 'a time SQLite cannot read: the section’s');
    t.equal(updates[0]!.hostId, 'host-1');
  },
);

t.test('bootstrap writes secrets once, mode 0600, and only hashes to the database', async (t) => {
  const dir = tempDir(t);
  const store = openSqliteStore(dir);
  t.teardown(() => store.close());
  const secrets = await bootstrapIfEmpty(store, dir, silent);
  t.ok(secrets);
  const file = join(dir, BOOTSTRAP_FILE);
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(statSync(dir).mode & 0o777, 0o700, 'the data directory is owner-only');
  t.same(JSON.parse(readFileSync(file, 'utf8')).adminToken, secrets!.adminToken);
  t.equal(await bootstrapIfEmpty(store, dir, silent), null, 'a second start creates nothing');

  const dump = store.db.prepare('SELECT * FROM api_tokens').all();
  const secret = secrets!.adminToken.split('.')[1]!;
  t.notMatch(JSON.stringify(dump), secret, 'the secret itself is not stored');
});

t.test('prune removes old samples and report ids, in batches', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const old = new Date('2020-01-01T00:00:00Z');
  for (let i = 0; i < 30; i++) {
    await c.store.reports.ingest({
      report: sampleReport({
        agentId: agent.agentId,
        machineId: 'm-1',
        seed: i,
        collectedAt: i < 20 ? old : new Date(),
      }),
      agent: (await c.store.access.findAgent(agent.agentId))!,
      receivedAt: i < 20 ? old : new Date(),
      sections: ['performance'],
    });
  }
  const removed = await c.store.reports.prune(new Date('2021-01-01T00:00:00Z'));
  t.equal(removed, 40, '20 samples and 20 ledger rows');
  const left = (
    c.store.db.prepare('SELECT count(*) AS n FROM performance_samples').get() as { n: number }
  ).n;
  t.equal(left, 10);
});

t.test('the version constant matches package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.equal(VERSION, pkg.version);
});
