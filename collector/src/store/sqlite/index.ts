// The embedded SQLite store: one database file in the data directory, nothing to install.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../types.js';
import { startCheckpointer } from './checkpointer.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { sqliteAccessStore } from './access.js';
import { sqliteAuditStore } from './audit.js';
import { sqliteHostStore } from './hosts.js';
import { sqliteInitiativeStore } from './initiatives.js';
import { sqliteInventoryStore } from './inventory.js';
import { sqliteMaintenance } from './maintenance.js';
import { sqliteTechnologyStore } from './technology.js';
import { inThreadTechnologyStore, workerTechnologyStore } from './technology-thread.js';
import { sqlitePostureStore } from './posture.js';
import { sqliteReportStore } from './reports.js';
import { sqliteTenantStore } from './tenants.js';

export const DATABASE_FILE = 'vcio.db';

export interface SqliteStore extends Store {
  readonly db: SqliteDatabase;
  readonly path: string;
}

export interface SqliteStoreOptions {
  synchronous?: 'normal' | 'full';
  /** told when WAL checkpointing has trouble (the store carries on) */
  onWarning?: (message: string) => void;
  /** after each committed batch of reports (the metrics' write latency) */
  onCommit?: (seconds: number, reports: number) => void;
  /**
   * Where the technology views group a tenant's software: a worker thread with its own
   * read-only connection (the default: seconds of work at thousands of hosts), or the
   * calling thread (the baseline of `pnpm bench technology`).
   */
  technologyThread?: 'worker' | 'main';
}

export function openSqliteStore(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, DATABASE_FILE);
  const db = openDatabase({ path, synchronous: options.synchronous });
  const reports = sqliteReportStore(db, { onCommit: options.onCommit });
  const ping = db.prepare('SELECT 1');
  const checkpointer = startCheckpointer(db, path, { onError: options.onWarning });
  const technology =
    options.technologyThread === 'main'
      ? inThreadTechnologyStore(sqliteTechnologyStore(db))
      : workerTechnologyStore(path);

  return {
    db,
    path,
    tenants: sqliteTenantStore(db),
    access: sqliteAccessStore(db),
    audit: sqliteAuditStore(db),
    hosts: sqliteHostStore(db),
    reports,
    inventory: sqliteInventoryStore(db),
    initiatives: sqliteInitiativeStore(db),
    technology,
    posture: sqlitePostureStore(db),
    maintenance: sqliteMaintenance(db),
    async ping() {
      ping.get();
    },
    async close() {
      reports.flush();
      await technology.close();
      await checkpointer.stop();
      if (db.open) {
        // A last checkpoint leaves a single file behind; on a database that can no longer
        // be written (read-only file system, full disk) it fails, and closing must not.
        try {
          db.pragma('wal_checkpoint(TRUNCATE)');
        } catch (error) {
          options.onWarning?.(`final checkpoint failed: ${(error as Error).message}`);
        }
        db.close();
      }
    },
  };
}
