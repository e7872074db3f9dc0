// `vcio-collector backup` and `restore`: a backup taken while a collector ingests holds
// every report acknowledged before it began, restores into a data directory a collector
// then starts on, and restore refuses what it must (a database in use, a file that is not
// a vcio database, a schema from a newer collector). The command-line runs need a build
// (collector/dist), as `pnpm test` makes.
import t from 'tap';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import pino from 'pino';
import { sampleReport } from '@vcio/shared/testing';
import { runBackup } from '../src/cli/sqlite-backup.js';
import { runRestore } from '../src/cli/sqlite-restore.js';
import { LATEST_SCHEMA } from '../src/cli/database-file.js';
import { startCollector } from '../src/collector.js';
import { buildConfig } from '../src/config.js';
import type { SqliteStore } from '../src/store/sqlite/index.js';
import { testCollector, type TestCollector } from './helpers.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const quiet = () => {};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, VCIO_DATA_DIR: '' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-backup-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Agents reporting through the API; every report id answered 202 is kept, in order. */
async function reporters(c: TestCollector, n: number) {
  const agents = await Promise.all(
    Array.from({ length: n }, (_, i) => c.enroll(`m-${i}`).then((a) => ({ ...a, i }))),
  );
  const acknowledged: string[] = [];
  let seed = 0;
  const send = async (agent: (typeof agents)[number]) => {
    const report = sampleReport({
      agentId: agent.agentId,
      machineId: `m-${agent.i}`,
      seed: ++seed,
    });
    const res = await c.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { authorization: agent.authorization },
      payload: report,
    });
    if (res.statusCode === 202) acknowledged.push(report.reportId);
    return res.statusCode;
  };
  /** one round: a report from every agent at once */
  const round = () => Promise.all(agents.map(send));
  let running = false;
  let loop: Promise<void> = Promise.resolve();
  return {
    agents,
    acknowledged,
    round,
    start() {
      running = true;
      loop = (async () => {
        while (running) await round();
      })();
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

const ledgerIds = (db: Database.Database) =>
  new Set(db.prepare('SELECT report_id FROM reports').pluck().all() as string[]);

t.test('backup while agents report, restore, and a collector starts on it', async (t) => {
  const c = await testCollector(t);
  const agents = await reporters(c, 20);
  for (let i = 0; i < 60; i++) await agents.round();
  t.equal(agents.acknowledged.length, 1200, 'the seed reports were all acknowledged');
  const dir = tempDir(t);

  // In this process, in small steps: the collector writes between nearly every two steps.
  // Without the backup's snapshot (its read transaction) each write would restart the copy.
  agents.start();
  const beforeInProcess = [...agents.acknowledged];
  const progress: string[] = [];
  const inProcess = await runBackup(
    { dataDir: c.dataDir, out: join(dir, 'in-process.db'), pagesPerStep: 8 },
    (line) => progress.push(line),
  );
  const duringInProcess = agents.acknowledged.length - beforeInProcess.length;

  // As an operator runs it: another process, on the live database, with gzip.
  const beforeCli = [...agents.acknowledged];
  const backup = await cli([
    'backup',
    '--data-dir',
    c.dataDir,
    '--out',
    join(dir, 'vcio.db.gz'),
    '--gzip',
    '--json',
  ]);
  const duringCli = agents.acknowledged.length - beforeCli.length;
  await agents.stop();
  t.equal(backup.code, 0, `backup exit code 0 (${backup.stderr})`);
  t.ok(duringInProcess > 0, `ingest went on during the in-process backup (${duringInProcess})`);
  t.ok(duringCli > 0, `ingest went on during the command's backup (${duringCli})`);
  t.match(progress.join('\n'), /wrote .*in-process\.db .*schema version/);
  t.ok(inProcess.rows.reports! >= beforeInProcess.length, 'its summary counts the ledger rows');

  const summary = JSON.parse(backup.stdout) as {
    bytes: number;
    schemaVersion: number;
    rows: Record<string, number>;
  };
  t.equal(summary.schemaVersion, LATEST_SCHEMA);
  t.ok(summary.rows.reports! >= beforeCli.length, 'the summary counts the ledger rows');
  t.match(backup.stderr, /backup: wrote .*vcio\.db\.gz \(.*gzip, schema version \d+\) in \d/);
  t.match(backup.stderr, /rows: .*performance_samples [\d,]+/);
  t.equal(statSync(join(dir, 'vcio.db.gz')).mode & 0o777, 0o600, 'the backup is owner-only');
  t.same(
    readdirSync(dir).sort(),
    ['in-process.db', 'vcio.db.gz'],
    'no temporary or -wal file left beside the backups',
  );

  // The in-process copy: a snapshot holding everything acknowledged before it began.
  const copy = new Database(join(dir, 'in-process.db'), { readonly: true });
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
  t.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'a single-file backup');
  const copied = ledgerIds(copy);
  t.equal(
    beforeInProcess.filter((id) => !copied.has(id)).length,
    0,
    'every report acknowledged before the in-process backup is in it',
  );
  copy.close();

  // Restore the command's backup into a new data directory, as after losing a machine.
  const restoredDir = join(dir, 'restored');
  const restore = await cli([
    'restore',
    '--from',
    join(dir, 'vcio.db.gz'),
    '--data-dir',
    restoredDir,
  ]);
  t.equal(restore.code, 0, `restore exit code 0 (${restore.stderr})`);
  t.match(restore.stderr, /restore: .*vcio\.db is now the backup \(.*schema version \d+\)/);
  t.equal(statSync(join(restoredDir, 'vcio.db')).mode & 0o777, 0o600);

  const config = buildConfig({
    listen: '127.0.0.1:0',
    dataDir: restoredDir,
    logLevel: 'silent',
    retentionDays: '30',
    bodyLimit: '4mb',
    synchronous: 'normal',
  });
  const restored = await startCollector(config, pino({ level: 'silent' }));
  t.teardown(() => restored.close());
  t.equal(restored.bootstrap, null, 'the restored collector has its tenants: no new bootstrap');
  const hosts = await restored.app.inject({
    url: '/api/v1/hosts?limit=100',
    headers: c.admin,
  });
  t.equal(hosts.statusCode, 200, 'the old admin token works on the restored collector');
  t.equal(hosts.json<{ total: number }>().total, 20, 'all 20 hosts are there');
  const db = (restored.store as SqliteStore).db;
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const stored = ledgerIds(db);
  const missing = beforeCli.filter((id) => !stored.has(id));
  t.equal(
    missing.length,
    0,
    `all ${beforeCli.length} reports acknowledged before the backup are restored`,
  );
  const agent = agents.agents[0]!;
  const again = await restored.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: { authorization: agent.authorization },
    payload: sampleReport({ agentId: agent.agentId, machineId: 'm-0', seed: 99_999 }),
  });
  t.equal(again.statusCode, 202, 'an agent reports to the restored collector with its credentials');
});

