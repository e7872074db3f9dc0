// Opens the Store the configuration names: SQLite in the data directory (the default), or
// PostgreSQL at --database / VCIO_DATABASE_URL. Everything above the Store (routes, posture,
// metrics) works the same on either; the few SQLite-only pieces (the metrics worker on the
// database file, the write probe, backup and restore) check which one they were given.
import { mkdirSync } from 'node:fs';
import type { DatabaseConfig } from '../config.js';
import { openSqliteStore } from './sqlite/index.js';
import type { PostgresStore } from './postgres/index.js';
import type { Store } from './types.js';

/** The configured database cannot be opened: the message is the one line to show. */
export class DatabaseOpenError extends Error {}

export interface StoreHooks {
  /** after each committed group of reports (the metrics' write latency) */
  onCommit?: (seconds: number, reports: number) => void;
  /** conditions worth a log line that do not stop the store (checkpoints, lost connections) */
  onWarning?: (message: string) => void;
}

export interface OpenStoreOptions extends StoreHooks {
  database?: DatabaseConfig;
  /** the SQLite database lives here (and, for either store, bootstrap secrets and caches) */
  dataDir: string;
  synchronous?: 'normal' | 'full';
}

export interface OpenedStore {
  store: Store;
  kind: DatabaseConfig['kind'];
  /** what to log as the database: the SQLite file, or the URL with its password masked */
  description: string;
}

export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const database = options.database ?? { kind: 'sqlite' };
  // The data directory holds the bootstrap secrets and the refreshed lifecycle data for
  // both stores, and the database file for SQLite.
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  if (database.kind === 'postgres') {
    const store: Store = await openPostgres(database, options);
    return { store, kind: 'postgres', description: database.display };
  }
  const store = openSqliteStore(options.dataDir, {
    synchronous: options.synchronous,
    onCommit: options.onCommit,
    onWarning: options.onWarning,
  });
  return { store, kind: 'sqlite', description: store.path };
}

/**
 * Opens (and migrates) the PostgreSQL store; a failure is one line naming the database
 * with its password masked. The admin and export commands use it too.
 */
export async function openPostgres(
  database: Extract<DatabaseConfig, { kind: 'postgres' }>,
  options: StoreHooks & { poolSize?: number } = {},
): Promise<PostgresStore> {
  // Loaded only when chosen: an SQLite installation never loads the PostgreSQL store.
  const { openPostgresStore } = await import('./postgres/index.js');
  try {
    return await openPostgresStore(database.url, options);
  } catch (error) {
    // The usual faults are an address, a credential or a database name, which the
    // operator fixes in the URL.
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseOpenError(
      `cannot open the PostgreSQL database ${database.display}: ${reason}`,
      { cause: error },
    );
  }
}
