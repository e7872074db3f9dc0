// `vcio-collector migrate`: an SQLite installation built through the API (tenants, sites,
// tokens, enrolled agents, reports with every section, assessed posture, acceptances,
// initiatives with progress, the audit log) copied into a throwaway PostgreSQL database,
// then the two Stores asked the same questions must answer the same. Also the refusals (a
// target holding data, an old source schema, a table on one side only), a failure that
// leaves the target empty, identity keys that continue after the copy, and the command
// itself (exit codes, JSON, a bad URL as one line with its password masked).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import t, { type Test } from 'tap';
import { agentAuthorization, type Report } from '@vcio/shared';
import { sampleSystem, samplePerformance } from '@vcio/shared/testing';
import { migrate as migrateSqlite, openDatabase } from '../src/store/sqlite/database.js';
import { migrations } from '../src/store/sqlite/migrations.js';
import { secretMatches } from '../src/security/tokens.js';
import { testCollector, type TestCollector } from './helpers.js';
import { dpkg, patchSource, patches, pending, security, outbox, software } from './sections.js';
import { postgresUnavailable, startTestPostgres } from './support/postgres.js';
import { enrolledAgent, ingest, report } from './store-conformance/fixtures.js';
import type { ConformanceStore } from './store-conformance/harness.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const DAY = 86_400_000;

t.test('tables ordered by their foreign keys; a cycle is an error', async (t) => {
  const { orderByDependencies, MigrateError } =
    await import('../src/store/copy-sqlite-to-postgres.js');
  t.same(
    orderByDependencies(
      ['hosts', 'agents', 'tenants', 'findings'],
      [
        ['hosts', 'agents'],
        ['agents', 'tenants'],
        ['findings', 'hosts'],
        ['hosts', 'tenants'],
        ['tenants', 'tenants'],
      ],
    ),
    ['tenants', 'agents', 'hosts', 'findings'],
  );
  t.throws(
    () =>
      orderByDependencies(
        ['a', 'b', 'c'],
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
      ),
    new MigrateError('foreign keys form a cycle among a, b'),
  );
});

t.test('--from is sqlite:PATH', async (t) => {
  const { parseSource } = await import('../src/store/copy-sqlite-to-postgres.js');
  t.equal(parseSource('sqlite:/var/lib/vcio/vcio.db'), '/var/lib/vcio/vcio.db');
  t.equal(parseSource('sqlite:///var/lib/vcio'), '/var/lib/vcio');
  t.equal(parseSource('data/vcio.db'), 'data/vcio.db');
  t.throws(() => parseSource('sqlite:'), /needs a path/);
  t.throws(() => parseSource('postgres://x@y/z'), /must be sqlite:PATH/);
});

const unavailable = postgresUnavailable();
t.test('migrating to PostgreSQL', { skip: unavailable ?? false }, run);

