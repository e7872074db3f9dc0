// Burn-down and the at-risk rule, as pure functions of the recorded history.
//
// Burn-down: the hosts still to do (in scope − meeting the target) at each recorded point
// and now, against the ideal line from the remaining count when the initiative began (its
// first point) on its start date down to 0 at the end of its due date.
//
// At risk (an active initiative with hosts remaining):
// - past the end of its due date: at risk;
// - otherwise a least-squares line through the last TREND_POINTS points (recorded ones and
//   now) gives the rate in hosts per day; with points spanning less than a day there is
//   not enough history to judge (not at risk); a rate that is not falling never reaches
//   0 (at risk); else the line projects completion at now + remaining / rate, and the
//   initiative is at risk when that is after the end of its due date.
import type { InitiativeProgressPoint, InitiativeRecord } from '../store/types.js';

export const TREND_POINTS = 7;
const DAY = 86_400_000;

export interface BurnDownPoint {
  at: Date;
  remaining: number;
}

export interface BurnDown {
  actual: BurnDownPoint[];
  /** two points: the start date with the first remaining count, the due date with 0 */
  ideal: BurnDownPoint[];
}

export interface RiskAssessment {
  atRisk: boolean;
  reason: string;
  /** when the trend reaches 0 hosts remaining (YYYY-MM-DD); null when it cannot tell */
  projectedDate: string | null;
  /** hosts done per day over the trend's points; null without enough history */
  hostsPerDay: number | null;
}

/** The initiative's due date as an instant: the end of that UTC day. */
export const dueInstant = (dueDate: string): number => Date.parse(`${dueDate}T00:00:00Z`) + DAY - 1;
const startInstant = (startDate: string): number => Date.parse(`${startDate}T00:00:00Z`);

const remainingOf = (p: InitiativeProgressPoint): BurnDownPoint => ({
  at: p.at,
  remaining: p.inScope - p.met,
});

export function burnDown(
  initiative: Pick<InitiativeRecord, 'startDate' | 'dueDate'>,
  history: readonly InitiativeProgressPoint[],
  current: InitiativeProgressPoint,
): BurnDown {
  const actual = history.map(remainingOf);
  const last = actual[actual.length - 1];
  if (!last || last.at.getTime() < current.at.getTime()) actual.push(remainingOf(current));
  const first = actual[0]!.remaining;
  return {
    actual,
    ideal: [
      { at: new Date(startInstant(initiative.startDate)), remaining: first },
      { at: new Date(dueInstant(initiative.dueDate)), remaining: 0 },
    ],
  };
}

/**
 * Since when every host in scope has met the target: the first point of the run of points,
 * ending with the last, in which hosts were in scope and none remained. Null when the last
 * point has hosts remaining (or none in scope: an empty scope has met nothing). A host that
 * falls back starts the run over. Closing the initiative stays the vCIO's decision; this
 * says when it could be closed.
 */
export function targetMetSince(points: readonly InitiativeProgressPoint[]): Date | null {
  let since: Date | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (p.inScope === 0 || p.met < p.inScope) break;
    since = p.at;
  }
  return since;
}

/** Slope of the least-squares line through the points, in remaining hosts per day. */
function slopePerDay(points: readonly BurnDownPoint[]): number {
  const t0 = points[0]!.at.getTime();
  const xs = points.map((p) => (p.at.getTime() - t0) / DAY);
  const ys = points.map((p) => p.remaining);
  const n = points.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function assessRisk(
  initiative: Pick<InitiativeRecord, 'status' | 'dueDate'>,
  actual: readonly BurnDownPoint[],
  now: Date,
): RiskAssessment {
  const none = { projectedDate: null, hostsPerDay: null };
  if (initiative.status !== 'active') {
    return { atRisk: false, reason: `the initiative is ${initiative.status}`, ...none };
  }
  const remaining = actual[actual.length - 1]?.remaining ?? 0;
  if (remaining === 0)
    return { atRisk: false, reason: 'every host in scope meets the target', ...none };
  const due = dueInstant(initiative.dueDate);
  if (now.getTime() > due) {
    return {
      atRisk: true,
      reason: `past the due date with ${remaining} host${remaining === 1 ? '' : 's'} remaining`,
      ...none,
    };
  }
  const recent = actual.slice(-TREND_POINTS);
  const span = recent[recent.length - 1]!.at.getTime() - recent[0]!.at.getTime();
  if (recent.length < 2 || span < DAY) {
    return {
      atRisk: false,
      reason: 'not enough history yet to see a trend (under a day)',
      ...none,
    };
  }
  const slope = slopePerDay(recent);
  const hostsPerDay = Math.round(-slope * 1000) / 1000;
  if (slope >= 0) {
    return {
      atRisk: true,
      reason: `no progress over the last ${recent.length} points`,
      projectedDate: null,
      hostsPerDay,
    };
  }
  const projected = now.getTime() + (remaining / -slope) * DAY;
  const projectedDate = new Date(projected).toISOString().slice(0, 10);
  return projected > due
    ? {
        atRisk: true,
        reason: `at ${hostsPerDay} hosts a day the last host is done on ${projectedDate}, after the due date`,
        projectedDate,
        hostsPerDay,
      }
    : {
        atRisk: false,
        reason: `at ${hostsPerDay} hosts a day the last host is done on ${projectedDate}`,
        projectedDate,
        hostsPerDay,
      };
}
