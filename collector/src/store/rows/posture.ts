// Posture rows as both stores read them, and the records built from them: assessments,
// findings, risk acceptances, score history.
import type { HostRole, Severity } from '@vcio/shared';
import type {
  CategoryScores,
  FindingRecord,
  FindingResolution,
  HistoryPoint,
  HostPostureRecord,
  OpenFindingsByCheck,
  RiskAcceptanceRecord,
  TenantScoreInput,
} from '../types.js';
import { fromMillis, fromNullableMillis, type JsonReader } from './columns.js';

export interface PostureRow {
  host_id: string;
  tenant_id: string;
  assessed_at: number;
  score: number | null;
  coverage: number | null;
  role: HostRole;
  /** JSON */
  categories: unknown;
  /** JSON */
  detail: unknown;
}

export interface FindingRow {
  id: number;
  tenant_id: string;
  host_id: string;
  hostname: string;
  check_id: string;
  severity: Severity;
  weight: number;
  credit: number;
  evidence: string;
  opened_at: number;
  updated_at: number;
  resolved_at: number | null;
  resolution: FindingResolution | null;
}

export interface AcceptanceRow {
  id: string;
  tenant_id: string;
  host_id: string | null;
  check_id: string;
  reason: string;
  accepted_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

export interface HistoryRow {
  recorded_at: number;
  score: number | null;
  /** JSON */
  categories: unknown;
}

export type ScoreInputRow = Pick<PostureRow, 'host_id' | 'score' | 'role' | 'categories'>;

export interface OpenByCheckRow {
  check_id: string;
  hosts: number;
  weight: number;
  severity: Severity;
}

export const toFinding = (r: FindingRow): FindingRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  hostId: r.host_id,
  hostname: r.hostname,
  checkId: r.check_id,
  severity: r.severity,
  weight: r.weight,
  credit: r.credit,
  evidence: r.evidence,
  openedAt: fromMillis(r.opened_at),
  updatedAt: fromMillis(r.updated_at),
  resolvedAt: fromNullableMillis(r.resolved_at),
  resolution: r.resolution,
});

export const toAcceptance = (r: AcceptanceRow): RiskAcceptanceRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  hostId: r.host_id,
  checkId: r.check_id,
  reason: r.reason,
  acceptedBy: r.accepted_by,
  createdAt: fromMillis(r.created_at),
  expiresAt: fromMillis(r.expires_at),
  revokedAt: fromNullableMillis(r.revoked_at),
  revokedBy: r.revoked_by,
});

export const toOpenFindingsByCheck = (r: OpenByCheckRow): OpenFindingsByCheck => ({
  checkId: r.check_id,
  hosts: r.hosts,
  weight: r.weight,
  severity: r.severity,
});

/** The mappers that read JSON columns, for a store's JSON reader. */
export function postureRecords(json: JsonReader) {
  return {
    toPosture: (r: PostureRow): HostPostureRecord => ({
      hostId: r.host_id,
      tenantId: r.tenant_id,
      assessedAt: fromMillis(r.assessed_at),
      score: r.score,
      coverage: r.coverage,
      role: r.role,
      categories: json<CategoryScores>(r.categories),
      detail: json<unknown>(r.detail),
    }),
    toPoint: (r: HistoryRow): HistoryPoint => ({
      at: fromMillis(r.recorded_at),
      score: r.score,
      categories: json<CategoryScores>(r.categories),
    }),
    toScoreInput: (r: ScoreInputRow): TenantScoreInput => ({
      hostId: r.host_id,
      score: r.score,
      role: r.role,
      categories: json<CategoryScores>(r.categories),
    }),
  };
}
