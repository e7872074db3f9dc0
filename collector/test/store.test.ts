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

const silent = pino({ level: 'silent' });

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-store-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('migrations run once, in order, and refuse a newer schema', async (t) => {
  const db = new Database(':memory:');
  t.same(migrate(db, migrations), [1]);
  t.same(migrate(db, migrations), [], 'a second run applies nothing');
  t.equal(schemaVersion(db), 1);
  db.prepare('INSERT INTO schema_migrations VALUES (99, ?, ?)').run('from the future', Date.now());
  t.throws(
    () => migrate(db, migrations),
    /schema is version 99, newer than this collector knows \(1\)/,
  );
  db.close();
});

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
