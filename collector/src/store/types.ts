// The storage boundary. Everything the collector keeps goes through these interfaces, so
// the SQLite store (the embedded default) and a later PostgreSQL store are
// interchangeable. Split by concern (tenants, access, hosts, reports) so a change to one
// part of the model does not ripple through one giant interface.
//
// All methods are async even though better-sqlite3 is synchronous: a network database
// will implement the same contract.
import type { PatchSeverity, Report, SectionName } from '@vcio/shared';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

export interface TenantSummary extends Tenant {
  hostCount: number;
}

export type ApiRole = 'admin' | 'read';

export interface ApiTokenRecord {
  id: string;
  /** null for an admin token that spans every tenant */
  tenantId: string | null;
  role: ApiRole;
  name: string;
  secretHash: Buffer;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface EnrollmentTokenRecord {
  id: string;
  tenantId: string;
  name: string;
  secretHash: Buffer;
  createdAt: Date;
  expiresAt: Date | null;
  /** null: unlimited */
  maxUses: number | null;
  uses: number;
  revokedAt: Date | null;
}

export interface AgentRecord {
  id: string;
  tenantId: string;
  secretHash: Buffer;
  enrollmentTokenId: string;
  machineId: string;
  hostname: string;
  version: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface TenantStore {
  createTenant(tenant: Tenant): Promise<void>;
  listTenants(): Promise<TenantSummary[]>;
  /** by id or by slug */
  getTenant(idOrSlug: string): Promise<Tenant | null>;
  countTenants(): Promise<number>;
}

export interface AccessStore {
  insertApiToken(token: ApiTokenRecord): Promise<void>;
  findApiToken(id: string): Promise<ApiTokenRecord | null>;
  insertEnrollmentToken(token: EnrollmentTokenRecord): Promise<void>;
  findEnrollmentToken(id: string): Promise<EnrollmentTokenRecord | null>;
  /**
   * Counts one use of the enrollment token and creates the agent, atomically, so a token
   * limited to N uses never enrolls N+1 agents under concurrency.
   */
  enrollAgent(tokenId: string, agent: AgentRecord): Promise<'enrolled' | 'exhausted'>;
  findAgent(id: string): Promise<AgentRecord | null>;
}

export interface HostSummary {
  id: string;
  tenantId: string;
  tenantSlug: string;
  machineId: string;
  hostname: string;
  agentId: string;
  agentVersion: string;
  os: { platform: string | null; distro: string | null; release: string | null };
  firstSeen: Date;
  lastSeen: Date;
  lastReportAt: Date;
}

export interface PerformanceSampleRow {
  collectedAt: Date;
  cpuUtilisation: number | null;
  load1: number | null;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  memoryAvailableBytes: number;
  swapUsedBytes: number | null;
  processCount: number | null;
  /** per-filesystem and per-interface detail, as the report gave it */
  detail: { filesystems: unknown[]; network: unknown[] };
}

export interface HostDetail extends HostSummary {
  /**
   * The latest of each section, with when it was collected. `software` is rebuilt from the
   * inventory tables: { hash, count, updatedAt, sources, items }, where updatedAt (and
   * collectedAt) is when the stored list was collected; reports that only confirm the
   * hash do not move it (lastReportAt says when the host last reported).
   */
  sections: Partial<Record<SectionName, { collectedAt: Date; data: unknown }>>;
  latestPerformance: PerformanceSampleRow | null;
}

export interface HostQuery {
  /** restrict to one tenant (a tenant-scoped token always sets this) */
  tenantId?: string;
  limit: number;
  offset: number;
}

export interface HostStore {
  listHosts(query: HostQuery): Promise<{ hosts: HostSummary[]; total: number }>;
  getHost(id: string): Promise<HostDetail | null>;
  performanceHistory(hostId: string, since: Date, limit: number): Promise<PerformanceSampleRow[]>;
}

export interface IngestInput {
  report: Report;
  agent: AgentRecord;
  receivedAt: Date;
  /** the sections of the report this collector knows and stores */
  sections: SectionName[];
}

export type IngestOutcome =
  /** resend: sections the agent should send whole next time (a software hash not held) */
  | { status: 'stored'; hostId: string; resend: SectionName[] }
  | { status: 'duplicate'; resend: SectionName[] }
  /** the report id exists but belongs to another agent */
  | { status: 'conflict' };

export interface ReportStore {
  /**
   * Resolves only once the report is durably committed. A software list in the report
   * must already have been checked against its hash (checkSoftwareSection): the store
   * trusts it.
   */
  ingest(input: IngestInput): Promise<IngestOutcome>;
  /** Deletes samples and report ledger rows older than the cut-off; returns rows removed. */
  prune(olderThan: Date): Promise<number>;
}

export interface SoftwareQuery {
  /** exact, case-insensitive (ASCII letters) */
  name: string;
  /** only versions that sort below this one (versionKey); entries of unknown version never match */
  below?: string;
  tenantId?: string;
  /** dpkg, rpm, registry-64...: only entries from this package database */
  source?: string;
  limit: number;
  offset: number;
}

export interface SoftwareMatch {
  hostId: string;
  hostname: string;
  tenantId: string;
  /** the tenant's slug */
  tenant: string;
  name: string;
  version: string | null;
  arch: string | null;
  source: string;
}

export interface PendingUpdateQuery {
  /** true: security updates only; false: only those the source says are not; unset: all */
  security?: boolean;
  severity?: PatchSeverity;
  tenantId?: string;
  limit: number;
  offset: number;
}

export interface PendingUpdateMatch {
  hostId: string;
  hostname: string;
  tenantId: string;
  tenant: string;
  manager: string;
  /** when the source was checked */
  checkedAt: Date;
  name: string;
  kb: string | null;
  currentVersion: string | null;
  availableVersion: string | null;
  security: boolean | null;
  severity: PatchSeverity | null;
  classification: string | null;
  advisories: string[];
  restartRequired: boolean | null;
  releasedAt: Date | null;
}

/** Questions across hosts: who has a package, which updates are pending where. */
export interface InventoryStore {
  findSoftware(query: SoftwareQuery): Promise<{ total: number; matches: SoftwareMatch[] }>;
  findPendingUpdates(
    query: PendingUpdateQuery,
  ): Promise<{ total: number; updates: PendingUpdateMatch[] }>;
}

export interface Store {
  tenants: TenantStore;
  access: AccessStore;
  hosts: HostStore;
  reports: ReportStore;
  inventory: InventoryStore;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The database cannot take writes right now (disk full, read-only, locked). Callers answer
 * 503 so agents keep their reports and retry later.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`storage unavailable: ${reason}`, options);
  }
}
