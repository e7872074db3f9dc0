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
  /** when archived (hidden from lists; its agents' reports are still accepted); null: active */
  archivedAt?: Date | null;
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
  /** the site the hosts it enrolls start in; null or absent: none */
  siteId?: string | null;
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
  /**
   * A rotation's new secret, not yet used: the current secret keeps working until the agent
   * first authenticates with this one (completeAgentRotation). Absent/null: none pending.
   */
  pendingSecretHash?: Buffer | null;
  /** an admin asked the agent to rotate its secret; cleared when a rotation completes */
  rotateRequestedAt?: Date | null;
  /** when a rotation last replaced the secret; null: never */
  secretRotatedAt?: Date | null;
}

/** An agent as an admin lists it: never a secret or its hash. */
export interface AgentSummary {
  id: string;
  tenantId: string;
  machineId: string;
  hostname: string;
  version: string;
  createdAt: Date;
  revokedAt: Date | null;
  rotateRequestedAt: Date | null;
  secretRotatedAt: Date | null;
  /** a rotation was started and the agent has not used the new secret yet */
  rotationPending: boolean;
  /** the host this agent reports (null when none yet, or another agent of the machine took it over) */
  hostId: string | null;
  /** that host's last report; null without a host */
  lastSeen: Date | null;
}

export interface TenantStore {
  createTenant(tenant: Tenant): Promise<void>;
  listTenants(): Promise<TenantSummary[]>;
  /** by id or by slug */
  getTenant(idOrSlug: string): Promise<Tenant | null>;
  countTenants(): Promise<number>;
  /** false when there is no such tenant */
  renameTenant(id: string, name: string): Promise<boolean>;
  /** archives (at) or unarchives (null); false when there is no such tenant */
  setTenantArchived(id: string, at: Date | null): Promise<boolean>;
  createSite(site: Site): Promise<void>;
  /** the tenant's sites by slug, archived ones included, with their host counts */
  listSites(tenantId: string): Promise<SiteSummary[]>;
  /** by id or slug, within the tenant */
  getSite(tenantId: string, idOrSlug: string): Promise<Site | null>;
  getSiteById(id: string): Promise<Site | null>;
  renameSite(id: string, name: string): Promise<boolean>;
  /**
   * Archives (at) or unarchives (null) a site. Archiving also revokes the site's live
   * enrollment tokens (no new host lands in a closed site); its hosts stay in it.
   */
  setSiteArchived(id: string, at: Date | null): Promise<boolean>;
  /** moves a host to a site of its tenant, or out of any site (null) */
  setHostSite(hostId: string, siteId: string | null): Promise<boolean>;
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
  /** every API token, newest first, revoked ones included */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /**
   * Revokes an API token, refusing ('last_admin') to revoke the last live admin token: the
   * check and the change are one transaction.
   */
  revokeApiToken(id: string, at: Date): Promise<'revoked' | 'not_found' | 'last_admin'>;
  /** the tenant's enrollment tokens, newest first, revoked and used-up ones included */
  listEnrollmentTokens(tenantId: string): Promise<EnrollmentTokenRecord[]>;
  /** false when the tenant has no such live token */
  revokeEnrollmentToken(tenantId: string, id: string, at: Date): Promise<boolean>;
  /** the tenant's agents, newest first, revoked ones included */
  listAgents(tenantId: string): Promise<AgentSummary[]>;
  /** false when there is no such live (unrevoked) agent */
  revokeAgent(id: string, at: Date): Promise<boolean>;
  /**
   * Starts a rotation: stores `pendingHash` as the agent's pending secret (replacing any
   * earlier pending one, which was never used). The current secret is untouched. False
   * when there is no such live agent.
   */
  beginAgentRotation(id: string, pendingHash: Buffer): Promise<boolean>;
  /**
   * Completes a rotation: the pending secret becomes the secret, the old one stops working,
   * a rotation request is cleared. Only while `pendingHash` is still the pending secret (a
   * concurrent rotation wins); false otherwise.
   */
  completeAgentRotation(id: string, pendingHash: Buffer, at: Date): Promise<boolean>;
  /** Flags the agent to rotate on its next report; false when there is no such live agent. */
  requestAgentRotation(id: string, at: Date): Promise<boolean>;
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
  /** the host's site; null: none */
  site: HostSite | null;
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
  /** restrict to one site by id; null: hosts in no site; undefined: any */
  siteId?: string | null;
  limit: number;
  offset: number;
}

