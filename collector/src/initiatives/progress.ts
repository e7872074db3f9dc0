// An initiative's progress now: the hosts in its scope, those meeting its target, and the
// history point recorded from them. Which hosts are in scope and which meet the target is
// decided by the store on the stored assessments (see store/sqlite/initiatives.ts).
import type {
  InitiativeHostRow,
  InitiativeProgressPoint,
  InitiativeRecord,
  Store,
} from '../store/types.js';

export interface InitiativeProgress {
  inScope: number;
  met: number;
  remaining: number;
  /** met / in scope; null while nothing is in scope */
  ratio: number | null;
}

export function countProgress(hosts: readonly InitiativeHostRow[]): InitiativeProgress {
  const met = hosts.filter((h) => h.met).length;
  return {
    inScope: hosts.length,
    met,
    remaining: hosts.length - met,
    ratio: hosts.length === 0 ? null : Math.round((met / hosts.length) * 10_000) / 10_000,
  };
}

export async function measureInitiative(
  store: Store,
  initiative: InitiativeRecord,
  now: Date,
): Promise<{ progress: InitiativeProgress; hosts: InitiativeHostRow[] }> {
  const hosts = await store.initiatives.evaluate(
    initiative.tenantId,
    initiative.filter,
    initiative.target,
    now,
  );
  return { progress: countProgress(hosts), hosts };
}

/**
 * Records the initiative's progress at `now` (when it changed, or none was recorded that UTC
 * day). Only active initiatives move: a finished or cancelled one keeps its history as it
 * ended. Returns the point measured.
 */
export async function recordInitiativeProgress(
  store: Store,
  initiative: InitiativeRecord,
  now: Date,
): Promise<InitiativeProgressPoint | null> {
  if (initiative.status !== 'active') return null;
  const { progress } = await measureInitiative(store, initiative, now);
  const point = { at: now, inScope: progress.inScope, met: progress.met };
  await store.initiatives.recordProgress(initiative.id, point);
  return point;
}