t.test('restore refuses a database in use, and leaves it alone', async (t) => {
  const c = await testCollector(t);
  const dir = tempDir(t);
  await runBackup({ dataDir: c.dataDir, out: join(dir, 'b.db') }, quiet);
  const before = statSync(join(c.dataDir, 'vcio.db')).ino;
  await t.rejects(
    runRestore({ from: join(dir, 'b.db'), dataDir: c.dataDir }, quiet),
    /vcio\.db is in use .*stop the collector first/,
  );
  t.equal(statSync(join(c.dataDir, 'vcio.db')).ino, before, 'the same database file');
  t.same(
    readdirSync(c.dataDir).filter((f) => /restor/.test(f)),
    [],
    'no copy and nothing set aside',
  );
  t.equal((await c.app.inject({ url: '/api/v1/hosts', headers: c.admin })).statusCode, 200);

  const run = await cli(['restore', '--from', join(dir, 'b.db'), '--data-dir', c.dataDir]);
  t.equal(run.code, 1);
  t.match(run.stderr, /vcio-collector: error: .*is in use/);
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
});

t.test('restore refuses what is not a vcio database of a known schema', async (t) => {
  const c = await testCollector(t);
  const dir = tempDir(t);
  const good = join(dir, 'good.db');
  await runBackup({ dataDir: c.dataDir, out: good }, quiet);
  const target = join(dir, 'data');

  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, Buffer.alloc(8192, 7));
  await t.rejects(
    runRestore({ from: junk, dataDir: target }, quiet),
    /junk\.bin is not an SQLite database/,
  );
  const gzJunk = join(dir, 'junk.gz');
  writeFileSync(gzJunk, gzipSync(Buffer.alloc(8192, 7)));
  await t.rejects(runRestore({ from: gzJunk, dataDir: target }, quiet), /not an SQLite database/);
  const truncated = join(dir, 'truncated.gz');
  writeFileSync(truncated, gzipSync(readFileSync(good)).subarray(0, 2000));
  await t.rejects(
    runRestore({ from: truncated, dataDir: target }, quiet),
    /not a readable gzip file/,
  );

  const foreign = join(dir, 'foreign.db');
  const other = new Database(foreign);
  other.exec('CREATE TABLE notes (text TEXT)');
  other.close();
  await t.rejects(
    runRestore({ from: foreign, dataDir: target }, quiet),
    /foreign\.db is not a vcio collector database/,
  );

  const newer = join(dir, 'newer.db');
  await runBackup({ dataDir: c.dataDir, out: newer }, quiet);
  const edit = new Database(newer);
  edit
    .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    .run(LATEST_SCHEMA + 1, 'from the future', Date.now());
  edit.close();
  await t.rejects(
    runRestore({ from: newer, dataDir: target }, quiet),
    new RegExp(`schema version ${LATEST_SCHEMA + 1}, newer than this collector knows`),
  );

  const damaged = join(dir, 'damaged.db');
  const bytes = readFileSync(good);
  const pageSize = bytes.readUInt16BE(16);
  // the second page on: the schema page stays readable, the tables' pages do not
  bytes.fill(0xa5, pageSize, Math.min(bytes.length, pageSize * 6));
  writeFileSync(damaged, bytes);
  await t.rejects(
    runRestore({ from: damaged, dataDir: target }, quiet),
    /damaged\.db (fails PRAGMA integrity_check|is damaged)/,
  );

  t.same(readdirSync(target), [], 'every refusal left the data directory empty');
  await t.resolves(runRestore({ from: good, dataDir: target }, quiet), 'the good backup restores');
});

