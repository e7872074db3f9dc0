// One host, from what the store holds to what it records: the latest sections, the host's
// recorded role and purchase date, the tenant's settings and acceptances, through the same
// assessHost the agent's `check` runs.
import {
  KNOWN_SECTIONS,
  assessHost,
  resolvePostureSettings,
  type AssessedSections,
  type EndOfLifeData,
  type HostAssessment,
  type LifecycleResult,
  type Platform,
  type PostureSettings,
} from '@vcio/shared';
import type {
  FindingResolution,
  HostDetail,
  PostureWrite,
  RiskAcceptanceRecord,
  StoredCheckResult,
  Store,
} from '../store/types.js';

/** What is shared by every host of a tenant while a batch is assessed. */
export interface TenantContext {
  settings: PostureSettings;
  /** live ones only: neither revoked nor (at assessment time) expired */
  acceptances: RiskAcceptanceRecord[];
}

export async function loadTenantContext(
  store: Store,
  tenantId: string,
  now: Date,
): Promise<TenantContext> {
  const [overrides, acceptances] = await Promise.all([
    store.posture.getTenantSettings(tenantId),
    store.posture.listAcceptances(tenantId),
  ]);
  return {
    settings: resolvePostureSettings(overrides),
    acceptances: acceptances.filter((a) => a.revokedAt === null && a.expiresAt > now),
  };
}

const PLATFORMS: readonly Platform[] = ['linux', 'windows', 'darwin', 'freebsd', 'other'];

/** The sections assessHost reads (all of them), as the store returns them. */
export function sectionsOf(host: HostDetail): AssessedSections {
  const sections: Record<string, unknown> = {};
  for (const name of KNOWN_SECTIONS) {
    const value = host.sections[name]?.data;
    if (value !== undefined) sections[name] = value;
  }
  return sections as AssessedSections;
}

export async function assessStoredHost(
  store: Store,
  host: HostDetail,
  tenant: TenantContext,
  now: Date,
  lifecycleData: EndOfLifeData | undefined,
  softwareLifecycle?: LifecycleResult[],
): Promise<HostAssessment> {
  const attributes = await store.posture.getHostAttributes(host.id);
  const platform = PLATFORMS.find((p) => p === host.os.platform);
  return assessHost(sectionsOf(host), {
    now,
    lastSeenAt: host.lastReportAt,
    platform,
    hostId: host.id,
    role: attributes.role,
    purchaseDate: attributes.purchaseDate,
    settings: tenant.settings,
    acceptances: tenant.acceptances,
    lifecycleData,
    softwareLifecycle,
  });
}

/** The detail stored with each assessment and served by the posture API. */
export interface StoredAssessmentDetail {
  platform: Platform;
  results: StoredCheckResult[];
  os: HostAssessment['os'];
  software: HostAssessment['software'];
  hardware: HostAssessment['hardware'];
  sections: HostAssessment['sections'];
}

const RESOLUTION: Partial<Record<StoredCheckResult['status'], FindingResolution>> = {
  pass: 'fixed',
  accepted: 'accepted',
  not_applicable: 'not_applicable',
};

export function postureWrite(
  host: Pick<HostDetail, 'id' | 'tenantId'>,
  assessment: HostAssessment,
  assessedAt: Date,
): PostureWrite {
  const { posture } = assessment;
  const results: StoredCheckResult[] = posture.results.map((r) => {
    const stored: StoredCheckResult = {
      checkId: r.checkId,
      status: r.status,
      credit: r.evaluation.credit,
      evidence: r.evaluation.evidence,
    };
    if (r.evaluation.missing !== undefined) stored.missing = r.evaluation.missing;
    // the store hands acceptances out as records, so the one in force has its id
    if (r.acceptance) stored.acceptanceId = (r.acceptance as RiskAcceptanceRecord).id;
    return stored;
  });
  const detail: StoredAssessmentDetail = {
    platform: assessment.platform,
    results,
    os: assessment.os,
    software: assessment.software,
    hardware: assessment.hardware,
    sections: assessment.sections,
  };
  const resolutions: Record<string, FindingResolution> = {};
  for (const r of results) {
    const resolution = RESOLUTION[r.status];
    if (resolution) resolutions[r.checkId] = resolution;
  }
  return {
    posture: {
      hostId: host.id,
      tenantId: host.tenantId,
      assessedAt,
      score: posture.score,
      coverage: posture.coverage,
      role: assessment.role,
      categories: posture.categories,
      detail,
    },
    open: posture.findings.map((f) => ({
      checkId: f.checkId,
      severity: f.severity,
      weight: f.weight,
      credit: f.evaluation.credit,
      evidence: f.evaluation.evidence,
    })),
    resolutions,
    unknown: results.filter((r) => r.status === 'unknown').map((r) => r.checkId),
  };
}
