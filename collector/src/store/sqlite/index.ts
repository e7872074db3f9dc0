// The embedded SQLite store: one database file in the data directory, nothing to install.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../types.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { sqliteAccessStore } from './access.js';
import { sqliteHostStore } from './hosts.js';
import { sqliteReportStore } from './reports.js';
import { sqliteTenantStore } from './tenants.js';

export const DATABASE_FILE = 'vcio.db';

export interface SqliteStore extends Store {
  readonly db: SqliteDatabase;
  readonly path: string;
}

export function openSqliteStore(dataDir: string, synchronous?: 'normal' | 'full'): SqliteStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DATABASE_FILE);
  const db = openDatabase({ path, synchronous });
  const reports = sqliteReportStore(db);
  const ping = db.prepare('SELECT 1');

  // The automatic checkpoint copies WAL pages into the database but never shrinks the WAL
  // file; truncating it from time to time keeps the file from growing under steady ingest.
  const checkpoint = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Busy or read-only: the next run will try again; ingest errors surface elsewhere.
    }
  }, 30_000);
  checkpoint.unref();

  return {
    db,
    path,
    tenants: sqliteTenantStore(db),
    access: sqliteAccessStore(db),
    hosts: sqliteHostStore(db),
    reports,
    async ping() {
      ping.get();
    },
    async close() {
      clearInterval(checkpoint);
      reports.flush();
      if (db.open) {
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
      }
    },
  };
}
