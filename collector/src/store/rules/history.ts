// When a history point is written: the rules both stores (../sqlite/, ../postgres/) share,
// so a host's, a tenant's or an initiative's history has the same points
// whichever database keeps it.
import type { CategoryScores } from '../types.js';

/** Scores closer than this are the same: float noise must not write history rows. */
const EPSILON = 1e-6;

const sameNumber = (a: number | null, b: number | null): boolean =>
  a === null || b === null ? a === b : Math.abs(a - b) < EPSILON;

export interface Scores {
  score: number | null;
  categories: CategoryScores;
}

export function sameScores(a: Scores, b: Scores): boolean {
  if (!sameNumber(a.score, b.score)) return false;
  const keys = new Set([...Object.keys(a.categories), ...Object.keys(b.categories)]);
  for (const key of keys) {
    const k = key as keyof CategoryScores;
    if (!sameNumber(a.categories[k] ?? null, b.categories[k] ?? null)) return false;
  }
  return true;
}

export const utcDay = (ms: number): number => Math.floor(ms / 86_400_000);

/**
 * A score history point is written when the scores changed since the last point, or when
 * none was written yet on the point's UTC day (a daily heartbeat for trends).
 */
export function scoreHistoryDecision(
  last: (Scores & { at: number }) | undefined,
  point: Scores & { at: number },
): { changed: boolean; write: boolean } {
  const changed = !last || !sameScores(last, point);
  return { changed, write: changed || utcDay(last.at) !== utcDay(point.at) };
}