async function run(t: Test): Promise<void> {
  // Imported only with a server: coverage counts what loads.
  const { copySqliteToPostgres } = await import('../src/store/copy-sqlite-to-postgres.js');
  const { openPostgresStore } = await import('../src/store/postgres/index.js');
  const server = await startTestPostgres(t);
  t.comment(`PostgreSQL: ${server.origin}, ready in ${server.startSeconds.toFixed(2)} s`);

  const c = await testCollector(t);
  const source = await populate(c);
  const url = await server.createDatabase();
  const progress: string[] = [];
  const result = await copySqliteToPostgres({
    sqlitePath: c.dataDir,
    postgresUrl: url,
    // small batches: several INSERTs per table, and a last partial one
    batchRows: 7,
    progress: (line) => progress.push(line),
  });
  t.comment(
    `copied ${result.rows} rows in ${result.seconds.toFixed(2)} s (${result.tables.length} tables)`,
  );
  const pgStore = await openPostgresStore(url, { poolSize: 2 });
  t.teardown(() => pgStore.close());

  t.test('every table copied, counted on both sides', async (t) => {
    t.equal(result.ok, true);
    t.equal(result.schemaVersion, Math.max(...migrations.map((m) => m.version)));
    const sqliteTables = (
      c.store.db
        .prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
        )
        .pluck()
        .all() as string[]
    ).sort();
    t.same(
      result.tables.map((r) => r.table),
      sqliteTables,
      'the tables are the schema, not a list in the code',
    );
    for (const row of result.tables) {
      const n = c.store.db.prepare(`SELECT count(*) FROM "${row.table}"`).pluck().get();
      t.equal(row.sqlite, n, `${row.table}: SQLite count`);
      t.equal(row.postgres, n, `${row.table}: PostgreSQL count`);
      // a realistic installation: every table has something to copy
      t.ok(row.sqlite > 0, `${row.table} is not empty in the source`);
    }
    t.ok(
      progress.some((l) => /^copied performance_samples: \d+ rows/.test(l)),
      'progress per table',
    );
  });

  t.test('the two Stores answer the same questions the same', async (t) => {
    await sameAnswers(t, c.store, pgStore, source);
  });

  t.test('agents authenticate against the copied secrets', async (t) => {
    for (const agent of source.agents) {
      const record = await pgStore.access.findAgent(agent.agentId);
      t.same(record, await c.store.access.findAgent(agent.agentId), 'the same record');
      t.equal(secretMatches(agent.secret, record?.secretHash ?? null), true, 'its secret works');
      t.equal(secretMatches(`${agent.secret}x`, record?.secretHash ?? null), false);
    }
  });

  t.test('new rows get fresh identity keys after the copy', async (t) => {
    const maxKey = (table: string, column: string) =>
      Number(c.store.db.prepare(`SELECT max(${column}) FROM ${table}`).pluck().get());
    const tenantId = source.tenantIds[0]!;
    const agent = await enrolledAgent(pgStore, tenantId, 'after-migration');
    const outcome = await ingest(
      pgStore,
      agent,
      report(agent, { performance: samplePerformance(9) }, { collectedAt: new Date() }),
    );
    t.equal(outcome.status, 'stored', 'a report after the migration is stored');
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ key: string }>(
        "SELECT key FROM hosts WHERE machine_id = 'after-migration'",
      );
      t.equal(Number(rows[0]?.key), maxKey('hosts', 'key') + 1, 'hosts.key continues');
      await pgStore.audit.append({
        at: new Date(),
        actorTokenId: null,
        actorName: 'test',
        action: 'test.after_migration',
        tenantId,
        targetType: 'test',
        targetId: null,
        detail: {},
      });
      const audit = await db.query<{ id: string }>(
        "SELECT id FROM audit_log WHERE action = 'test.after_migration'",
      );
      t.equal(Number(audit.rows[0]?.id), maxKey('audit_log', 'id') + 1, 'audit_log.id continues');
    } finally {
      await db.end();
    }
  });

  t.test('a second migrate into the same database is refused', async (t) => {
    await t.rejects(
      copySqliteToPostgres({ sqlitePath: c.dataDir, postgresUrl: url }),
      /already holds data \(in .*tenants.*\): migrate copies into an empty database only. To start over, drop and create the database/,
    );
  });

  t.test('a source at an older schema version is refused', async (t) => {
    const dir = tempDir(t);
    const old = new Database(join(dir, 'vcio.db'));
    migrateSqlite(
      old,
      migrations.filter((m) => m.version <= 3),
    );
    old.close();
    await t.rejects(
      copySqliteToPostgres({ sqlitePath: dir, postgresUrl: await server.createDatabase() }),
      /is at schema version 3, this collector's is \d+: start this collector once on the SQLite database to migrate it first/,
    );
  });

  t.test('a table on one side only stops the migration', async (t) => {
    const target = await server.createDatabase();
    const db = new pg.Client({ connectionString: target });
    await db.connect();
    await db.query('CREATE TABLE unrelated_app (id int)');
    await db.end();
    await t.rejects(
      copySqliteToPostgres({ sqlitePath: c.dataDir, postgresUrl: target }),
      /do not have the same tables \(only in PostgreSQL: unrelated_app\)/,
    );

    const dir = tempDir(t);
    const extra = openDatabase({ path: join(dir, 'vcio.db') });
    extra.exec('CREATE TABLE notes (body TEXT)');
    extra.close();
    await t.rejects(
      copySqliteToPostgres({
        sqlitePath: join(dir, 'vcio.db'),
        postgresUrl: await server.createDatabase(),
      }),
      /do not have the same tables \(only in SQLite: notes\)/,
    );
  });

  t.test('a row PostgreSQL rejects leaves the target without a row', async (t) => {
    const dir = tempDir(t);
    const bad = openDatabase({ path: join(dir, 'vcio.db') });
    bad
      .prepare("INSERT INTO tenants (id, slug, name, created_at) VALUES ('t1', 'a', 'A', 1)")
      .run();
    bad
      .prepare(
        "INSERT INTO tenant_settings (tenant_id, posture, updated_at, updated_by) VALUES ('t1', '{not json', 1, 'x')",
      )
      .run();
    bad.close();
    const target = await server.createDatabase();
    await t.rejects(
      copySqliteToPostgres({ sqlitePath: dir, postgresUrl: target }),
      /copying into postgresql:\/\/.* failed, nothing was kept there: invalid input syntax for type json/,
    );
    const db = new pg.Client({ connectionString: target });
    await db.connect();
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM tenants');
    await db.end();
    t.equal(Number(rows[0]!.n), 0, 'the tenant copied before the failure is gone too');
  });

  t.test('a value the PostgreSQL column cannot take is named', async (t) => {
    for (const [security, advisories, expected] of [
      ['2', '[]', /host_pending_updates\.security: expected 0, 1 or NULL, found 2/],
      ['1', '["a", 3]', /host_pending_updates\.advisories: expected a JSON array of strings/],
    ] as const) {
      const dir = tempDir(t);
      const db = openDatabase({ path: join(dir, 'vcio.db') });
      seedHostWithUpdate(db, security, advisories);
      db.close();
      await t.rejects(
        copySqliteToPostgres({ sqlitePath: dir, postgresUrl: await server.createDatabase() }),
        expected,
      );
    }
  });

  t.test('an unreachable server is one line, password masked', async (t) => {
    const bad = 'postgres://vcio:hunter2secret@127.0.0.1:1/vcio';
    const error = await copySqliteToPostgres({ sqlitePath: c.dataDir, postgresUrl: bad }).then(
      () => null,
      (e: Error) => e,
    );
    t.ok(error, 'fails');
    t.match(
      error!.message,
      /^cannot connect to the PostgreSQL database postgres:\/\/vcio:\*\*\*@127\.0\.0\.1:1\/vcio: .*ECONNREFUSED/,
    );
    t.notMatch(error!.message, /hunter2secret/);
    t.notMatch(error!.message, /\n/);
  });

  t.test('the command', async (t) => {
    const target = await server.createDatabase();
    const ok = await cli(['migrate', '--from', `sqlite:${c.store.path}`, '--json'], {
      VCIO_DATABASE_URL: target,
    });
    t.equal(ok.code, 0, ok.stderr);
    const summary = JSON.parse(ok.stdout) as { ok: boolean; tables: { ok: boolean }[] };
    t.equal(summary.ok, true);
    t.ok(summary.tables.length >= 20 && summary.tables.every((r) => r.ok));
    t.match(ok.stderr, /copied tenants: \d+ rows/);

    const table = await cli(['migrate', '--from', `sqlite:${c.dataDir}`, '--to', target]);
    t.equal(table.code, 1, 'the full target is refused');
    t.match(table.stderr, /vcio-collector: error: .*already holds data/);

    const fresh = await server.createDatabase();
    const text = await cli(['migrate', '--from', `sqlite:${c.dataDir}`, '--to', fresh]);
    t.equal(text.code, 0, text.stderr);
    t.match(text.stdout, /^table +sqlite +postgres\n/);
    t.match(text.stdout, /\nhosts +\d+ +\d+ +OK\n/);

    const refused = await cli([
      'migrate',
      '--from',
      `sqlite:${c.dataDir}`,
      '--to',
      'postgres://vcio:hunter2secret@127.0.0.1:1/vcio',
    ]);
    t.equal(refused.code, 1);
    t.match(
      refused.stderr,
      /^vcio-collector: error: cannot connect to .*vcio:\*\*\*@127\.0\.0\.1:1/m,
    );
    t.notMatch(refused.stderr + refused.stdout, /hunter2secret/);

    const wrong = await cli([
      'migrate',
      '--from',
      `sqlite:${c.dataDir}`,
      '--to',
      'mysql://a:b@c/d',
    ]);
    t.equal(wrong.code, 1);
    t.match(wrong.stderr, /must be a postgres:\/\/ or postgresql:\/\/ URL/);
    t.notMatch(wrong.stderr, /a:b@c/);

    const help = await cli(['migrate', '--help']);
    t.equal(help.code, 0);
    t.match(help.stdout, /after it are NOT copied/);
    t.match(help.stdout, /stop the collector first/);
  });
}

