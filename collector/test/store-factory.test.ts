// Choosing the store by configuration (store/factory.ts), and what the storage
// availability tracker makes of PostgreSQL's failures.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDatabase } from '../src/config.js';
import { DatabaseOpenError, openStore } from '../src/store/factory.js';
import { storageFailureReason, StorageAvailability } from '../src/store/availability.js';
import { StoreUnavailableError } from '../src/store/types.js';
import { postgresUnavailable, startTestPostgres } from './support/postgres.js';

const tempDir = (t: { teardown(fn: () => void): void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-factory-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('no --database: SQLite in the data directory, which is created', async (t) => {
  const dataDir = join(tempDir(t), 'nested', 'data');
  const opened = await openStore({ dataDir });
  t.teardown(() => opened.store.close());
  t.equal(opened.kind, 'sqlite');
  t.equal(opened.description, join(dataDir, 'vcio.db'));
  t.ok(existsSync(join(dataDir, 'vcio.db')));
  t.equal(await opened.store.tenants.countTenants(), 0, 'a working, empty store');
});

t.test('an unreachable PostgreSQL: one line naming it, password masked', async (t) => {
  const dataDir = tempDir(t);
  const database = parseDatabase('postgres://vcio:hunter2-secret@127.0.0.1:1/vcio');
  const error = await openStore({ dataDir, database }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(error instanceof DatabaseOpenError);
  t.match(
    (error as Error).message,
    /^cannot open the PostgreSQL database postgres:\/\/vcio:\*\*\*@127\.0\.0\.1:1\/vcio: .*ECONNREFUSED/,
  );
  t.notMatch((error as Error).message, /hunter2/);
  t.notOk(existsSync(join(dataDir, 'vcio.db')), 'no SQLite file made on the side');
});

t.test('PostgreSQL failures get storage reasons', async (t) => {
  const cases: [unknown, string | null][] = [
    [{ code: '53100' }, 'full'],
    [{ code: '53300' }, 'resources'], // too many connections
    [{ code: '08006' }, 'connection'],
    [{ code: 'ECONNREFUSED' }, 'connection'],
    [{ code: '25006' }, 'readonly'],
    [{ code: '57P01' }, 'shutdown'],
    [{ code: '57P03' }, 'starting'],
    [{ code: '58030' }, 'ioerr'],
    [{ code: '55P03' }, 'busy'],
    [new Error('Connection terminated unexpectedly'), 'connection'],
    [{ code: '23505' }, null], // a unique violation is no storage failure
    [{ code: '40001' }, null],
    [{ code: 'SQLITE_FULL' }, 'full'],
  ];
  for (const [error, reason] of cases) {
    t.equal(storageFailureReason(error), reason, JSON.stringify(error) || String(error));
  }

  const logged: string[] = [];
  const log = (_: object, msg: string) => logged.push(msg);
  const storage = new StorageAvailability({ logger: { error: log, warn: log, info: log } });
  t.teardown(() => storage.close());
  storage.reportFailure(
    new StoreUnavailableError('postgres 53100: could not extend file', {
      cause: Object.assign(new Error('could not extend file'), { code: '53100' }),
    }),
  );
  t.match(storage.status, { available: false, reason: 'full' });
  t.equal(storage.refusing, false, 'no probe: reports keep being tried');
  storage.reportSuccess();
  t.equal(storage.available, true, 'a write that succeeds ends the outage');
  t.match(logged, [/storage unavailable/, /storage recovered/]);
});

const unavailable = postgresUnavailable();
t.test(
  '--database postgres://: the whole Store on PostgreSQL',
  { skip: unavailable ?? false },
  async (t) => {
    const server = await startTestPostgres(t);
    const url = await server.createDatabase();
    const dataDir = tempDir(t);
    const opened = await openStore({ dataDir, database: parseDatabase(url) });
    t.teardown(() => opened.store.close());
    t.equal(opened.kind, 'postgres');
    t.equal(opened.description, url, 'no password to mask');
    await opened.store.ping();
    t.equal(await opened.store.tenants.countTenants(), 0);
    t.notOk(existsSync(join(dataDir, 'vcio.db')), 'the data directory holds no database');
    t.same(
      await opened.store.maintenance.applyRetention({
        samplesBefore: new Date(),
        historyDetailBefore: new Date(),
      }),
      { performanceSamples: 0, reportLedger: 0, postureHistory: 0, initiativeProgress: 0 },
    );
  },
);
