// Initiative rows as both stores read them, the records built from them, and the values
// both stores write (filter and target as JSON text).
import type {
  InitiativeFilter,
  InitiativeProgressPoint,
  InitiativeRecord,
  InitiativeStatus,
  InitiativeTarget,
} from '../types.js';
import { fromMillis, toMillis, type JsonReader } from './columns.js';

export interface InitiativeRow {
  id: string;
  tenant_id: string;
  title: string;
  owner: string;
  /** JSON */
  filter: unknown;
  /** JSON */
  target: unknown;
  start_date: string;
  due_date: string;
  status: InitiativeStatus;
  suggestion_key: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
}

export interface ProgressRow {
  recorded_at: number;
  in_scope: number;
  met: number;
}

// Key order is column order: PostgreSQL passes these values positionally (Object.values),
// in the order of its INSERT's and UPDATE's column lists.

/** The columns an update may change (never the tenant, suggestion or creation). */
export const changeableColumns = (i: InitiativeRecord) => ({
  title: i.title,
  owner: i.owner,
  filter: JSON.stringify(i.filter),
  target: JSON.stringify(i.target),
  startDate: i.startDate,
  dueDate: i.dueDate,
  status: i.status,
});

/** Every column of an initiative, as both stores write it. */
export const initiativeColumns = (i: InitiativeRecord) => ({
  id: i.id,
  tenantId: i.tenantId,
  ...changeableColumns(i),
  suggestionKey: i.suggestionKey,
  createdAt: toMillis(i.createdAt),
  createdBy: i.createdBy,
  updatedAt: toMillis(i.updatedAt),
});

export const toProgressPoint = (r: ProgressRow): InitiativeProgressPoint => ({
  at: fromMillis(r.recorded_at),
  inScope: r.in_scope,
  met: r.met,
});

/** The last point in the form shouldRecordProgress compares (times in milliseconds). */
export const lastProgress = (r: ProgressRow | undefined) =>
  r && { at: r.recorded_at, inScope: r.in_scope, met: r.met };

/** The mappers that read JSON columns, for a store's JSON reader. */
export function initiativeRecords(json: JsonReader) {
  return {
    toInitiative: (r: InitiativeRow): InitiativeRecord => ({
      id: r.id,
      tenantId: r.tenant_id,
      title: r.title,
      owner: r.owner,
      filter: json<InitiativeFilter>(r.filter),
      target: json<InitiativeTarget>(r.target),
      startDate: r.start_date,
      dueDate: r.due_date,
      status: r.status,
      suggestionKey: r.suggestion_key,
      createdAt: fromMillis(r.created_at),
      createdBy: r.created_by,
      updatedAt: fromMillis(r.updated_at),
    }),
  };
}