interface Source {
  tenantIds: string[];
  hostIds: string[];
  initiativeIds: string[];
  agents: { agentId: string; secret: string }[];
}

/** An installation as the API builds it: two tenants with everything the Store keeps. */
async function populate(c: TestCollector): Promise<Source> {
  const api = async (method: string, url: string, payload?: object, status = 201) => {
    const res = await c.app.inject({ method: method as 'POST', url, headers: c.admin, payload });
    if (res.statusCode !== status)
      throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.body ? (res.json() as Record<string, unknown>) : {};
  };
  await api('POST', '/api/v1/tenants', { slug: 'acme', name: 'Acme' });
  await api('POST', '/api/v1/tenants/acme/sites', { slug: 'hq', name: 'HQ' });
  const token = (await api('POST', '/api/v1/tenants/acme/enrollment-tokens', {
    name: 'office',
    site: 'hq',
  })) as { token: string };
  await api('POST', '/api/v1/api-tokens', { name: 'reader', role: 'read', tenant: 'acme' });

  const agents: Source['agents'] = [];
  const enrolled: { agentId: string; machineId: string }[] = [];
  for (let i = 1; i <= 3; i++) {
    const machineId = `acme-${i}`;
    const res = await c.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: { token: token.token, machineId, hostname: machineId, agentVersion: '0.1.0' },
    });
    if (res.statusCode !== 201) throw new Error(res.body);
    const body = res.json<{ agentId: string; secret: string }>();
    agents.push(body);
    enrolled.push({ agentId: body.agentId, machineId });
  }
  for (let i = 1; i <= 2; i++) {
    const agent = await c.enroll(`default-${i}`);
    agents.push(agent);
    enrolled.push({ agentId: agent.agentId, machineId: `default-${i}` });
  }
  const authorization = (agentId: string) => {
    const agent = agents.find((a) => a.agentId === agentId)!;
    return agentAuthorization(agent.agentId, agent.secret);
  };

  // Two reports per host, a day apart, with every section: history, resolved findings.
  const now = Date.now();
  let seed = 0;
  for (const { agentId, machineId } of enrolled) {
    for (const at of [now - DAY, now]) {
      seed++;
      const items = [
        dpkg('openssl', seed % 2 ? '3.0.11-1~deb12u2' : '3.0.2-0ubuntu1.10'),
        dpkg('curl', '7.88.1-10+deb12u5'),
        dpkg(`tool-${seed}`, `1.${seed}`),
      ];
      const sections: Report['sections'] = {
        system: sampleSystem(machineId, seed),
        performance: samplePerformance(seed),
        software: software(items),
        patches: patches([
          patchSource('apt', [
            pending('openssl', '3.0.11-1~deb12u2', '3.0.15-1~deb12u1', {
              security: true,
              severity: 'important',
              advisories: ['DSA-5764-1'],
              restartRequired: false,
              releasedAt: '2024-09-03T00:00:00Z',
            }),
            pending('tzdata', '2024a-0+deb12u1', '2025b-0+deb12u1'),
          ]),
        ]),
        security: security(),
        outbox: outbox(),
      };
      const r = reportFor(agentId, machineId, sections, new Date(at));
      const res = await c.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: { authorization: authorization(agentId), 'content-type': 'application/json' },
        payload: JSON.stringify(r),
      });
      if (res.statusCode !== 202) throw new Error(`report: ${res.statusCode} ${res.body}`);
    }
  }
  await c.app.posture.idle();

  const tenants = await c.store.tenants.listTenants();
  const hosts = await c.store.hosts.listHosts({ limit: 100, offset: 0 });
  const firstAcme = hosts.hosts.find((h) => h.hostname === 'acme-1')!;
  await api('PATCH', `/api/v1/hosts/${firstAcme.id}`, { role: 'server' }, 200);
  await api('PUT', '/api/v1/tenants/acme/posture/settings', { serverWeight: 3 }, 200);
  const findings = await c.store.posture.findings({
    tenantId: firstAcme.tenantId,
    status: 'open',
    limit: 10,
    offset: 0,
  });
  const checkId = findings.findings[0]?.checkId;
  if (!checkId) throw new Error('no open finding to accept');
  const expiresAt = new Date(now + 30 * DAY).toISOString();
  await api('POST', '/api/v1/tenants/acme/acceptances', {
    checkId,
    hostId: firstAcme.id,
    reason: 'replaced next quarter',
    expiresAt,
  });
  const revoked = (await api('POST', '/api/v1/tenants/acme/acceptances', {
    checkId,
    reason: 'tenant-wide, then withdrawn',
    expiresAt,
  })) as { id: string };
  await api('DELETE', `/api/v1/tenants/acme/acceptances/${revoked.id}`, undefined, 204);
  const initiatives: string[] = [];
  for (const slug of ['acme', 'default']) {
    const created = (await api('POST', `/api/v1/tenants/${slug}/initiatives`, {
      title: `Supported OS at ${slug}`,
      owner: 'ops',
      target: { type: 'lifecycle', os: 'not_end_of_life' },
      dueDate: '2030-01-01',
    })) as { id: string };
    initiatives.push(created.id);
  }
  await c.app.posture.idle();
  return {
    tenantIds: tenants.map((t) => t.id),
    hostIds: hosts.hosts.map((h) => h.id),
    initiativeIds: initiatives,
    agents,
  };
}

