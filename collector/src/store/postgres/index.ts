// The PostgreSQL store: for installations that run several collectors on one database they
// already operate and back up. Opened with a connection string; runs the numbered
// migrations (safe when several collectors start at once) before answering.
//
// Not yet chosen by configuration: posture, technology, initiatives, maintenance and the
// agent rotation methods of AccessStore are still to come (issue 9), so this is a
// PostgresCoreStore, not a whole Store.
import type {
  AccessStore,
  AuditStore,
  HostStore,
  InventoryStore,
  ReportStore,
  TenantStore,
} from '../types.js';
import { pgAccessStore } from './access.js';
import { pgAuditStore } from './audit.js';
import { openPgDatabase, type PgDatabase } from './database.js';
import { pgHostStore } from './hosts.js';
import { pgInventoryStore } from './inventory.js';
import { migratePg } from './migrate.js';
import { pgMigrations } from './migrations.js';
import { pgReportStore } from './reports.js';
import { pgTenantStore } from './tenants.js';

/** The AccessStore methods implemented so far (agent listing, revocation, rotation: to come). */
export type PgAccessMethods = Pick<
  AccessStore,
  | 'insertApiToken'
  | 'findApiToken'
  | 'insertEnrollmentToken'
  | 'findEnrollmentToken'
  | 'enrollAgent'
  | 'findAgent'
  | 'listApiTokens'
  | 'revokeApiToken'
  | 'listEnrollmentTokens'
  | 'revokeEnrollmentToken'
>;

/** The parts of the Store the PostgreSQL implementation has so far. */
export interface PostgresCoreStore {
  tenants: TenantStore;
  access: PgAccessMethods;
  audit: AuditStore;
  hosts: HostStore;
  reports: ReportStore;
  inventory: InventoryStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresStore extends PostgresCoreStore {
  readonly db: PgDatabase;
}

export interface PostgresStoreOptions {
  /** connections in the pool (default 10) */
  poolSize?: number;
  /** told about connections lost while idle (the pool replaces them) */
  onWarning?: (message: string) => void;
  /** after each committed batch of reports (the metrics' write latency) */
  onCommit?: (seconds: number, reports: number) => void;
}

export async function openPostgresStore(
  connectionString: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const db = openPgDatabase({
    connectionString,
    max: options.poolSize,
    onWarning: options.onWarning,
  });
  try {
    await migratePg(db, pgMigrations);
  } catch (error) {
    await db.end();
    throw error;
  }
  const reports = pgReportStore(db, { onCommit: options.onCommit });
  let closed = false;
  return {
    db,
    tenants: pgTenantStore(db),
    access: pgAccessStore(db),
    audit: pgAuditStore(db),
    hosts: pgHostStore(db),
    reports,
    inventory: pgInventoryStore(db),
    async ping() {
      await db.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      // Reports already accepted are written before the pool goes.
      await reports.drain();
      await db.end();
    },
  };
}
