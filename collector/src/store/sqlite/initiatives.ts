// Initiatives and their progress history. Whether a host meets an initiative's target is
// read from its stored assessment (host_posture.detail) by one statement per target type,
// so a tenant's progress is one query, whatever its size.
//
// The rules (see README "Initiatives"):
// - checks: a host is in scope when at least one of the checks applies to it (a result
//   other than not_applicable); it meets the target when every applicable one passes or is
//   accepted (an accepted risk is a recorded, expiring decision: when it lapses, the host
//   counts again). Unknown (data missing) is not met: no evidence is no pass.
// - lifecycle: every assessed host is in scope; not_end_of_life is met by supported and
//   ending_soon, supported by supported only; an unknown OS state is not met.
// - hardware: physical hosts are in scope (a VM has no hardware to replace); met while the
//   replacement date is after today; an unknown age is not met (record a purchase date).
// Hosts never assessed are not in scope yet.
import type {
  InitiativeFilter,
  InitiativeProgressPoint,
  InitiativeStore,
  InitiativeTarget,
} from '../types.js';
import { jsonFromText, toMillis } from '../rows/columns.js';
import {
  initiativeColumns,
  initiativeRecords,
  lastProgress,
  toProgressPoint,
  type InitiativeRow,
  type ProgressRow,
} from '../rows/initiatives.js';
import type { SqliteDatabase } from './database.js';
import { judge, shouldRecordProgress, type EvaluatedRow } from '../rules/initiatives.js';

type Statement = ReturnType<SqliteDatabase['prepare']>;

const { toInitiative } = initiativeRecords(jsonFromText);

const COLUMNS: Record<InitiativeTarget['type'], string> = {
  checks: `
    sum(json_extract(r.value, '$.status') IN ('pass', 'accepted')) AS ok,
    sum(json_extract(r.value, '$.status') = 'unknown') AS unknown,
    sum(json_extract(r.value, '$.status') <> 'not_applicable') AS applicable`,
  lifecycle: `coalesce(json_extract(hp.detail, '$.os.state'), 'unknown') AS state`,
  hardware: `json_extract(hp.detail, '$.hardware.replacementDue') AS due`,
};

function evaluateQuery(type: InitiativeTarget['type'], filters: string[]): string {
  const where = ['hp.tenant_id = @tenantId', ...filters];
  if (type === 'checks') {
    where.push("json_extract(r.value, '$.checkId') IN (SELECT value FROM json_each(@checkIds))");
  }
  if (type === 'hardware') where.push("json_extract(hp.detail, '$.hardware.virtual') IS NOT 1");
  return `
    SELECT hp.host_id, h.hostname, ${COLUMNS[type]}
    FROM host_posture hp
    JOIN hosts h ON h.id = hp.host_id
    ${type === 'checks' ? "JOIN json_each(hp.detail, '$.results') r" : ''}
    WHERE ${where.join('\n      AND ')}
    ${type === 'checks' ? 'GROUP BY hp.host_id HAVING applicable > 0' : ''}
    ORDER BY h.hostname, hp.host_id`;
}

