// Opening the embedded database: pragmas, and the numbered migrations.
//
// Durability: WAL with synchronous=NORMAL. A committed transaction survives a crash of
// the collector process (the WAL is written before the commit returns); on power loss
// or an OS crash the last few commits before the failure can be lost, never corrupted.
// synchronous=FULL would close that window at about 80% of ingest throughput (one disk
// flush per commit); agents resend what was not acknowledged, so NORMAL is the default.
import Database from 'better-sqlite3';
import { migrations, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  path: string;
  /** 'full' trades ingest rate for surviving power loss without losing the last commits */
  synchronous?: 'normal' | 'full';
}

export function openDatabase(options: OpenOptions): SqliteDatabase {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `the database schema is version ${found}, newer than this collector knows (${known}); ` +
        'run a newer vcio-collector or restore a backup made for this version',
    );
  }
}

export function migrate(db: SqliteDatabase, list: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const current =
    (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null })
      .v ?? 0;
  const latest = list.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) throw new SchemaTooNewError(current, latest);
  const applied: number[] = [];
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    })();
    applied.push(m.version);
  }
  return applied;
}

export function schemaVersion(db: SqliteDatabase): number {
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v;
}