async function sameAnswers(t: Test, a: ConformanceStore, b: ConformanceStore, s: Source) {
  const since = new Date(0);
  t.same(await b.tenants.listTenants(), await a.tenants.listTenants(), 'tenants');
  t.same(await b.access.listApiTokens(), await a.access.listApiTokens(), 'API tokens');
  t.same(
    await b.audit.query({ limit: 1000, offset: 0 }),
    await a.audit.query({ limit: 1000, offset: 0 }),
    'the audit log',
  );
  t.same(
    await b.initiatives.list(null),
    await a.initiatives.list(null),
    'initiatives of every tenant',
  );
  for (const id of s.initiativeIds) {
    const points = await a.initiatives.progressHistory(id);
    t.ok(points.length > 0, 'the initiative has progress');
    t.same(await b.initiatives.progressHistory(id), points, 'initiative progress');
  }
  for (const tenantId of s.tenantIds) {
    const q = { tenantId, limit: 100, offset: 0 };
    t.same(await b.hosts.listHosts(q), await a.hosts.listHosts(q), 'hosts');
    t.same(await b.tenants.listSites(tenantId), await a.tenants.listSites(tenantId), 'sites');
    t.same(
      await b.access.listEnrollmentTokens(tenantId),
      await a.access.listEnrollmentTokens(tenantId),
      'enrollment tokens',
    );
    t.same(await b.access.listAgents(tenantId), await a.access.listAgents(tenantId), 'agents');
    for (const status of ['open', 'resolved', 'all'] as const) {
      const fq = { tenantId, status, limit: 1000, offset: 0 };
      t.same(await b.posture.findings(fq), await a.posture.findings(fq), `${status} findings`);
    }
    t.same(
      await b.posture.openFindingsByCheck(tenantId),
      await a.posture.openFindingsByCheck(tenantId),
      'open findings by check',
    );
    t.same(
      await b.posture.history('tenant', tenantId, since),
      await a.posture.history('tenant', tenantId, since),
      'tenant score history',
    );
    t.same(
      await b.posture.listAcceptances(tenantId),
      await a.posture.listAcceptances(tenantId),
      'acceptances',
    );
    t.same(
      await b.posture.getTenantSettings(tenantId),
      await a.posture.getTenantSettings(tenantId),
      'posture settings',
    );
    t.same(
      await b.posture.listHostPostures(tenantId),
      await a.posture.listHostPostures(tenantId),
      'assessments',
    );
    const pq = { tenantId, sort: 'name' as const, limit: 100, offset: 0 };
    t.same(
      await b.technology.softwareProducts(pq),
      await a.technology.softwareProducts(pq),
      'software products',
    );
    t.same(
      await b.technology.osDistribution(tenantId),
      await a.technology.osDistribution(tenantId),
      'OS distribution',
    );
    t.same(
      await b.technology.hardwareModels(tenantId),
      await a.technology.hardwareModels(tenantId),
      'hardware models',
    );
    t.same(
      await b.technology.unsupportedSoftware(tenantId),
      await a.technology.unsupportedSoftware(tenantId),
      'unsupported software',
    );
    const sq = { tenantId, name: 'openssl', limit: 100, offset: 0 };
    t.same(
      await b.inventory.findSoftware(sq),
      await a.inventory.findSoftware(sq),
      'software search',
    );
    const uq = { tenantId, limit: 100, offset: 0 };
    t.same(
      await b.inventory.findPendingUpdates(uq),
      await a.inventory.findPendingUpdates(uq),
      'pending updates',
    );
  }
  for (const hostId of s.hostIds) {
    const host = await a.hosts.getHost(hostId, { softwareItems: true });
    t.ok(host && Object.keys(host.sections).length >= 4, 'the host has its sections');
    t.same(await b.hosts.getHost(hostId, { softwareItems: true }), host, 'host detail');
    t.same(
      await b.hosts.performanceHistory(hostId, since, 100),
      await a.hosts.performanceHistory(hostId, since, 100),
      'performance history',
    );
    t.same(
      await b.posture.history('host', hostId, since),
      await a.posture.history('host', hostId, since),
      'host score history',
    );
    t.same(
      await b.posture.getHostPosture(hostId),
      await a.posture.getHostPosture(hostId),
      'host assessment',
    );
    t.same(
      await b.posture.getHostAttributes(hostId),
      await a.posture.getHostAttributes(hostId),
      'host attributes',
    );
  }
}