export function sqliteInitiativeStore(db: SqliteDatabase): InitiativeStore {
  const insert = db.prepare(`
    INSERT INTO initiatives (id, tenant_id, title, owner, filter, target, start_date, due_date,
      status, suggestion_key, created_at, created_by, updated_at)
    VALUES (@id, @tenantId, @title, @owner, @filter, @target, @startDate, @dueDate, @status,
      @suggestionKey, @createdAt, @createdBy, @updatedAt)`);
  const update = db.prepare(`
    UPDATE initiatives SET title = @title, owner = @owner, filter = @filter, target = @target,
      start_date = @startDate, due_date = @dueDate, status = @status, updated_at = @updatedAt
    WHERE id = @id AND tenant_id = @tenantId`);
  const get = db.prepare('SELECT * FROM initiatives WHERE tenant_id = ? AND id = ?');
  const lists = {
    tenant: db.prepare(
      'SELECT * FROM initiatives WHERE tenant_id = @tenantId ORDER BY created_at DESC, id',
    ),
    tenantStatus: db.prepare(
      'SELECT * FROM initiatives WHERE tenant_id = @tenantId AND status = @status ORDER BY created_at DESC, id',
    ),
    all: db.prepare('SELECT * FROM initiatives ORDER BY created_at DESC, id'),
    allStatus: db.prepare(
      'SELECT * FROM initiatives WHERE status = @status ORDER BY created_at DESC, id',
    ),
  };
  const lastPoint = db.prepare(
    'SELECT recorded_at, in_scope, met FROM initiative_progress WHERE initiative_id = ? ORDER BY recorded_at DESC LIMIT 1',
  );
  const insertPoint = db.prepare(
    'INSERT OR REPLACE INTO initiative_progress (initiative_id, recorded_at, in_scope, met) VALUES (?, ?, ?, ?)',
  );
  const history = db.prepare(
    'SELECT recorded_at, in_scope, met FROM initiative_progress WHERE initiative_id = ? ORDER BY recorded_at',
  );
  const evaluations = new Map<string, Statement>();

  function evaluateStatement(type: InitiativeTarget['type'], filter: InitiativeFilter): Statement {
    const filters: string[] = [];
    if (filter.platforms !== undefined) {
      filters.push(
        "json_extract(hp.detail, '$.platform') IN (SELECT value FROM json_each(@platforms))",
      );
    }
    if (filter.roles !== undefined)
      filters.push('hp.role IN (SELECT value FROM json_each(@roles))');
    if (filter.hostIds !== undefined) {
      filters.push('hp.host_id IN (SELECT value FROM json_each(@hostIds))');
    }
    const key = `${type}|${filters.join(' AND ')}`;
    let statement = evaluations.get(key);
    if (!statement) {
      statement = db.prepare(evaluateQuery(type, filters));
      evaluations.set(key, statement);
    }
    return statement;
  }

  const recordPoint = db.transaction((id: string, point: InitiativeProgressPoint): boolean => {
    const last = lastPoint.get(id) as ProgressRow | undefined;
    const at = toMillis(point.at);
    if (!shouldRecordProgress(lastProgress(last), { ...point, at })) return false;
    insertPoint.run(id, at, point.inScope, point.met);
    return true;
  });

  return {
    async create(initiative) {
      insert.run(initiativeColumns(initiative));
    },
    async get(tenantId, id) {
      const row = get.get(tenantId, id) as InitiativeRow | undefined;
      return row ? toInitiative(row) : null;
    },
    async list(tenantId, status) {
      const statement =
        tenantId === null
          ? status === undefined
            ? lists.all
            : lists.allStatus
          : status === undefined
            ? lists.tenant
            : lists.tenantStatus;
      return (statement.all({ tenantId, status }) as InitiativeRow[]).map(toInitiative);
    },
    async update(initiative) {
      update.run(initiativeColumns(initiative));
    },
    async evaluate(tenantId, filter, target, now) {
      const params: Record<string, unknown> = { tenantId };
      if (filter.platforms !== undefined) params.platforms = JSON.stringify(filter.platforms);
      if (filter.roles !== undefined) params.roles = JSON.stringify(filter.roles);
      if (filter.hostIds !== undefined) params.hostIds = JSON.stringify(filter.hostIds);
      if (target.type === 'checks') params.checkIds = JSON.stringify(target.checkIds);
      const today = now.toISOString().slice(0, 10);
      const rows = evaluateStatement(target.type, filter).all(params) as EvaluatedRow[];
      return rows.map((row) => judge(target, row, today));
    },
    async recordProgress(initiativeId, point) {
      return recordPoint.immediate(initiativeId, point);
    },
    async progressHistory(initiativeId) {
      return (history.all(initiativeId) as ProgressRow[]).map(toProgressPoint);
    },
  };
}
