// Whether a host meets an initiative's target, and when a progress point is written: the
// rules both stores (../sqlite/, ../postgres/) share. Each store reads the
// figures below from its stored assessments with one statement per target type; the
// rules themselves are in sqlite/initiatives.ts's header and README "Initiatives".
import type { InitiativeHostRow, InitiativeTarget } from '../types.js';
import { utcDay } from './history.js';

/** One host as a store's evaluation statement reads it. */
export interface EvaluatedRow {
  host_id: string;
  hostname: string;
  /** checks: results that pass or are accepted */
  ok?: number;
  /** checks: results unknown (data missing) */
  unknown?: number;
  /** checks: results other than not_applicable */
  applicable?: number;
  /** lifecycle: the OS state, 'unknown' when none */
  state?: string;
  /** hardware: the replacement date (YYYY-MM-DD), null when the age is unknown */
  due?: string | null;
}

/** Whether one evaluated host meets the target, and the reason when it does not. */
export function judge(
  target: InitiativeTarget,
  row: EvaluatedRow,
  today: string,
): InitiativeHostRow {
  let reason: string;
  switch (target.type) {
    case 'checks':
      reason =
        row.ok === row.applicable
          ? 'met'
          : row.ok! + row.unknown! === row.applicable
            ? 'unknown'
            : 'failing';
      break;
    case 'lifecycle': {
      const state = row.state!;
      const ok =
        target.os === 'supported'
          ? state === 'supported'
          : state === 'supported' || state === 'ending_soon';
      reason = ok ? 'met' : state;
      break;
    }
    case 'hardware':
      reason =
        row.due === null || row.due === undefined
          ? 'age_unknown'
          : row.due > today
            ? 'met'
            : 'past_replacement';
      break;
  }
  return { hostId: row.host_id, hostname: row.hostname, met: reason === 'met', reason };
}

export interface ProgressCounts {
  /** ms since the epoch */
  at: number;
  inScope: number;
  met: number;
}

/** A progress point is written when the counts changed, or none was yet on its UTC day. */
export function shouldRecordProgress(
  last: ProgressCounts | undefined,
  point: ProgressCounts,
): boolean {
  const changed = !last || last.inScope !== point.inScope || last.met !== point.met;
  return changed || utcDay(last.at) !== utcDay(point.at);
}
