// Posture in SQLite: each host's latest assessment, its findings as they open and close,
// score history, risk acceptances, and what people record about hosts and tenants.
import type { DeepPartialSettings, HostRole } from '@vcio/shared';
import type {
  CategoryScores,
  FindingQuery,
  FindingRecord,
  HostAttributes,
  OpenFindingsByCheck,
  PostureStore,
  PostureWriteOutcome,
  RiskAcceptanceRecord,
  TenantScoreInput,
} from '../types.js';
import { jsonFromText, toMillis } from '../rows/columns.js';
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
import type { SqliteDatabase } from './database.js';
import { sameScores, scoreHistoryDecision } from '../rules/history.js';

const { toPosture, toPoint, toScoreInput } = postureRecords(jsonFromText);

const FINDING_COLUMNS = 'f.*, h.hostname AS hostname';

export function sqlitePostureStore(db: SqliteDatabase): PostureStore {
  const getAttributes = db.prepare(
    'SELECT role, purchase_date FROM host_attributes WHERE host_id = ?',
  );
  const putAttributes = db.prepare(`
    INSERT INTO host_attributes (host_id, role, purchase_date, updated_at, updated_by)
    VALUES (@hostId, @role, @purchaseDate, @at, @by)
    ON CONFLICT (host_id) DO UPDATE SET role = excluded.role,
      purchase_date = excluded.purchase_date, updated_at = excluded.updated_at,
      updated_by = excluded.updated_by`);
  const getSettings = db.prepare('SELECT posture FROM tenant_settings WHERE tenant_id = ?');
  const putSettings = db.prepare(`
    INSERT INTO tenant_settings (tenant_id, posture, updated_at, updated_by)
    VALUES (?, ?, ?, ?)
    ON CONFLICT (tenant_id) DO UPDATE SET posture = excluded.posture,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by`);
  const listAcceptances = db.prepare(
    'SELECT * FROM risk_acceptances WHERE tenant_id = ? ORDER BY created_at DESC, id',
  );
  const insertAcceptance = db.prepare(`
    INSERT INTO risk_acceptances
      (id, tenant_id, host_id, check_id, reason, accepted_by, created_at, expires_at)
    VALUES (@id, @tenantId, @hostId, @checkId, @reason, @acceptedBy, @createdAt, @expiresAt)`);
  const revokeAcceptance = db.prepare(`
    UPDATE risk_acceptances SET revoked_at = ?, revoked_by = ?
    WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`);

  const previousPosture = db.prepare(
    'SELECT score, categories FROM host_posture WHERE host_id = ?',
  );
  const upsertPosture = db.prepare(`
    INSERT INTO host_posture
      (host_id, tenant_id, assessed_at, score, coverage, role, categories, detail)
    VALUES (@hostId, @tenantId, @assessedAt, @score, @coverage, @role, @categories, @detail)
    ON CONFLICT (host_id) DO UPDATE SET tenant_id = excluded.tenant_id,
      assessed_at = excluded.assessed_at, score = excluded.score,
      coverage = excluded.coverage, role = excluded.role,
      categories = excluded.categories, detail = excluded.detail`);
  const lastHistory = db.prepare(`
    SELECT recorded_at, score, categories FROM posture_history
    WHERE scope = ? AND scope_id = ? ORDER BY recorded_at DESC LIMIT 1`);
  const insertHistory = db.prepare(`
    INSERT OR REPLACE INTO posture_history (scope, scope_id, recorded_at, score, categories)
    VALUES (?, ?, ?, ?, ?)`);
  const openFindings = db.prepare(`
    SELECT ${FINDING_COLUMNS} FROM findings f JOIN hosts h ON h.id = f.host_id
    WHERE f.host_id = ? AND f.resolved_at IS NULL`);
  const insertFinding = db.prepare(`
    INSERT INTO findings
      (tenant_id, host_id, check_id, severity, weight, credit, evidence, opened_at, updated_at)
    VALUES (@tenantId, @hostId, @checkId, @severity, @weight, @credit, @evidence, @at, @at)`);
  const findingById = db.prepare(
    `SELECT ${FINDING_COLUMNS} FROM findings f JOIN hosts h ON h.id = f.host_id WHERE f.id = ?`,
  );
  const updateFinding = db.prepare(`
    UPDATE findings SET severity = @severity, weight = @weight, credit = @credit,
      evidence = @evidence, updated_at = @at
    WHERE id = @id`);
  const resolveFinding = db.prepare(
    'UPDATE findings SET resolved_at = ?, updated_at = ?, resolution = ? WHERE id = ?',
  );
  const getPosture = db.prepare('SELECT * FROM host_posture WHERE host_id = ?');
  const tenantPostures = db.prepare('SELECT * FROM host_posture WHERE tenant_id = ?');
  const scoreInputs = db.prepare(
    'SELECT host_id, score, role, categories FROM host_posture WHERE tenant_id = ?',
  );
  const historySince = db.prepare(`
    SELECT recorded_at, score, categories FROM posture_history
    WHERE scope = ? AND scope_id = ? AND recorded_at >= ? ORDER BY recorded_at`);
  const byCheck = db.prepare(`
    SELECT check_id, count(*) AS hosts, max(weight) AS weight, severity FROM findings
    WHERE tenant_id = ? AND resolved_at IS NULL GROUP BY check_id`);
  const stale = db.prepare(`
    SELECT h.id FROM hosts h LEFT JOIN host_posture p ON p.host_id = h.id
    WHERE p.host_id IS NULL OR p.assessed_at < ?
    ORDER BY coalesce(p.assessed_at, 0) LIMIT ?`);

  /** A history point unless the last one has the same scores on the same UTC day. */
  function maybeRecordHistory(
    scope: 'host' | 'tenant',
    id: string,
    point: { at: number; score: number | null; categories: CategoryScores },
  ): boolean {
    const last = lastHistory.get(scope, id) as HistoryRow | undefined;
    const { changed, write } = scoreHistoryDecision(
      last && { ...toPoint(last), at: last.recorded_at },
      point,
    );
    if (write) {
      insertHistory.run(scope, id, point.at, point.score, JSON.stringify(point.categories));
    }
    return changed;
  }

  const recordHost = db.transaction(
    (write: Parameters<PostureStore['recordHostPosture']>[0]): PostureWriteOutcome => {
      const p = write.posture;
      const at = toMillis(p.assessedAt);
      const previous = previousPosture.get(p.hostId) as
        { score: number | null; categories: string } | undefined;
      upsertPosture.run({
        hostId: p.hostId,
        tenantId: p.tenantId,
        assessedAt: at,
        score: p.score,
        coverage: p.coverage,
        role: p.role,
        categories: JSON.stringify(p.categories),
        detail: JSON.stringify(p.detail),
      });
      const changed =
        !previous ||
        !sameScores(
          { score: previous.score, categories: JSON.parse(previous.categories) as CategoryScores },
          p,
        );
      maybeRecordHistory('host', p.hostId, { at, score: p.score, categories: p.categories });

      const existing = new Map(
        (openFindings.all(p.hostId) as FindingRow[]).map((r) => [r.check_id, r]),
      );
      const opened: FindingRecord[] = [];
      for (const finding of write.open) {
        const row = existing.get(finding.checkId);
        existing.delete(finding.checkId);
        if (row) {
          updateFinding.run({ ...finding, id: row.id, at });
          continue;
        }
        const { lastInsertRowid } = insertFinding.run({
          ...finding,
          tenantId: p.tenantId,
          hostId: p.hostId,
          at,
        });
        opened.push(toFinding(findingById.get(lastInsertRowid) as FindingRow));
      }
      for (const checkId of write.unknown) existing.delete(checkId);
      const resolved: FindingRecord[] = [];
      for (const row of existing.values()) {
        const resolution = write.resolutions[row.check_id] ?? 'fixed';
        resolveFinding.run(at, at, resolution, row.id);
        resolved.push(
          toFinding({ ...row, resolved_at: at, updated_at: at, resolution: resolution }),
        );
      }
      return { changed, previousScore: previous?.score ?? null, opened, resolved };
    },
  );

  const findingStatements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  /** One prepared statement per combination of filters, built on first use. */
  function findingStatement(query: FindingQuery, count: boolean) {
    const where = ['f.tenant_id = @tenantId'];
    if (query.hostId !== undefined) where.push('f.host_id = @hostId');
    if (query.checkId !== undefined) where.push('f.check_id = @checkId');
    if (query.severity !== undefined) where.push('f.severity = @severity');
    const since = query.since !== undefined;
    if (query.status === 'open') {
      where.push('f.resolved_at IS NULL');
      if (since) where.push('f.opened_at >= @since');
    } else if (query.status === 'resolved') {
      where.push('f.resolved_at IS NOT NULL');
      if (since) where.push('f.resolved_at >= @since');
    } else if (since) {
      where.push('(f.opened_at >= @since OR f.resolved_at >= @since)');
    }
    const sql = count
      ? `SELECT count(*) AS n FROM findings f WHERE ${where.join(' AND ')}`
      : `SELECT ${FINDING_COLUMNS} FROM findings f JOIN hosts h ON h.id = f.host_id
         WHERE ${where.join(' AND ')}
         ORDER BY (f.resolved_at IS NULL) DESC, f.weight DESC,
           coalesce(f.resolved_at, f.opened_at) DESC, f.id
         LIMIT @limit OFFSET @offset`;
    let statement = findingStatements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      findingStatements.set(sql, statement);
    }
    return statement;
  }

  return {
    async getHostAttributes(hostId) {
      const row = getAttributes.get(hostId) as
        { role: HostRole | null; purchase_date: string | null } | undefined;
      return { role: row?.role ?? null, purchaseDate: row?.purchase_date ?? null };
    },
    async setHostAttributes(hostId, attributes: HostAttributes, by) {
      putAttributes.run({ hostId, ...attributes, at: Date.now(), by });
    },
    async getTenantSettings(tenantId) {
      const row = getSettings.get(tenantId) as { posture: string } | undefined;
      return row ? (JSON.parse(row.posture) as DeepPartialSettings) : {};
    },
    async setTenantSettings(tenantId, settings, by) {
      putSettings.run(tenantId, JSON.stringify(settings), Date.now(), by);
    },
    async listAcceptances(tenantId) {
      return (listAcceptances.all(tenantId) as AcceptanceRow[]).map(toAcceptance);
    },
    async addAcceptance(a: RiskAcceptanceRecord) {
      insertAcceptance.run({
        id: a.id,
        tenantId: a.tenantId,
        hostId: a.hostId,
        checkId: a.checkId,
        reason: a.reason,
        acceptedBy: a.acceptedBy,
        createdAt: toMillis(a.createdAt),
        expiresAt: toMillis(a.expiresAt),
      });
    },
    async revokeAcceptance(tenantId, id, by, at) {
      return revokeAcceptance.run(toMillis(at), by, tenantId, id).changes > 0;
    },
    async recordHostPosture(write) {
      // immediate: see reports.ts (a read-then-write transaction must wait for the lock)
      return recordHost.immediate(write);
    },
    async recordTenantPosture(tenantId, point) {
      return db
        .transaction(() =>
          maybeRecordHistory('tenant', tenantId, { ...point, at: toMillis(point.at) }),
        )
        .immediate();
    },
    async getHostPosture(hostId) {
      const row = getPosture.get(hostId) as PostureRow | undefined;
      return row ? toPosture(row) : null;
    },
    async listHostPostures(tenantId) {
      return (tenantPostures.all(tenantId) as PostureRow[]).map(toPosture);
    },
    async tenantScoreInputs(tenantId): Promise<TenantScoreInput[]> {
      return (scoreInputs.all(tenantId) as ScoreInputRow[]).map(toScoreInput);
    },
    async history(scope, id, since) {
      return (historySince.all(scope, id, toMillis(since)) as HistoryRow[]).map(toPoint);
    },
    async findings(query) {
      const params = {
        tenantId: query.tenantId,
        hostId: query.hostId,
        checkId: query.checkId,
        severity: query.severity,
        since: query.since ? toMillis(query.since) : undefined,
        limit: query.limit,
        offset: query.offset,
      };
      // better-sqlite3 refuses named parameters the statement does not use
      const used = <T extends object>(statement: { source: string }, all: T) =>
        Object.fromEntries(
          Object.entries(all).filter(([k]) => statement.source.includes(`@${k}`)),
        ) as T;
      const list = findingStatement(query, false);
      const count = findingStatement(query, true);
      return {
        total: (count.get(used(count, params)) as { n: number }).n,
        findings: (list.all(used(list, params)) as FindingRow[]).map(toFinding),
      };
    },
    async openFindingsByCheck(tenantId): Promise<OpenFindingsByCheck[]> {
      return (byCheck.all(tenantId) as OpenByCheckRow[]).map(toOpenFindingsByCheck);
    },
    async staleHosts(before, limit) {
      return (stale.all(toMillis(before), limit) as { id: string }[]).map((r) => r.id);
    },
  };
}
