// The PostgreSQL store: for installations that run several collectors on one database they
// already operate and back up. Opened with a connection string; runs the numbered
// migrations (safe when several collectors start at once) before answering.
//
// Chosen by configuration (--database postgres://..., store/factory.ts); every part of the
// Store is here (the factory's `const store: Store = ...` checks that it stays so).
import type {
  AccessStore,
  AuditStore,
  HostStore,
  InitiativeStore,
  InventoryStore,
  MaintenanceStore,
  PostureStore,
  ReportStore,
  TechnologyStore,
  TenantStore,
} from '../types.js';
import { pgAccessStore } from './access.js';
import { pgAgentStore } from './agents.js';
import { pgAuditStore } from './audit.js';
import { openPgDatabase, type PgDatabase } from './database.js';
import { pgHostStore } from './hosts.js';
import { pgInitiativeStore } from './initiatives.js';
import { pgInventoryStore } from './inventory.js';
import { pgMaintenanceStore } from './maintenance.js';
import { migratePg } from './migrate.js';
import { pgMigrations } from './migrations.js';
import { pgPostureStore } from './posture.js';
import { pgReportStore } from './reports.js';
import { pgTechnologyStore } from './technology.js';
import { pgTenantStore } from './tenants.js';

/** The AccessStore methods of access.ts (agent listing, revocation, rotation: agents.ts). */
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
  access: AccessStore;
  audit: AuditStore;
  hosts: HostStore;
  reports: ReportStore;
  inventory: InventoryStore;
  posture: PostureStore;
  technology: TechnologyStore;
  initiatives: InitiativeStore;
  maintenance: MaintenanceStore;
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
    access: { ...pgAccessStore(db), ...pgAgentStore(db) },
    audit: pgAuditStore(db),
    hosts: pgHostStore(db),
    reports,
    inventory: pgInventoryStore(db),
    posture: pgPostureStore(db),
    technology: pgTechnologyStore(db),
    initiatives: pgInitiativeStore(db),
    maintenance: pgMaintenanceStore(db),
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
