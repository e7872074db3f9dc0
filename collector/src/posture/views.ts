// What the posture API answers, built from stored records and the check catalog. Titles,
// categories and remediations come from the catalog at read time, so a better remediation
// text reaches every host without re-assessing it.
import {
  CATEGORIES,
  findCheck,
  replacementForecast,
  type Category,
  type LifecycleResult,
  type LifecycleState,
  type PostureSettings,
} from '@vcio/shared';
import type {
  FindingRecord,
  HistoryPoint,
  HostPostureRecord,
  RiskAcceptanceRecord,
  OpenFindingsByCheck,
  StoredCheckResult,
} from '../store/types.js';
import type { StoredAssessmentDetail } from './assess.js';

/** Scores as the API shows them: two decimals. */
export const round2 = (n: number | null): number | null =>
  n === null ? null : Math.round(n * 100) / 100;

function catalogFields(checkId: string) {
  const check = findCheck(checkId);
  return {
    title: check?.title ?? checkId,
    category: check?.category ?? null,
    weight: check?.weight ?? null,
    severity: check?.severity ?? null,
    cis: check?.cis ?? [],
    remediation: check?.remediation ?? null,
  };
}

export function resultView(r: StoredCheckResult) {
  return { ...catalogFields(r.checkId), ...r };
}

export function findingView(f: FindingRecord) {
  const { title, category, cis, remediation } = catalogFields(f.checkId);
  return {
    id: f.id,
    checkId: f.checkId,
    title,
    category,
    cis,
    severity: f.severity,
    weight: f.weight,
    credit: f.credit,
    evidence: f.evidence,
    remediation,
    hostId: f.hostId,
    hostname: f.hostname,
    openedAt: f.openedAt,
    resolvedAt: f.resolvedAt,
    resolution: f.resolution,
  };
}

export function acceptanceView(a: RiskAcceptanceRecord, now: Date) {
  const state = a.revokedAt ? 'revoked' : a.expiresAt <= now ? 'expired' : 'active';
  return { ...a, title: catalogFields(a.checkId).title, state };
}

export const trendView = (points: HistoryPoint[]) =>
  points.map((p) => ({
    at: p.at,
    score: round2(p.score),
    categories: roundCategories(p.categories),
  }));

function roundCategories(c: Partial<Record<Category, number | null>>) {
  const out = {} as Record<Category, number | null>;
  for (const category of CATEGORIES) out[category] = round2(c[category] ?? null);
  return out;
}

export function hostPostureView(
  record: HostPostureRecord,
  host: { hostname: string; tenantSlug: string },
  openFindings: FindingRecord[],
  acceptances: RiskAcceptanceRecord[],
  trend: HistoryPoint[],
) {
  const detail = record.detail as StoredAssessmentDetail;
  const openedAt = new Map(openFindings.map((f) => [f.checkId, f.openedAt]));
  const byId = new Map(acceptances.map((a) => [a.id, a]));
  const results = detail.results.map(resultView);
  const findings = results
    .filter((r) => r.status === 'fail' || r.status === 'partial')
    .sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0) || a.checkId.localeCompare(b.checkId))
    .map((r) => ({ ...r, openedAt: openedAt.get(r.checkId) ?? null }));
  return {
    hostId: record.hostId,
    hostname: host.hostname,
    tenant: host.tenantSlug,
    assessedAt: record.assessedAt,
    platform: detail.platform,
    role: record.role,
    score: round2(record.score),
    coverage: round2(record.coverage),
    categories: roundCategories(record.categories),
    findings,
    accepted: results
      .filter((r) => r.status === 'accepted')
      .map((r) => ({
        ...r,
        acceptance: r.acceptanceId ? (byId.get(r.acceptanceId) ?? null) : null,
      })),
    unknown: results
      .filter((r) => r.status === 'unknown')
      .map((r) => ({ checkId: r.checkId, title: r.title, missing: r.missing ?? null })),
    results,
    lifecycle: { os: detail.os, software: detail.software, hardware: detail.hardware },
    trend: trendView(trend),
  };
}