t.test('restore keeps the previous database aside and drops stale WAL files', async (t) => {
  const c = await testCollector(t);
  const dir = tempDir(t);
  const backup = join(dir, 'b.db');
  await runBackup({ dataDir: c.dataDir, out: backup }, quiet);

  // A stopped collector's directory: its database, and a WAL a crash left behind.
  const data = join(dir, 'data');
  const old = join(data, 'vcio.db');
  mkdirSync(data);
  const previous = new Database(old);
  previous.pragma('journal_mode = WAL');
  previous.pragma('wal_autocheckpoint = 0');
  previous.exec("CREATE TABLE marker (v TEXT); INSERT INTO marker VALUES ('old')");
  // leave the WAL unmerged, as a killed process would: copy it while still open
  const wal = readFileSync(`${old}-wal`);
  const main = readFileSync(old);
  previous.close();
  writeFileSync(old, main);
  writeFileSync(`${old}-wal`, wal);

  const result = await runRestore(
    { from: backup, dataDir: data },
    quiet,
    () => new Date('2026-12-04T17:31:40.123Z'),
  );
  t.equal(result.previous, `${old}.before-restore-20261204T173140Z`);
  t.same(readdirSync(data).sort(), ['vcio.db', 'vcio.db.before-restore-20261204T173140Z']);
  t.equal(statSync(result.previous!).mode & 0o777, 0o600, 'the previous database is owner-only');
  const kept = new Database(result.previous!, { readonly: true });
  t.same(
    kept.prepare('SELECT v FROM marker').pluck().all(),
    ['old'],
    'the previous database kept what was only in its WAL',
  );
  kept.close();
  const now = new Database(old, { readonly: true });
  t.equal(now.pragma('integrity_check', { simple: true }), 'ok');
  t.equal(
    now.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'").pluck().get(),
    0,
    'the restored database is the backup, nothing of the old WAL replayed into it',
  );
  now.close();

  // stale WAL files with no database beside them are removed too
  const fresh = join(dir, 'fresh');
  mkdirSync(fresh);
  writeFileSync(join(fresh, 'vcio.db-wal'), wal);
  writeFileSync(join(fresh, 'vcio.db-shm'), Buffer.alloc(32768));
  await runRestore({ from: backup, dataDir: fresh }, quiet);
  t.same(readdirSync(fresh), ['vcio.db']);
  const check = new Database(join(fresh, 'vcio.db'), { readonly: true });
  t.equal(
    check.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'").pluck().get(),
    0,
  );
  check.close();
});

t.test('backup refusals and the command line', async (t) => {
  const c = await testCollector(t);
  const dir = tempDir(t);
  const out = join(dir, 'b.db');
  await runBackup({ dataDir: c.dataDir, out }, quiet);
  const first = statSync(out).mtimeMs;
  await t.rejects(
    runBackup({ dataDir: c.dataDir, out }, quiet),
    /b\.db already exists: give --force/,
  );
  await t.resolves(runBackup({ dataDir: c.dataDir, out, force: true }, quiet));
  t.ok(statSync(out).mtimeMs >= first, 'replaced with --force');
  await t.rejects(
    runBackup({ dataDir: join(dir, 'nowhere'), out: join(dir, 'x.db') }, quiet),
    /no collector database at .*nowhere.*vcio\.db: give the collector's --data-dir/,
  );
  await t.rejects(
    runBackup({ dataDir: c.dataDir, out: join(dir, 'no-such-dir', 'x.db') }, quiet),
    /no directory .*no-such-dir for --out/,
  );
  const notDb = join(dir, 'notdb');
  mkdirSync(notDb);
  writeFileSync(join(notDb, 'vcio.db'), Buffer.alloc(4096, 1));
  await t.rejects(
    runBackup({ dataDir: notDb, out: join(dir, 'y.db') }, quiet),
    /vcio\.db is not an SQLite database/,
  );
  t.notOk(existsSync(join(dir, 'x.db')) || existsSync(join(dir, 'y.db')), 'no file for a refusal');

  const [help, restoreHelp, missing, noOut] = await Promise.all([
    cli(['backup', '--help']),
    cli(['restore', '--help']),
    cli(['backup', '--data-dir', join(dir, 'nowhere'), '--out', join(dir, 'z.db')]),
    cli(['backup', '--data-dir', c.dataDir]),
  ]);
  t.equal(help.code, 0);
  t.match(help.stdout, /pg_dump[\s\S]*--out <file>[\s\S]*--gzip[\s\S]*30 2 \* \* \*/);
  t.equal(restoreHelp.code, 0);
  t.match(restoreHelp.stdout, /--from <file>[\s\S]*before-restore/);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^vcio-collector: error: no collector database at .+\n$/);
  t.equal(noOut.code, 1);
  t.match(noOut.stderr, /required option '--out <file>'/);
});
