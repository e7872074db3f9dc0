// Posture in PostgreSQL: each host's latest assessment, its findings as they open and close,
// score history, risk acceptances, and what people record about hosts and tenants. The same
// behaviour as sqlite/posture.ts (history and change rules shared in sqlite/history-rules.ts,
// rows read into records by rows/posture.ts).
//
// Several collectors may assess one host at once (its reports reached two of them): the
// read-then-write transactions take a lock on the host (or tenant) first, so the second
// sees the first's findings and history rather than opening the same finding twice.
import type { DeepPartialSettings, HostRole } from '@vcio/shared';
import type {
  CategoryScores,
  FindingQuery,
  FindingRecord,
  OpenFindingsByCheck,
  PostureStore,
  PostureWrite,
  PostureWriteOutcome,
  TenantScoreInput,
} from '../types.js';
import { jsonDecoded, toMillis } from '../rows/columns.js';
import {
  postureRecords,
  toAcceptance,
  toFinding,
  toOpenFindingsByCheck,
  type AcceptanceRow,
  type FindingRow,
  type HistoryRow,
  type OpenByCheckRow,
  type PostureRow,
  type ScoreInputRow,
} from '../rows/posture.js';
import { sameScores, scoreHistoryDecision } from '../rules/history.js';
import type { PgDatabase, Queryable } from './database.js';
import { lockKey } from './keyed-lock.js';

const { toPosture, toPoint, toScoreInput } = postureRecords(jsonDecoded);

const FINDING_COLUMNS = 'f.*, h.hostname AS hostname';

/** The same order as SQLite's: open first, heaviest, most recent, then by id. */
const FINDING_ORDER = `(f.resolved_at IS NULL) DESC, f.weight DESC,
  coalesce(f.resolved_at, f.opened_at) DESC, f.id`;

/** A history point unless the last one has the same scores on the same UTC day. */
async function maybeRecordHistory(
  client: Queryable,
  scope: 'host' | 'tenant',
  id: string,
  point: { at: number; score: number | null; categories: CategoryScores },
): Promise<boolean> {
  const { rows } = await client.query<HistoryRow>({
    name: 'vcio_posture_last_history',
    text: `SELECT recorded_at, score, categories FROM posture_history
           WHERE scope = $1 AND scope_id = $2 ORDER BY recorded_at DESC LIMIT 1`,
    values: [scope, id],
  });
  const last = rows[0];
  const { changed, write } = scoreHistoryDecision(
    last && { ...toPoint(last), at: last.recorded_at },
    point,
  );
  if (write) {
    // as SQLite's INSERT OR REPLACE: a point at the same instant replaces the earlier one
    await client.query({
      name: 'vcio_posture_put_history',
      text: `INSERT INTO posture_history (scope, scope_id, recorded_at, score, categories)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (scope, scope_id, recorded_at)
             DO UPDATE SET score = excluded.score, categories = excluded.categories`,
      values: [scope, id, point.at, point.score, JSON.stringify(point.categories)],
    });
  }
  return changed;
}

/**
 * The findings part of an assessment: the host's open findings updated, new ones opened,
 * the rest resolved (except those whose check is unknown now). One statement each.
 */
async function reconcileFindings(
  client: Queryable,
  write: PostureWrite,
  at: number,
): Promise<Pick<PostureWriteOutcome, 'opened' | 'resolved'>> {
  const p = write.posture;
  const { rows: openRows } = await client.query<FindingRow>({
    name: 'vcio_posture_open_findings',
    text: `SELECT ${FINDING_COLUMNS} FROM findings f JOIN hosts h ON h.id = f.host_id
           WHERE f.host_id = $1 AND f.resolved_at IS NULL ORDER BY f.check_id`,
    values: [p.hostId],
  });
  const existing = new Map(openRows.map((r) => [r.check_id, r]));
  const still = write.open.filter((f) => existing.has(f.checkId));
  const fresh = write.open.filter((f) => !existing.has(f.checkId));
  for (const f of write.open) existing.delete(f.checkId);
  for (const checkId of write.unknown) existing.delete(checkId);

  const columns = (list: typeof write.open) => [
    list.map((f) => f.checkId),
    list.map((f) => f.severity),
    list.map((f) => f.weight),
    list.map((f) => f.credit),
    list.map((f) => f.evidence),
  ];
  if (still.length > 0) {
    await client.query({
      name: 'vcio_posture_update_findings',
      text: `UPDATE findings f SET severity = u.severity, weight = u.weight, credit = u.credit,
               evidence = u.evidence, updated_at = $7
             FROM unnest($2::text[], $3::text[], $4::int[], $5::float8[], $6::text[])
               AS u (check_id, severity, weight, credit, evidence)
             WHERE f.host_id = $1 AND f.resolved_at IS NULL AND f.check_id = u.check_id`,
      values: [p.hostId, ...columns(still), at],
    });
  }
  const opened: FindingRecord[] = [];
  if (fresh.length > 0) {
    const { rows } = await client.query<FindingRow>({
      name: 'vcio_posture_open_new_findings',
      text: `INSERT INTO findings (tenant_id, host_id, check_id, severity, weight, credit,
               evidence, opened_at, updated_at)
             SELECT $1, $2, u.check_id, u.severity, u.weight, u.credit, u.evidence, $8, $8
             FROM unnest($3::text[], $4::text[], $5::int[], $6::float8[], $7::text[])
               AS u (check_id, severity, weight, credit, evidence)
             RETURNING *, (SELECT hostname FROM hosts WHERE id = $2) AS hostname`,
      values: [p.tenantId, p.hostId, ...columns(fresh), at],
    });
    // in the order of the write, as SQLite opens them
    const byCheck = new Map(rows.map((r) => [r.check_id, r]));
    for (const f of fresh) opened.push(toFinding(byCheck.get(f.checkId)!));
  }
  const resolved: FindingRecord[] = [];
  if (existing.size > 0) {
    const closing = [...existing.values()];
    const resolutions = closing.map((r) => write.resolutions[r.check_id] ?? 'fixed');
    await client.query({
      name: 'vcio_posture_resolve_findings',
      text: `UPDATE findings f SET resolved_at = $1, updated_at = $1, resolution = u.resolution
             FROM unnest($2::bigint[], $3::text[]) AS u (id, resolution)
             WHERE f.id = u.id`,
      values: [at, closing.map((r) => r.id), resolutions],
    });
    closing.forEach((row, i) =>
      resolved.push(
        toFinding({ ...row, resolved_at: at, updated_at: at, resolution: resolutions[i]! }),
      ),
    );
  }
  return { opened, resolved };
}