export interface HostStore {
  listHosts(query: HostQuery): Promise<{ hosts: HostSummary[]; total: number }>;
  /**
   * softwareItems false: the software section without its list (items null), for callers
   * that need only its hash: the list is most of the cost of reading a host.
   */
  getHost(id: string, options?: { softwareItems?: boolean }): Promise<HostDetail | null>;
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

/** Vendors and technology (H10): what a tenant runs, grouped in SQL. */
export interface SoftwareProductQuery {
  tenantId: string;
  /** case-insensitive substring of the publisher */
  publisher?: string;
  /** case-insensitive substring of the product name */
  name?: string;
  /** name: by publisher then name; hosts: most installed first; versions: most sprawl first */
  sort: 'name' | 'hosts' | 'versions';
  limit: number;
  offset: number;
}

export interface SoftwareProductRow {
  publisher: string | null;
  name: string;
  /** hosts with the product installed, any version */
  hosts: number;
  /** distinct versions in use (an unknown version counts as one): the version sprawl */
  versionCount: number;
  /** oldest first (versionKey order); version null when the package database gave none */
  versions: { version: string | null; hosts: number }[];
}

/** A key software release (lifecycle results of the stored assessments) and its hosts. */
export interface SoftwareReleaseRow {
  product: string;
  cycle: string;
  label: string;
  eol: string | null;
  state: 'ending_soon' | 'end_of_life';
  hosts: number;
}

export interface HardwareModelRow {
  manufacturer: string | null;
  model: string | null;
  hosts: number;
  virtual: number;
  /** ages in whole years of the hosts whose age is known, ascending */
  ages: number[];
}

export interface OsDistributionRow {
  platform: string | null;
  distro: string | null;
  release: string | null;
  hosts: number;
  /** the lifecycle label and end date the assessments found (one release has one) */
  label: string | null;
  eol: string | null;
  states: { supported: number; ending_soon: number; end_of_life: number; unknown: number };
}

export interface TechnologyStore {
  softwareProducts(
    query: SoftwareProductQuery,
  ): Promise<{ total: number; products: SoftwareProductRow[] }>;
  unsupportedSoftware(tenantId: string): Promise<SoftwareReleaseRow[]>;
  hardwareModels(tenantId: string): Promise<HardwareModelRow[]>;
  osDistribution(tenantId: string): Promise<OsDistributionRow[]>;
}

/** Initiatives (H10): projects with a target measured on the stored assessments. */
export interface InitiativeFilter {
  platforms?: string[];
  roles?: HostRole[];
  hostIds?: string[];
}

export type InitiativeTarget =
  | { type: 'checks'; checkIds: string[] }
  | { type: 'lifecycle'; os: 'not_end_of_life' | 'supported' }
  | { type: 'hardware'; notPastReplacement: true };

export type InitiativeStatus = 'active' | 'done' | 'cancelled';

export interface InitiativeRecord {
  id: string;
  tenantId: string;
  title: string;
  owner: string;
  filter: InitiativeFilter;
  target: InitiativeTarget;
  /** YYYY-MM-DD */
  startDate: string;
  /** YYYY-MM-DD */
  dueDate: string;
  status: InitiativeStatus;
  /** the suggestion it was adopted from, if any */
  suggestionKey: string | null;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

/** One host in an initiative's scope: whether it meets the target and, if not, why. */
export interface InitiativeHostRow {
  hostId: string;
  hostname: string;
  met: boolean;
  /** met, failing, unknown, end_of_life, ending_soon, past_replacement, age_unknown */
  reason: string;
}

export interface InitiativeProgressPoint {
  at: Date;
  inScope: number;
  met: number;
}

export interface InitiativeStore {
  create(initiative: InitiativeRecord): Promise<void>;
  /** null when there is no such initiative in the tenant */
  get(tenantId: string, id: string): Promise<InitiativeRecord | null>;
  /** newest first; every tenant when tenantId is null */
  list(tenantId: string | null, status?: InitiativeStatus): Promise<InitiativeRecord[]>;
  update(initiative: InitiativeRecord): Promise<void>;
  /** the tenant's assessed hosts in the filter that the target applies to, by hostname */
  evaluate(
    tenantId: string,
    filter: InitiativeFilter,
    target: InitiativeTarget,
    now: Date,
  ): Promise<InitiativeHostRow[]>;
  /** a point when the counts changed or none was recorded yet on that UTC day; true if recorded */
  recordProgress(initiativeId: string, point: InitiativeProgressPoint): Promise<boolean>;
  /** oldest first */
  progressHistory(initiativeId: string): Promise<InitiativeProgressPoint[]>;
}

/** A client's location (H8). Slugs are unique within a tenant. */
export interface Site {
  id: string;
  tenantId: string;
  slug: string;
  name: string;
  createdAt: Date;
  archivedAt: Date | null;
}

export interface SiteSummary extends Site {
  hostCount: number;
}

export interface HostSite {
  id: string;
  slug: string;
  name: string;
}

/** The audit log (H8): every change made through the API or the admin command. */
export interface AuditEntry {
  id: number;
  at: Date;
  /** the API token that made the change; null for the admin command */
  actorTokenId: string | null;
  /** the token's name, or "cli (<os user>)" */
  actorName: string;
  /** dotted verb, e.g. tenant.create, enrollment_token.revoke */
  action: string;
  /** the tenant the change belongs to; null for changes outside any tenant (admin tokens) */
  tenantId: string | null;
  targetType: string;
  targetId: string | null;
  /** what changed; never a secret */
  detail: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  tenantId?: string;
  /** entries at or after this time */
  since?: Date;
  action?: string;
  limit: number;
  offset: number;
}

export interface AuditStore {
  append(entry: NewAuditEntry): Promise<void>;
  /** newest first */
  query(query: AuditQuery): Promise<{ total: number; entries: AuditEntry[] }>;
}

/**
 * What the hourly retention job removes. Raw time series (performance samples, and the
 * report-id ledger that guards them against duplicates) go after the retention period;
 * score and progress history is thinned to one point per UTC day past the detail window
 * and then kept for good (trends and quarterly reviews read years back). The audit log,
 * findings and risk acceptances are never pruned.
 */
export interface RetentionPolicy {
  /** performance samples collected, and report ids received, before this are deleted */
  samplesBefore: Date;
  /** history points before this (rounded down to a UTC day) are thinned to the last of each day */
  historyDetailBefore: Date;
}

/** Rows removed per table by one retention run. */
export interface RetentionOutcome {
  performanceSamples: number;
  reportLedger: number;
  postureHistory: number;
  initiativeProgress: number;
}

export interface MaintenanceStore {
  /** Deletes in small transactions, yielding between them: ingest is never held up for long. */
  applyRetention(policy: RetentionPolicy): Promise<RetentionOutcome>;
}

export interface Store {
  tenants: TenantStore;
  posture: PostureStore;
  access: AccessStore;
  audit: AuditStore;
  hosts: HostStore;
  reports: ReportStore;
  inventory: InventoryStore;
  initiatives: InitiativeStore;
  technology: TechnologyStore;
  /** retention of old time series (the hourly job in collector.ts) */
  maintenance: MaintenanceStore;
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

/**
 * A write refused by a unique index (SQLite's SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's
 * SQLSTATE 23505): two creations of the same name at once, where the index decides.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
