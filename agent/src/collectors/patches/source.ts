// Pieces every patch source shares.
import type { PatchManager, PatchSource } from '@vcio/shared';

/** Seconds from `since` to `now`, never negative (the clock may step back). */
export function secondsBetween(since: Date, now: Date): number {
  return Math.max(0, (now.getTime() - since.getTime()) / 1000);
}

/** A source that could not answer: its error, no list, unknown counts, never "0 pending". */
export function unansweredSource(
  manager: PatchManager,
  checkedAt: Date,
  now: Date,
  error: string,
  lastInstallAt: string | null = null,
): PatchSource {
  return {
    manager,
    checkedAt: checkedAt.toISOString(),
    durationSeconds: secondsBetween(checkedAt, now),
    ok: false,
    error: error.slice(0, 2048),
    pending: [],
    pendingCount: null,
    securityCount: null,
    lastInstallAt,
  };
}