/** Filters of a findings query as positional parameters. */
function findingFilters(query: FindingQuery): { where: string; values: unknown[] } {
  const values: unknown[] = [query.tenantId];
  const where = ['f.tenant_id = $1'];
  const add = (condition: (p: string) => string, value: unknown) => {
    values.push(value);
    where.push(condition(`$${values.length}`));
  };
  if (query.hostId !== undefined) add((p) => `f.host_id = ${p}`, query.hostId);
  if (query.checkId !== undefined) add((p) => `f.check_id = ${p}`, query.checkId);
  if (query.severity !== undefined) add((p) => `f.severity = ${p}`, query.severity);
  const since = query.since === undefined ? undefined : toMillis(query.since);
  if (query.status === 'open') {
    where.push('f.resolved_at IS NULL');
    if (since !== undefined) add((p) => `f.opened_at >= ${p}`, since);
  } else if (query.status === 'resolved') {
    where.push('f.resolved_at IS NOT NULL');
    if (since !== undefined) add((p) => `f.resolved_at >= ${p}`, since);
  } else if (since !== undefined) {
    add((p) => `(f.opened_at >= ${p} OR f.resolved_at >= ${p})`, since);
  }
  return { where: where.join(' AND '), values };
}

export function pgPostureStore(db: PgDatabase): PostureStore {
  return {
    async getHostAttributes(hostId) {
      const { rows } = await db.query<{ role: HostRole | null; purchase_date: string | null }>(
        'SELECT role, purchase_date FROM host_attributes WHERE host_id = $1',
        [hostId],
      );
      return { role: rows[0]?.role ?? null, purchaseDate: rows[0]?.purchase_date ?? null };
    },
    async setHostAttributes(hostId, attributes, by) {
      await db.query(
        `INSERT INTO host_attributes (host_id, role, purchase_date, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (host_id) DO UPDATE SET role = excluded.role,
           purchase_date = excluded.purchase_date, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
        [hostId, attributes.role, attributes.purchaseDate, Date.now(), by],
      );
    },
    async getTenantSettings(tenantId) {
      const { rows } = await db.query<{ posture: DeepPartialSettings }>({
        name: 'vcio_posture_tenant_settings',
        text: 'SELECT posture FROM tenant_settings WHERE tenant_id = $1',
        values: [tenantId],
      });
      return rows[0]?.posture ?? {};
    },
    async setTenantSettings(tenantId, settings, by) {
      await db.query(
        `INSERT INTO tenant_settings (tenant_id, posture, updated_at, updated_by)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id) DO UPDATE SET posture = excluded.posture,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [tenantId, JSON.stringify(settings), Date.now(), by],
      );
    },
    async listAcceptances(tenantId) {
      const { rows } = await db.query<AcceptanceRow>({
        name: 'vcio_posture_acceptances',
        text: 'SELECT * FROM risk_acceptances WHERE tenant_id = $1 ORDER BY created_at DESC, id',
        values: [tenantId],
      });
      return rows.map(toAcceptance);
    },
    async addAcceptance(a) {
      await db.query(
        `INSERT INTO risk_acceptances
           (id, tenant_id, host_id, check_id, reason, accepted_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          a.id,
          a.tenantId,
          a.hostId,
          a.checkId,
          a.reason,
          a.acceptedBy,
          toMillis(a.createdAt),
          toMillis(a.expiresAt),
        ],
      );
    },
    async revokeAcceptance(tenantId, id, by, at) {
      const result = await db.query(
        `UPDATE risk_acceptances SET revoked_at = $1, revoked_by = $2
         WHERE tenant_id = $3 AND id = $4 AND revoked_at IS NULL`,
        [toMillis(at), by, tenantId, id],
      );
      return (result.rowCount ?? 0) > 0;
    },
    async recordHostPosture(write) {
      const p = write.posture;
      const at = toMillis(p.assessedAt);
      return db.transaction(async (client): Promise<PostureWriteOutcome> => {
        await lockKey(client, 'posture.host', p.hostId);
        const { rows: previousRows } = await client.query<{
          score: number | null;
          categories: CategoryScores;
        }>({
          name: 'vcio_posture_previous',
          text: 'SELECT score, categories FROM host_posture WHERE host_id = $1',
          values: [p.hostId],
        });
        const previous = previousRows[0];
        await client.query({
          name: 'vcio_posture_upsert',
          text: `INSERT INTO host_posture
                   (host_id, tenant_id, assessed_at, score, coverage, role, categories, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (host_id) DO UPDATE SET tenant_id = excluded.tenant_id,
                   assessed_at = excluded.assessed_at, score = excluded.score,
                   coverage = excluded.coverage, role = excluded.role,
                   categories = excluded.categories, detail = excluded.detail`,
          values: [
            p.hostId,
            p.tenantId,
            at,
            p.score,
            p.coverage,
            p.role,
            JSON.stringify(p.categories),
            JSON.stringify(p.detail),
          ],
        });
        const changed = !previous || !sameScores(previous, p);
        await maybeRecordHistory(client, 'host', p.hostId, {
          at,
          score: p.score,
          categories: p.categories,
        });
        const { opened, resolved } = await reconcileFindings(client, write, at);
        return { changed, previousScore: previous?.score ?? null, opened, resolved };
      });
    },
    async recordTenantPosture(tenantId, point) {
      return db.transaction(async (client) => {
        await lockKey(client, 'posture.tenant', tenantId);
        return maybeRecordHistory(client, 'tenant', tenantId, {
          ...point,
          at: toMillis(point.at),
        });
      });
    },
    async getHostPosture(hostId) {
      const { rows } = await db.query<PostureRow>({
        name: 'vcio_posture_get',
        text: 'SELECT * FROM host_posture WHERE host_id = $1',
        values: [hostId],
      });
      return rows[0] ? toPosture(rows[0]) : null;
    },
    async listHostPostures(tenantId) {
      const { rows } = await db.query<PostureRow>(
        'SELECT * FROM host_posture WHERE tenant_id = $1 ORDER BY host_id',
        [tenantId],
      );
      return rows.map(toPosture);
    },
    async tenantScoreInputs(tenantId): Promise<TenantScoreInput[]> {
      const { rows } = await db.query<ScoreInputRow>(
        `SELECT host_id, score, role, categories FROM host_posture
         WHERE tenant_id = $1 ORDER BY host_id`,
        [tenantId],
      );
      return rows.map(toScoreInput);
    },
    async history(scope, id, since) {
      const { rows } = await db.query<HistoryRow>(
        `SELECT recorded_at, score, categories FROM posture_history
         WHERE scope = $1 AND scope_id = $2 AND recorded_at >= $3 ORDER BY recorded_at`,
        [scope, id, toMillis(since)],
      );
      return rows.map(toPoint);
    },
    async findings(query) {
      const { where, values } = findingFilters(query);
      const n = values.length;
      const { rows } = await db.query<FindingRow & { total: number }>(
        `SELECT ${FINDING_COLUMNS}, count(*) OVER () AS total
         FROM findings f JOIN hosts h ON h.id = f.host_id
         WHERE ${where} ORDER BY ${FINDING_ORDER}
         LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...values, query.limit, query.offset],
      );
      let total = rows[0]?.total ?? 0;
      // a page past the end has no row to carry the total
      if (rows.length === 0 && query.offset > 0) {
        const count = await db.query<{ n: number }>(
          `SELECT count(*) AS n FROM findings f WHERE ${where}`,
          values,
        );
        total = count.rows[0]!.n;
      }
      return { total, findings: rows.map(toFinding) };
    },
    async openFindingsByCheck(tenantId): Promise<OpenFindingsByCheck[]> {
      // The severity of the heaviest finding, as SQLite's bare column beside max() gives it.
      const { rows } = await db.query<OpenByCheckRow>(
        `SELECT check_id, count(*) AS hosts, max(weight) AS weight,
                (array_agg(severity ORDER BY weight DESC, id))[1] AS severity
         FROM findings WHERE tenant_id = $1 AND resolved_at IS NULL
         GROUP BY check_id ORDER BY check_id`,
        [tenantId],
      );
      return rows.map(toOpenFindingsByCheck);
    },
    async staleHosts(before, limit) {
      const { rows } = await db.query<{ id: string }>(
        `SELECT h.id FROM hosts h LEFT JOIN host_posture p ON p.host_id = h.id
         WHERE p.host_id IS NULL OR p.assessed_at < $1
         ORDER BY coalesce(p.assessed_at, 0), h.key LIMIT $2`,
        [toMillis(before), limit],
      );
      return rows.map((r) => r.id);
    },
  };
}