/** Ranked by weight × hosts affected: what to fix first for the most good. */
export function topFindingsView(
  rows: OpenFindingsByCheck[],
  samples: Map<string, FindingRecord[]>,
) {
  return rows
    .map((row) => ({
      ...catalogFields(row.checkId),
      checkId: row.checkId,
      severity: row.severity,
      weight: row.weight,
      hostsAffected: row.hosts,
      rank: row.weight * row.hosts,
      hosts: (samples.get(row.checkId) ?? []).map((f) => ({
        hostId: f.hostId,
        hostname: f.hostname,
        evidence: f.evidence,
        openedAt: f.openedAt,
      })),
    }))
    .sort((a, b) => b.rank - a.rank || a.checkId.localeCompare(b.checkId));
}

const STATES: readonly LifecycleState[] = ['supported', 'ending_soon', 'end_of_life', 'unknown'];

const WORST_FIRST: readonly LifecycleState[] = [
  'end_of_life',
  'ending_soon',
  'unknown',
  'supported',
];

const countStates = () =>
  Object.fromEntries(STATES.map((s) => [s, 0])) as Record<LifecycleState, number>;

/** OS and software lifecycle across a tenant's hosts, and the hardware replacement forecast. */
export function tenantLifecycleView(
  postures: (HostPostureRecord & { hostname: string })[],
  settings: PostureSettings,
  now: Date,
) {
  const osCounts = countStates();
  const osHosts = [];
  const software = new Map<
    string,
    LifecycleResult & { hosts: { hostId: string; hostname: string }[] }
  >();
  const hardwareHosts = [];
  const names = new Map(postures.map((p) => [p.hostId, p.hostname]));
  let virtual = 0;
  for (const p of postures) {
    const detail = p.detail as StoredAssessmentDetail;
    const os = detail.os;
    const state = os?.state ?? 'unknown';
    osCounts[state] += 1;
    osHosts.push({
      hostId: p.hostId,
      hostname: p.hostname,
      label: os?.label ?? null,
      product: os?.product ?? null,
      cycle: os?.cycle ?? null,
      state,
      eol: os?.eol ?? null,
      reason: os ? (os.reason ?? null) : 'no system section reported yet',
    });
    for (const item of detail.software) {
      const key = `${item.product}@${item.cycle}`;
      const entry = software.get(key) ?? { ...item, hosts: [] };
      entry.hosts.push({ hostId: p.hostId, hostname: p.hostname });
      software.set(key, entry);
    }
    if (detail.hardware.virtual === true) {
      virtual += 1;
      continue;
    }
    hardwareHosts.push({
      id: p.hostId,
      role: detail.hardware.role,
      firmwareDate: detail.hardware.firmwareDate ?? null,
      purchaseDate: detail.hardware.purchaseDate ?? null,
    });
  }
  const forecast = replacementForecast(hardwareHosts, now, settings.replacement);
  const named = (ids: string[]) => ids.map((id) => ({ hostId: id, hostname: names.get(id) ?? id }));
  // the worst first: end of life, ending soon, unknown, supported
  const stateOrder = (s: LifecycleState) => WORST_FIRST.indexOf(s);
  return {
    os: {
      counts: osCounts,
      hosts: osHosts.sort(
        (a, b) => stateOrder(a.state) - stateOrder(b.state) || a.hostname.localeCompare(b.hostname),
      ),
    },
    software: [...software.values()]
      .map((s) => ({ ...s, hostCount: s.hosts.length }))
      .sort((a, b) => stateOrder(a.state) - stateOrder(b.state) || b.hostCount - a.hostCount),
    hardware: {
      policy: settings.replacement,
      overdue: named(forecast.overdue),
      quarters: forecast.quarters.map((q) => ({
        quarter: q.quarter,
        start: q.start,
        hosts: named(q.hostIds),
      })),
      later: forecast.later.length,
      unknown: named(forecast.unknown),
      virtual,
    },
  };
}
