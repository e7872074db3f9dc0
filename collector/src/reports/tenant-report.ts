// A tenant's posture report for a strategy review, as one versioned JSON document that the
// CSV, HTML and PDF renderers all draw from. Scores, findings, lifecycle and the forecast
// come from the stored assessments through the same view functions the posture API uses,
// so the report and the API never tell a client two different numbers.
import {
  CATEGORIES,
  resolvePostureSettings,
  tenantCategoryScores,
  tenantScore,
  type HostRole,
  type Severity,
} from '@vcio/shared';
import type { StoredAssessmentDetail } from '../posture/assess.js';
import { embeddedLifecycle } from '../posture/service.js';
import {
  acceptanceView,
  findingView,
  round2,
  tenantLifecycleView,
  topFindingsView,
  trendView,
} from '../posture/views.js';
import type { CategoryScores, FindingRecord, Store, Tenant } from '../store/types.js';
import { reportExtensions, type ReportExtensions } from './extensions.js';
import { jsonified } from './jsonified.js';
import { hostPatchStates, patchCompliance } from './patch-compliance.js';
import { allHosts, allOpenFindings, allPendingUpdates, findingsChangedSince } from './read-all.js';
import { replacementBudget } from './replacement-budget.js';

export const TENANT_REPORT_SCHEMA = 'vcio.report.tenant.v1';

const DAY = 86_400_000;
/** How far back the score before a review is looked for when none was recorded that day. */
const BASELINE_LOOKBACK_DAYS = 400;
/** Hosts named under each top risk; the count says how many there are in all. */
const TOP_RISK_HOSTS = 20;

export const REPORT_DEFAULTS = Object.freeze({ trendDays: 90, sinceDays: 90, top: 10 });

export interface TenantReportOptions {
  /** the last review: what changed since then (default: 90 days before now) */
  since?: Date;
  /** risks listed, heaviest first (default 10) */
  top?: number;
  /** days of score trend (default 90) */
  trendDays?: number;
}

export interface TenantReportDeps {
  /** where the endoflife.date data came from (the posture service's; embedded by default) */
  lifecycleSource?: () => object;
  /** technology and initiatives, computed by their own modules */
  extensions?: ReportExtensions;
}

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

function tenantCategories(
  hosts: { categories: CategoryScores; role: HostRole }[],
  serverWeight: number,
): CategoryScores {
  const scores = tenantCategoryScores(hosts, serverWeight);
  for (const category of CATEGORIES) scores[category] = round2(scores[category]);
  return scores;
}

const roundedCategories = (c: CategoryScores): CategoryScores =>
  Object.fromEntries(CATEGORIES.map((k) => [k, round2(c[k] ?? null)])) as CategoryScores;

/** The tenant's score at the last review: the last scored point at or before it, else the first after. */
async function baselineScore(store: Store, tenantId: string, since: Date, now: Date) {
  // a point without a score (no host scored yet) is no baseline to compare with
  const points = (
    await store.posture.history(
      'tenant',
      tenantId,
      new Date(since.getTime() - BASELINE_LOOKBACK_DAYS * DAY),
    )
  ).filter((p) => p.score !== null);
  const before = points.filter((p) => p.at <= since).at(-1);
  if (before) return { at: before.at, score: round2(before.score), basis: 'at_review' as const };
  const after = points.find((p) => p.at > since && p.at <= now);
  if (after) return { at: after.at, score: round2(after.score), basis: 'first_after' as const };
  return { at: null, score: null, basis: 'none' as const };
}

