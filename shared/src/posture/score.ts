// The posture score: 100 × Σ(weight × credit) / Σ(weight) over applicable checks (Wazuh
// SCA's passed/(passed+failed), with Secure Score's weights and partial credit).
//
// Unknown and not applicable leave the denominator, so missing data neither helps nor
// hurts the score; data coverage (applicable / (applicable + unknown)) is reported beside
// it so a high score on little data is visible. An accepted risk leaves the score like
// not applicable and stays listed; an expired acceptance has no effect.
import { CHECKS } from './catalog.js';
import type {
  Category,
  Check,
  Evaluation,
  HostPostureInput,
  HostRole,
  Severity,
  Thresholds,
} from './types.js';
import { CATEGORIES, DEFAULT_THRESHOLDS } from './types.js';

export interface RiskAcceptance {
  checkId: string;
  /** null: the whole tenant */
  hostId: string | null;
  reason: string;
  acceptedBy: string;
  expiresAt: Date;
}

export type ResultStatus = Evaluation['status'] | 'accepted';

/** One check's outcome on one host, with what the score needs. */
export interface CheckResult {
  checkId: string;
  title: string;
  category: Category;
  weight: number;
  severity: Severity;
  remediation: string;
  evaluation: Evaluation;
  /** the acceptance in force, if any: the result then leaves the score */
  acceptance: RiskAcceptance | null;
  /** the evaluation's status, or 'accepted' */
  status: ResultStatus;
}

/** What score() needs of a result. */
export interface Scored {
  weight: number;
  status: ResultStatus;
  evaluation: Pick<Evaluation, 'credit'>;
}

const APPLICABLE: ReadonlySet<ResultStatus> = new Set(['pass', 'fail', 'partial']);
const isApplicable = (r: Scored): boolean => APPLICABLE.has(r.status);

/** 0..100, or null when no check applies. */
export function score(results: readonly Scored[]): number | null {
  let earned = 0;
  let possible = 0;
  for (const r of results) {
    if (!isApplicable(r)) continue;
    earned += r.weight * r.evaluation.credit;
    possible += r.weight;
  }
  return possible === 0 ? null : (100 * earned) / possible;
}

/** applicable / (applicable + unknown); null when neither. Accepted results do not count. */
export function dataCoverage(results: readonly Scored[]): number | null {
  const applicable = results.filter(isApplicable).length;
  const unknowns = results.filter((r) => r.status === 'unknown').length;
  return applicable + unknowns === 0 ? null : applicable / (applicable + unknowns);
}

export function categoryScores(results: readonly CheckResult[]): Record<Category, number | null> {
  const out = {} as Record<Category, number | null>;
  for (const category of CATEGORIES)
    out[category] = score(results.filter((r) => r.category === category));
  return out;
}

/** The acceptance in force for a check on a host: host-specific first, then tenant-wide. */
export function activeAcceptance(
  checkId: string,
  hostId: string | null,
  acceptances: readonly RiskAcceptance[],
  now: Date,
): RiskAcceptance | null {
  const live = acceptances.filter(
    (a) => a.checkId === checkId && a.expiresAt.getTime() > now.getTime(),
  );
  return (
    live.find((a) => a.hostId !== null && a.hostId === hostId) ??
    live.find((a) => a.hostId === null) ??
    null
  );
}

export interface EvaluateHostOptions {
  hostId?: string | null;
  thresholds?: Thresholds;
  acceptances?: readonly RiskAcceptance[];
  checks?: readonly Check[];
}

export function evaluateChecks(
  input: HostPostureInput,
  options: EvaluateHostOptions = {},
): CheckResult[] {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const acceptances = options.acceptances ?? [];
  return (options.checks ?? CHECKS).map((check) => {
    const evaluation = check.evaluate(input, thresholds);
    const acceptance = activeAcceptance(check.id, options.hostId ?? null, acceptances, input.now);
    return {
      checkId: check.id,
      title: check.title,
      category: check.category,
      weight: check.weight,
      severity: check.severity,
      remediation: check.remediation,
      evaluation,
      acceptance,
      status: acceptance ? 'accepted' : evaluation.status,
    };
  });
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Failing and partial checks, heaviest first (then by severity, then by id for stability). */
export function findings(results: readonly CheckResult[]): CheckResult[] {
  return results
    .filter((r) => r.status === 'fail' || r.status === 'partial')
    .sort(
      (a, b) =>
        b.weight - a.weight ||
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        a.checkId.localeCompare(b.checkId),
    );
}

export interface HostPosture {
  score: number | null;
  categories: Record<Category, number | null>;
  coverage: number | null;
  findings: CheckResult[];
  accepted: CheckResult[];
  results: CheckResult[];
}

export function evaluateHost(
  input: HostPostureInput,
  options: EvaluateHostOptions = {},
): HostPosture {
  const results = evaluateChecks(input, options);
  return {
    score: score(results),
    categories: categoryScores(results),
    coverage: dataCoverage(results),
    findings: findings(results),
    accepted: results.filter((r) => r.status === 'accepted'),
    results,
  };
}

export const DEFAULT_SERVER_WEIGHT = 2;

/** Each category's tenant score: the same weighted mean over the hosts' category scores. */
export function tenantCategoryScores(
  hosts: readonly { categories: Partial<Record<Category, number | null>>; role: HostRole | null }[],
  serverWeight = DEFAULT_SERVER_WEIGHT,
): Record<Category, number | null> {
  const out = {} as Record<Category, number | null>;
  for (const category of CATEGORIES) {
    out[category] = tenantScore(
      hosts.map((h) => ({ score: h.categories[category] ?? null, role: h.role })),
      serverWeight,
    );
  }
  return out;
}

/** Mean of host scores, servers counted serverWeight times; hosts without a score skipped. */
export function tenantScore(
  hosts: readonly { score: number | null; role: HostRole | null }[],
  serverWeight = DEFAULT_SERVER_WEIGHT,
): number | null {
  let sum = 0;
  let weights = 0;
  for (const host of hosts) {
    if (host.score === null) continue;
    const w = host.role === 'server' ? serverWeight : 1;
    sum += w * host.score;
    weights += w;
  }
  return weights === 0 ? null : sum / weights;
}
