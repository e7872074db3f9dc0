// Initiatives and their progress history in PostgreSQL: the same behaviour as
// sqlite/initiatives.ts (whose header states the rules; the judging and the progress-point
// rule are shared in sqlite/initiative-rules.ts, rows read and written by rows/initiatives.ts).
// Whether a host meets a target is read from its stored assessment (host_posture.detail) by
// one statement per target type.
import type { InitiativeFilter, InitiativeStore, InitiativeTarget } from '../types.js';
import { jsonDecoded, toMillis } from '../rows/columns.js';
import {
  changeableColumns,
  initiativeColumns,
  initiativeRecords,
  lastProgress,
  toProgressPoint,
  type InitiativeRow,
  type ProgressRow,
} from '../rows/initiatives.js';
import { judge, shouldRecordProgress, type EvaluatedRow } from '../rules/initiatives.js';
import type { PgDatabase } from './database.js';
import { lockKey } from './keyed-lock.js';

const { toInitiative } = initiativeRecords(jsonDecoded);

const COLUMNS: Record<InitiativeTarget['type'], string> = {
  checks: `
    count(*) FILTER (WHERE r->>'status' IN ('pass', 'accepted')) AS ok,
    count(*) FILTER (WHERE r->>'status' = 'unknown') AS unknown,
    count(*) FILTER (WHERE r->>'status' <> 'not_applicable') AS applicable`,
  lifecycle: `coalesce(hp.detail->'os'->>'state', 'unknown') AS state`,
  hardware: `hp.detail->'hardware'->>'replacementDue' AS due`,
};

/** Each stored check result as a row; anything but an array gives none, as in SQLite. */
const RESULTS = `CROSS JOIN LATERAL json_array_elements(
      CASE WHEN json_typeof(hp.detail->'results') = 'array' THEN hp.detail->'results' END
    ) r`;

/** The evaluation statement and its parameters for a target and a filter. */
function evaluation(
  tenantId: string,
  filter: InitiativeFilter,
  target: InitiativeTarget,
): { text: string; values: unknown[] } {
  const values: unknown[] = [tenantId];
  const where = ['hp.tenant_id = $1'];
  const add = (condition: (p: string) => string, value: unknown) => {
    values.push(value);
    where.push(condition(`$${values.length}`));
  };
  if (filter.platforms !== undefined) {
    add((p) => `hp.detail->>'platform' = ANY(${p}::text[])`, filter.platforms);
  }
  if (filter.roles !== undefined) add((p) => `hp.role = ANY(${p}::text[])`, filter.roles);
  if (filter.hostIds !== undefined) add((p) => `hp.host_id = ANY(${p}::text[])`, filter.hostIds);
  if (target.type === 'checks') add((p) => `r->>'checkId' = ANY(${p}::text[])`, target.checkIds);
  // a VM has no hardware to replace
  if (target.type === 'hardware') {
    where.push(`(hp.detail->'hardware'->>'virtual') IS DISTINCT FROM 'true'`);
  }
  const checks = target.type === 'checks';
  const text = `
    SELECT hp.host_id, h.hostname, ${COLUMNS[target.type]}
    FROM host_posture hp
    JOIN hosts h ON h.id = hp.host_id
    ${checks ? RESULTS : ''}
    WHERE ${where.join('\n      AND ')}
    ${checks ? "GROUP BY hp.host_id, h.hostname HAVING count(*) FILTER (WHERE r->>'status' <> 'not_applicable') > 0" : ''}
    ORDER BY h.hostname, hp.host_id`;
  return { text, values };
}

export function pgInitiativeStore(db: PgDatabase): InitiativeStore {
  return {
    async create(initiative) {
      await db.query(
        `INSERT INTO initiatives (id, tenant_id, title, owner, filter, target, start_date,
           due_date, status, suggestion_key, created_at, created_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        Object.values(initiativeColumns(initiative)),
      );
    },
    async get(tenantId, id) {
      const { rows } = await db.query<InitiativeRow>(
        'SELECT * FROM initiatives WHERE tenant_id = $1 AND id = $2',
        [tenantId, id],
      );
      return rows[0] ? toInitiative(rows[0]) : null;
    },
    async list(tenantId, status) {
      // null parameters match everything: one statement for the four combinations
      const { rows } = await db.query<InitiativeRow>(
        `SELECT * FROM initiatives
         WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY created_at DESC, id`,
        [tenantId, status ?? null],
      );
      return rows.map(toInitiative);
    },
    async update(i) {
      // as SQLite: the tenant, suggestion and creation are never changed
      await db.query(
        `UPDATE initiatives SET title = $3, owner = $4, filter = $5, target = $6,
           start_date = $7, due_date = $8, status = $9, updated_at = $10
         WHERE id = $1 AND tenant_id = $2`,
        [i.id, i.tenantId, ...Object.values(changeableColumns(i)), toMillis(i.updatedAt)],
      );
    },
    async evaluate(tenantId, filter, target, now) {
      const today = now.toISOString().slice(0, 10);
      const { text, values } = evaluation(tenantId, filter, target);
      const { rows } = await db.query<EvaluatedRow>(text, values);
      return rows.map((row) => judge(target, row, today));
    },
    async recordProgress(initiativeId, point) {
      const at = toMillis(point.at);
      return db.transaction(async (client) => {
        // several collectors measuring one initiative at once write one point, not two
        await lockKey(client, 'initiative.progress', initiativeId);
        const { rows } = await client.query<ProgressRow>(
          `SELECT recorded_at, in_scope, met FROM initiative_progress
           WHERE initiative_id = $1 ORDER BY recorded_at DESC LIMIT 1`,
          [initiativeId],
        );
        if (!shouldRecordProgress(lastProgress(rows[0]), { ...point, at })) return false;
        // as SQLite's INSERT OR REPLACE: a point at the same instant replaces the earlier one
        await client.query(
          `INSERT INTO initiative_progress (initiative_id, recorded_at, in_scope, met)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (initiative_id, recorded_at)
           DO UPDATE SET in_scope = excluded.in_scope, met = excluded.met`,
          [initiativeId, at, point.inScope, point.met],
        );
        return true;
      });
    },
    async progressHistory(initiativeId) {
      const { rows } = await db.query<ProgressRow>(
        `SELECT recorded_at, in_scope, met FROM initiative_progress
         WHERE initiative_id = $1 ORDER BY recorded_at`,
        [initiativeId],
      );
      return rows.map(toProgressPoint);
    },
  };
}