async function buildRaw(
  store: Store,
  tenant: Tenant,
  now: Date,
  options: TenantReportOptions,
  deps: TenantReportDeps,
) {
  const since = options.since ?? new Date(now.getTime() - REPORT_DEFAULTS.sinceDays * DAY);
  const trendDays = options.trendDays ?? REPORT_DEFAULTS.trendDays;
  const top = options.top ?? REPORT_DEFAULTS.top;
  const extensions = deps.extensions ?? reportExtensions;

  const settings = resolvePostureSettings(await store.posture.getTenantSettings(tenant.id));
  const [hosts, postureRecords, scoreInputs, byCheck, open, changed, updates, acceptances] =
    await Promise.all([
      allHosts(store, tenant.id),
      store.posture.listHostPostures(tenant.id),
      store.posture.tenantScoreInputs(tenant.id),
      store.posture.openFindingsByCheck(tenant.id),
      allOpenFindings(store, tenant.id),
      findingsChangedSince(store, tenant.id, since),
      allPendingUpdates(store, tenant.id),
      store.posture.listAcceptances(tenant.id),
    ]);
  const names = new Map(hosts.map((h) => [h.id, h.hostname]));
  const postures = postureRecords
    .map((p) => ({ ...p, hostname: names.get(p.hostId) ?? p.hostId }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.hostId.localeCompare(b.hostId));
  const postureOf = new Map(postures.map((p) => [p.hostId, p]));

  // executive summary
  const score = round2(tenantScore(scoreInputs, settings.serverWeight));
  const trend = await store.posture.history(
    'tenant',
    tenant.id,
    new Date(now.getTime() - trendDays * DAY),
  );
  const baseline = await baselineScore(store, tenant.id, since, now);
  const opened = changed.filter((f) => f.openedAt >= since);
  const resolved = changed.filter((f) => f.resolvedAt !== null && f.resolvedAt >= since);
  const findingsBySeverity = Object.fromEntries(
    SEVERITIES.map((s) => [s, open.filter((f) => f.severity === s).length]),
  ) as Record<Severity, number>;

  // top risks: weight × hosts affected
  const ranked = [...byCheck]
    .sort((a, b) => b.weight * b.hosts - a.weight * a.hosts || a.checkId.localeCompare(b.checkId))
    .slice(0, top);
  const samples = new Map<string, FindingRecord[]>();
  for (const row of ranked) {
    samples.set(
      row.checkId,
      open.filter((f) => f.checkId === row.checkId).slice(0, TOP_RISK_HOSTS),
    );
  }

  // lifecycle and the replacement forecast
  const lifecycle = tenantLifecycleView(postures, settings, now);
  const roles = new Map(
    postures.map((p) => [p.hostId, (p.detail as StoredAssessmentDetail).hardware.role]),
  );
  const patchStates = hostPatchStates(postures, updates, now);

  // accepted risks in force, with how many hosts each covers now
  const covered = new Map<string, number>();
  for (const p of postures) {
    for (const r of (p.detail as StoredAssessmentDetail).results) {
      if (r.status === 'accepted' && r.acceptanceId) {
        covered.set(r.acceptanceId, (covered.get(r.acceptanceId) ?? 0) + 1);
      }
    }
  }
  const acceptedRisks = acceptances
    .map((a) => acceptanceView(a, now))
    .filter((a) => a.state === 'active')
    .map((a) => ({
      id: a.id,
      checkId: a.checkId,
      title: a.title,
      scope: a.hostId === null ? ('tenant' as const) : ('host' as const),
      hostId: a.hostId,
      hostname: a.hostId === null ? null : (names.get(a.hostId) ?? a.hostId),
      reason: a.reason,
      acceptedBy: a.acceptedBy,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
      hostsCovered: covered.get(a.id) ?? 0,
    }));

  const [technology, initiatives] = await Promise.all([
    extensions.technology(store, tenant.id),
    extensions.initiatives(store, tenant.id, now),
  ]);

  return {
    schema: TENANT_REPORT_SCHEMA,
    generatedAt: now,
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
    period: { since, trendDays, until: now },
    lifecycleData: (deps.lifecycleSource ?? embeddedLifecycle.describe)(),
    summary: {
      score,
      categories: tenantCategories(scoreInputs, settings.serverWeight),
      serverWeight: settings.serverWeight,
      hosts: {
        total: hosts.length,
        assessed: scoreInputs.length,
        scored: scoreInputs.filter((h) => h.score !== null).length,
        servers: scoreInputs.filter((h) => h.role === 'server').length,
        workstations: scoreInputs.filter((h) => h.role === 'workstation').length,
      },
      openFindings: open.length,
      findingsBySeverity,
      trend: trendView(trend),
      sinceLastReview: {
        since,
        baseline,
        scoreNow: score,
        scoreDelta:
          baseline.score === null || score === null ? null : round2(score - baseline.score),
        openedCount: opened.length,
        resolvedCount: resolved.length,
        opened: opened.map(findingView),
        resolved: resolved.map(findingView),
      },
    },
    topRisks: topFindingsView(ranked, samples),
    patchCompliance: patchCompliance(patchStates, updates, settings),
    lifecycle: {
      endingSoonDays: settings.endingSoonDays,
      extendedSupport: settings.extendedSupport,
      os: {
        counts: lifecycle.os.counts,
        endOfLife: lifecycle.os.hosts.filter((h) => h.state === 'end_of_life'),
        endingSoon: lifecycle.os.hosts.filter((h) => h.state === 'ending_soon'),
      },
      software: {
        endOfLife: lifecycle.software.filter((s) => s.state === 'end_of_life'),
        endingSoon: lifecycle.software.filter((s) => s.state === 'ending_soon'),
        tracked: lifecycle.software.length,
      },
    },
    hardwareForecast: replacementBudget(lifecycle.hardware, roles, settings),
    technology,
    initiatives,
    acceptedRisks,
    hosts: hosts.map((h) => {
      const p = postureOf.get(h.id);
      const detail = p?.detail as StoredAssessmentDetail | undefined;
      const patch = patchStates.get(h.id);
      return {
        hostId: h.id,
        hostname: h.hostname,
        role: p?.role ?? null,
        score: round2(p?.score ?? null),
        coverage: round2(p?.coverage ?? null),
        categories: p ? roundedCategories(p.categories) : null,
        os: {
          platform: h.os.platform,
          label:
            detail?.os?.label ?? ([h.os.distro, h.os.release].filter(Boolean).join(' ') || null),
          state: detail?.os?.state ?? 'unknown',
          eol: detail?.os?.eol ?? null,
        },
        hardware: detail
          ? {
              ageYears: detail.hardware.ageYears,
              replacementDue: detail.hardware.replacementDue,
              virtual: detail.hardware.virtual,
            }
          : null,
        pendingUpdates: patch?.pending ?? 0,
        securityUpdates: patch?.securityPending ?? 0,
        rebootPending: patch?.rebootPending ?? false,
        openFindings: open.filter((f) => f.hostId === h.id).length,
        lastSeen: h.lastSeen,
        assessedAt: p?.assessedAt ?? null,
      };
    }),
    findings: open.map(findingView),
  };
}

/** The report document; every date is an ISO string, so it is the JSON as served. */
export async function buildTenantReport(
  store: Store,
  tenant: Tenant,
  now: Date,
  options: TenantReportOptions = {},
  deps: TenantReportDeps = {},
) {
  return jsonified(await buildRaw(store, tenant, now, options, deps));
}

export type TenantReport = Awaited<ReturnType<typeof buildTenantReport>>;