function reportFor(
  agentId: string,
  machineId: string,
  sections: Report['sections'],
  collectedAt: Date,
): Report {
  return {
    schema: 'vcio.report/v1',
    reportId: crypto.randomUUID(),
    agent: { id: agentId, version: '0.1.0' },
    host: { machineId, hostname: machineId },
    collectedAt: collectedAt.toISOString(),
    sections,
    errors: [],
  } as Report;
}

/** A tenant, agent and host with one pending update row holding the given raw values. */
function seedHostWithUpdate(db: Database.Database, security: string, advisories: string) {
  db.exec(`
    INSERT INTO tenants (id, slug, name, created_at) VALUES ('t1', 'a', 'A', 1);
    INSERT INTO enrollment_tokens (id, tenant_id, name, secret_hash, created_at)
      VALUES ('et1', 't1', 'e', x'00', 1);
    INSERT INTO agents (id, tenant_id, secret_hash, enrollment_token_id, machine_id, hostname, version, created_at)
      VALUES ('a1', 't1', x'01', 'et1', 'm1', 'h1', '0.1.0', 1);
    INSERT INTO hosts (key, id, tenant_id, machine_id, hostname, agent_id, agent_version, first_seen, last_seen, last_report_at)
      VALUES (5, 'h1', 't1', 'm1', 'h1', 'a1', '0.1.0', 1, 1, 1);
  `);
  db.prepare(
    `INSERT INTO host_pending_updates (host_key, source_index, item, manager, checked_at, name, security, advisories)
     VALUES (5, 0, 0, 'apt', 1, 'openssl', ?, ?)`,
  ).run(Number(security), advisories);
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-migrate-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, VCIO_DATABASE_URL: '', ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
