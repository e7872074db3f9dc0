// What only the PostgreSQL store has to prove: migrations under concurrent collectors,
// errors that mean "unavailable" (503) or "try again" (deadlock), a bad report isolated
// from its batch, connections lost while idle. The behaviour both stores share is in
// ../store-conformance.test.ts.
import t, { type Test } from 'tap';
import { samplePerformance } from '@vcio/shared/testing';
import { migrations as sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { postgresUnavailable, startTestPostgres } from '../support/postgres.js';
import { enrolledAgent, ingest, report, tenant } from './fixtures.js';

const unavailable = postgresUnavailable();
t.test('the PostgreSQL store', { skip: unavailable ?? false }, run);

async function run(t: Test): Promise<void> {
  // Imported only with a server: coverage counts what loads.
  const { openPostgresStore } = await import('../../src/store/postgres/index.js');
  const { openPgDatabase } = await import('../../src/store/postgres/database.js');
  const { migratePg, pgSchemaVersion } = await import('../../src/store/postgres/migrate.js');
  const { pgMigrations } = await import('../../src/store/postgres/migrations.js');
  const { isRetryable, isUnavailable, storeError } =
    await import('../../src/store/postgres/errors.js');
  const server = await startTestPostgres(t);
  const LATEST = pgMigrations.length;

  t.test('the same numbered migrations as SQLite, 1..n without gaps', async (t) => {
    t.same(
      pgMigrations.map((m) => [m.version, m.name]),
      [...sqliteMigrations].sort((a, b) => a.version - b.version).map((m) => [m.version, m.name]),
      'every SQLite migration has its PostgreSQL twin',
    );
    t.same(
      pgMigrations.map((m) => m.version),
      Array.from({ length: LATEST }, (_, i) => i + 1),
    );
  });

  t.test(
    'three collectors migrating one empty database at once: one schema, no error',
    async (t) => {
      const url = await server.createDatabase();
      const dbs = [0, 1, 2].map(() => openPgDatabase({ connectionString: url, max: 2 }));
      t.teardown(() => Promise.all(dbs.map((db) => db.end())));
      const applied = await Promise.all(dbs.map((db) => migratePg(db, pgMigrations)));
      t.same(
        applied.map((a) => a.length).sort(),
        [0, 0, LATEST],
        'one applied every migration, the others none',
      );
      const rows = await dbs[0]!.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      t.same(
        rows.rows.map((r) => r.version),
        Array.from({ length: LATEST }, (_, i) => i + 1),
      );
      t.equal(await pgSchemaVersion(dbs[1]!), LATEST);
      // Three stores opened at once on a fresh database, the way collectors start.
      const fresh = await server.createDatabase();
      const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(fresh)));
      t.teardown(() => Promise.all(stores.map((s) => s.close())));
      t.equal(await pgSchemaVersion(stores[2]!.db), LATEST);
    },
  );

  t.test('a schema newer than this collector is refused', async (t) => {
    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    await store.db.query("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)");
    await store.close();
    await t.rejects(
      openPostgresStore(url),
      new RegExp(`schema is version 99, newer than this collector knows \\(${LATEST}\\)`),
    );
  });

  t.test('a migration that fails leaves nothing half-done', async (t) => {
    const url = await server.createDatabase();
    const db = openPgDatabase({ connectionString: url });
    t.teardown(() => db.end());
    const broken = [
      ...pgMigrations.slice(0, 1),
      { version: 2, name: 'broken', sql: 'CREATE TABLE half (x int); SELECT no_such_function();' },
    ];
    await t.rejects(migratePg(db, broken), /no_such_function/);
    const tables = await db.query("SELECT 1 FROM pg_tables WHERE tablename IN ('tenants', 'half')");
    t.equal(tables.rowCount, 0, 'not even migration 1: one transaction');
  });

  t.test('unreachable or read-only database: StoreUnavailableError (503)', async (t) => {
    const gone = 'postgresql://postgres@/vcio?host=/nonexistent-vcio-socket-dir';
    const error = await openPostgresStore(gone).catch((e: unknown) => e);
    t.type(error, StoreUnavailableError, 'no server: unavailable, not a crash');
    t.match((error as StoreUnavailableError).message, /storage unavailable: postgres/);

    const url = await server.createDatabase();
    const store = await openPostgresStore(url);
    t.teardown(() => store.close());
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const name = (await store.db.query<{ name: string }>('SELECT current_database() AS name'))
      .rows[0]!.name;
    await store.db.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
    // Connections made from now on are read-only, as after a failover to a standby.
    await store.db.pool.query('SELECT 1'); // the pool's idle connection predates the change
    const readonly = await openPostgresStore(url).catch((e: unknown) => e);
    t.type(readonly, StoreUnavailableError, 'migrations on a read-only database');
    const ro = openPgDatabase({ connectionString: url });
    t.teardown(() => ro.end());
    const { pgReportStore } = await import('../../src/store/postgres/reports.js');
    const reports = pgReportStore(ro);
    const outcome = await reports
      .ingest({
        report: report(agent, { performance: samplePerformance() }),
        agent,
        receivedAt: new Date(),
        sections: ['performance'],
      })
      .catch((e: unknown) => e);
    t.type(outcome, StoreUnavailableError, 'ingest on a read-only database');
    t.match((outcome as StoreUnavailableError).reason, /25006/);
    await store.db.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
  });

  t.test('through the API: U+0000 in a report is a 202, /metrics sizes the database', async (t) => {
    const pino = (await import('pino')).default;
    const { agentAuthorization } = await import('@vcio/shared');
    const { sampleReport } = await import('@vcio/shared/testing');
    const { bootstrapIfEmpty } = await import('../../src/bootstrap.js');
    const { buildMetricsConfig } = await import('../../src/config.js');
    const { CollectorEvents } = await import('../../src/events.js');
    const { CollectorMetrics } = await import('../../src/metrics/index.js');
    const { buildServer } = await import('../../src/server.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const store = await openPostgresStore(await server.createDatabase());
    const dataDir = mkdtempSync(join(tmpdir(), 'vcio-pg-api-'));
    const logger = pino({ level: 'silent' });
    const secrets = (await bootstrapIfEmpty(store, dataDir, logger))!;
    const app = buildServer({
      config: { bodyLimitBytes: 1024 * 1024, tls: null, metrics: buildMetricsConfig({}) },
      store,
      logger,
      events: new CollectorEvents(),
      metrics: new CollectorMetrics(),
    });
    t.teardown(async () => {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const enrolled = await app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: {
        token: secrets.enrollToken,
        machineId: 'm-nul',
        hostname: 'h',
        agentVersion: '0.1.0',
      },
    });
    const { agentId, secret } = enrolled.json<{ agentId: string; secret: string }>();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { authorization: agentAuthorization(agentId, secret) },
      payload: sampleReport({ agentId, machineId: 'm-nul', hostname: 'ws\u0000nul' }),
    });
    t.equal(res.statusCode, 202, res.body);
    const hosts = await app.inject({
      url: '/api/v1/hosts',
      headers: { authorization: `Bearer ${secrets.adminToken}` },
    });
    t.match(hosts.json(), { hosts: [{ hostname: 'ws\uFFFDnul' }] }, 'stored with U+FFFD');
    const metrics = await app.inject({ url: '/metrics' });
    const size = /^vcio_database_size_bytes\{file="database"\} (\d+)$/m.exec(metrics.body);
    t.ok(size && Number(size[1]) > 1_000_000, `pg_database_size on /metrics: ${size?.[1]}`);
  });

  t.test('a report the database refuses fails alone; its batch-mates are stored', async (t) => {
    const store = await openPostgresStore(await server.createDatabase());
    t.teardown(() => store.close());
    const a = await tenant(store, 'a');
    const good = await enrolledAgent(store, a.id, 'm-good');
    const bad = await enrolledAgent(store, a.id, 'm-bad');
    // process_count is an INTEGER column: 2^40 processes is a report the database refuses
    // (the report contract does not bound it; the store must still isolate it).
    const tooMany = samplePerformance(2);
    tooMany.processes.total = 2 ** 40;
    const outcomes = await Promise.allSettled([
      ingest(store, good, report(good, { performance: samplePerformance(1) })),
      ingest(store, bad, report(bad, { performance: tooMany })),
      ingest(store, good, report(good, { performance: samplePerformance(3) })),
    ]);
    t.same(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value.status : 'rejected')),
      ['stored', 'rejected', 'stored'],
    );
    t.notOk(
      outcomes[1]!.status === 'rejected' && outcomes[1]!.reason instanceof StoreUnavailableError,
      'the bad report is not mistaken for an unavailable database',
    );
    t.equal((await store.hosts.listHosts({ limit: 10, offset: 0 })).total, 1);
  });

  t.test(
    'a deadlocked transaction is run again; connections lost while idle are replaced',
    async (t) => {
      const warnings: string[] = [];
      const url = await server.createDatabase();
      const db = openPgDatabase({
        connectionString: url,
        onWarning: (m) => warnings.push(m),
      });
      t.teardown(() => db.end());
      let attempts = 0;
      const result = await db.transaction(async (client) => {
        attempts++;
        await client.query('SELECT 1');
        if (attempts < 3) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        return 'done';
      });
      t.same([result, attempts], ['done', 3]);
      await t.rejects(
        db.transaction(async () => {
          throw Object.assign(new Error('could not serialize access'), { code: '40001' });
        }),
        /could not serialize/,
        'given up after a few attempts',
      );

      // An administrator (or a failover) ends every connection of the pool.
      const admin = openPgDatabase({ connectionString: url });
      t.teardown(() => admin.end());
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      await new Promise((r) => setTimeout(r, 200));
      t.match(
        warnings,
        [/postgres connection lost/],
        'the idle connection’s end is reported, not thrown',
      );
      t.same(
        (await db.query<{ n: number }>('SELECT 1 AS n')).rows,
        [{ n: 1 }],
        'a new connection serves',
      );
    },
  );

  t.test('which errors mean unavailable, and which mean try again', async (t) => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    for (const code of ['08006', '53100', '57P01', '25006', '58030', 'ECONNREFUSED', 'ENOENT']) {
      t.ok(isUnavailable(coded(code)), code);
    }
    for (const code of ['23505', '22021', '42P01', '40P01'])
      t.notOk(isUnavailable(coded(code)), code);
    t.ok(isUnavailable(new Error('Connection terminated unexpectedly')));
    t.ok(isUnavailable(new StoreUnavailableError('x')));
    t.notOk(isUnavailable('a string'));
    t.ok(isRetryable(coded('40P01')));
    t.notOk(isRetryable(coded('23505')));
    const mapped = storeError(coded('53100'));
    t.type(mapped, StoreUnavailableError);
    t.equal((mapped as StoreUnavailableError).reason, 'postgres 53100: 53100');
    const plain = coded('23505');
    t.equal(storeError(plain), plain, 'other errors pass through');
  });
}
