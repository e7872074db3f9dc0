// The storage boundary. Everything the collector keeps goes through these interfaces, so
// the SQLite store (the embedded default) and a later PostgreSQL store are
// interchangeable. Split by concern (tenants, access, hosts, reports) so a change to one
// part of the model does not ripple through one giant interface.
//
// All methods are async even though better-sqlite3 is synchronous: a network database
// will implement the same contract.
import type {
  Category,
  DeepPartialSettings,
  EvaluationStatus,
  HostRole,
  LifecycleState,
  PatchSeverity,
  Report,
  RiskAcceptance,
  SectionName,
  Severity,
} from '@vcio/shared';

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
  /**
   * The latest assessment: score (null when no check applies) and OS lifecycle (null when
   * no system section was reported); null when the host was not assessed yet.
   */
  posture: {
    score: number | null;
    assessedAt: Date;
    os: { state: LifecycleState; label: string | null; eol: string | null } | null;
  } | null;
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

/** What people record about a host: its role and purchase date (null: not recorded). */
export interface HostAttributes {
  role: HostRole | null;
  /** YYYY-MM-DD */
  purchaseDate: string | null;
}

export interface RiskAcceptanceRecord extends RiskAcceptance {
  id: string;
  tenantId: string;
  createdAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export type CategoryScores = Record<Category, number | null>;

/** One check's result as stored; title, weight and remediation come from the catalog. */
export interface StoredCheckResult {
  checkId: string;
  status: EvaluationStatus | 'accepted';
  credit: number;
  evidence: string;
  missing?: string;
  /** the acceptance in force when status is 'accepted' */
  acceptanceId?: string;
}

export interface HostPostureRecord {
  hostId: string;
  tenantId: string;
  assessedAt: Date;
  score: number | null;
  coverage: number | null;
  role: HostRole;
  categories: CategoryScores;
  /** results, lifecycle (os, software, hardware) and sections seen: see posture/record.ts */
  detail: unknown;
}

/** A failing or partial check on a host, as it is now. */
export interface OpenFindingInput {
  checkId: string;
  severity: Severity;
  weight: number;
  credit: number;
  evidence: string;
}

export type FindingResolution = 'fixed' | 'accepted' | 'not_applicable';

export interface FindingRecord extends OpenFindingInput {
  id: number;
  tenantId: string;
  hostId: string;
  hostname: string;
  openedAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
  resolution: FindingResolution | null;
}

export interface PostureWrite {
  posture: HostPostureRecord;
  /** every finding open now; the store opens, updates and resolves rows to match */
  open: OpenFindingInput[];
  /** why a finding no longer open closed, by check id (default: fixed) */
  resolutions: Record<string, FindingResolution>;
  /**
   * Checks whose result is unknown now: a finding open for one stays open as it was, since
   * missing data is no evidence of a fix.
   */
  unknown: string[];
}

export interface PostureWriteOutcome {
  /** the score or a category differs from the previous assessment (or there was none) */
  changed: boolean;
  previousScore: number | null;
  opened: FindingRecord[];
  resolved: FindingRecord[];
}

export interface HistoryPoint {
  at: Date;
  score: number | null;
  categories: CategoryScores;
}

export interface FindingQuery {
  tenantId: string;
  hostId?: string;
  checkId?: string;
  /** open (default), resolved, or all */
  status: 'open' | 'resolved' | 'all';
  /** only findings opened or resolved at or after this time */
  since?: Date;
  severity?: Severity;
  limit: number;
  offset: number;
}

/** A tenant's open findings of one check. */
export interface OpenFindingsByCheck {
  checkId: string;
  hosts: number;
  severity: Severity;
  weight: number;
}

/** What the tenant score needs of each host. */
export interface TenantScoreInput {
  hostId: string;
  score: number | null;
  role: HostRole;
  categories: CategoryScores;
}

export interface PostureStore {
  getHostAttributes(hostId: string): Promise<HostAttributes>;
  setHostAttributes(hostId: string, attributes: HostAttributes, by: string): Promise<void>;
  getTenantSettings(tenantId: string): Promise<DeepPartialSettings>;
  setTenantSettings(tenantId: string, settings: DeepPartialSettings, by: string): Promise<void>;
  /** every acceptance of the tenant, newest first, expired and revoked included */
  listAcceptances(tenantId: string): Promise<RiskAcceptanceRecord[]>;
  addAcceptance(acceptance: RiskAcceptanceRecord): Promise<void>;
  /** false when there is no such live acceptance in the tenant */
  revokeAcceptance(tenantId: string, id: string, by: string, at: Date): Promise<boolean>;
  /**
   * Stores a host's assessment in one transaction: the latest row, the findings opened,
   * updated and resolved, and a history point when the scores changed or none was
   * recorded yet on that UTC day.
   */
  recordHostPosture(write: PostureWrite): Promise<PostureWriteOutcome>;
  /** a tenant history point, under the same rule; true when the tenant's scores changed */
  recordTenantPosture(tenantId: string, point: HistoryPoint): Promise<boolean>;
  getHostPosture(hostId: string): Promise<HostPostureRecord | null>;
  listHostPostures(tenantId: string): Promise<HostPostureRecord[]>;
  tenantScoreInputs(tenantId: string): Promise<TenantScoreInput[]>;
  history(scope: 'host' | 'tenant', id: string, since: Date): Promise<HistoryPoint[]>;
  findings(query: FindingQuery): Promise<{ total: number; findings: FindingRecord[] }>;
  openFindingsByCheck(tenantId: string): Promise<OpenFindingsByCheck[]>;
  /** hosts never assessed, or last assessed before `before`, oldest first */
  staleHosts(before: Date, limit: number): Promise<string[]>;
}

export interface Store {
  tenants: TenantStore;
  posture: PostureStore;
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
