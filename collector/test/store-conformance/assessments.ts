// Builders for the posture, technology and initiative suites: hosts ingested through the
// Store, and assessments written as the posture service stores them (detail included), so
// both stores are read back from the same rows.
import { CATEGORIES, type Report } from '@vcio/shared';
import { samplePerformance } from '@vcio/shared/testing';
import type { StoredAssessmentDetail } from '../../src/posture/assess.js';
import type {
  CategoryScores,
  OpenFindingInput,
  PostureWrite,
  StoredCheckResult,
} from '../../src/store/types.js';
import type { ConformanceStore } from './harness.js';
import { enrolledAgent, ingest, report, storedHost, T0 } from './fixtures.js';

/** Every category at one score (null: none applies). */
export const categories = (score: number | null): CategoryScores =>
  Object.fromEntries(CATEGORIES.map((c) => [c, score])) as CategoryScores;

/** A host of the tenant, ingested with the given sections (a performance sample if none). */
export async function host(
  store: ConformanceStore,
  tenantId: string,
  machineId: string,
  sections: Report['sections'] = { performance: samplePerformance() },
): Promise<string> {
  const agent = await enrolledAgent(store, tenantId, machineId);
  return storedHost(
    await ingest(store, agent, report(agent, sections, { hostname: machineId, collectedAt: T0 })),
  );
}

export interface DetailOptions {
  platform?: StoredAssessmentDetail['platform'];
  results?: StoredCheckResult[];
  os?: 'supported' | 'ending_soon' | 'end_of_life' | null;
  osLabel?: string;
  software?: StoredAssessmentDetail['software'];
  ageYears?: number | null;
  replacementDue?: string | null;
  virtual?: boolean | null;
}

/** An assessment's stored detail, as posture/assess.ts builds it. */
export function detail(o: DetailOptions = {}): StoredAssessmentDetail {
  return {
    platform: o.platform ?? 'linux',
    results: o.results ?? [],
    os:
      o.os === null || o.os === undefined
        ? null
        : {
            product: 'ubuntu',
            cycle: '22.04',
            label: o.osLabel ?? 'Ubuntu 22.04',
            eol: '2027-04-01',
            state: o.os,
            source: 'endoflife.date',
          },
    software: o.software ?? [],
    hardware: {
      role: 'workstation',
      ageYears: o.ageYears === undefined ? 3 : o.ageYears,
      basis: 'firmware',
      purchaseDate: null,
      firmwareDate: '2023-01-01',
      replaceAfterYears: 5,
      replacementDue: o.replacementDue === undefined ? '2028-01-01' : o.replacementDue,
      virtual: o.virtual === undefined ? false : o.virtual,
    },
    sections: ['system'],
  };
}

export const result = (
  checkId: string,
  status: StoredCheckResult['status'],
): StoredCheckResult => ({
  checkId,
  status,
  credit: status === 'pass' ? 1 : 0,
  evidence: `${checkId}: ${status}`,
});

export const finding = (
  checkId: string,
  weight: number,
  overrides: Partial<OpenFindingInput> = {},
): OpenFindingInput => ({
  checkId,
  severity: 'high',
  weight,
  credit: 0,
  evidence: `${checkId} failing`,
  ...overrides,
});

/** A posture write for the host: no findings unless given. */
export function assessment(
  hostId: string,
  tenantId: string,
  at: Date,
  options: Partial<Omit<PostureWrite, 'posture'>> & {
    score?: number | null;
    categories?: CategoryScores;
    role?: 'server' | 'workstation';
    detail?: StoredAssessmentDetail;
  } = {},
): PostureWrite {
  const score = options.score === undefined ? 50 : options.score;
  return {
    posture: {
      hostId,
      tenantId,
      assessedAt: at,
      score,
      coverage: 0.8,
      role: options.role ?? 'workstation',
      categories: options.categories ?? categories(score),
      detail: options.detail ?? detail(),
    },
    open: options.open ?? [],
    resolutions: options.resolutions ?? {},
    unknown: options.unknown ?? [],
  };
}
