// An initiative as people read it: its record, its progress now, its burn-down and whether
// it is at risk. The API's answers and the strategy report (initiativeSummaries) are built
// here, so both say the same.
import type { InitiativeHostRow, InitiativeRecord, Store } from '../store/types.js';
import {
  assessRisk,
  burnDown,
  targetMetSince,
  type BurnDown,
  type RiskAssessment,
} from './burndown.js';
import { measureInitiative, type InitiativeProgress } from './progress.js';

/** Hosts not meeting the target listed in an initiative's answer. */
export const REMAINING_HOSTS = 100;

export interface InitiativeSummary {
  id: string;
  title: string;
  owner: string;
  status: InitiativeRecord['status'];
  startDate: string;
  dueDate: string;
  progress: InitiativeProgress;
  /** every host in scope meets the target (at the last point: now for an active one) */
  targetMet: boolean;
  /**
   * since when every host in scope has met the target, from the recorded history (the
   * tracker records a point whenever the counts change); null while hosts remain. The
   * initiative stays active until the vCIO closes it (status done).
   */
  targetMetAt: Date | null;
  atRisk: boolean;
  risk: RiskAssessment;
  burnDown: BurnDown;
}

export interface InitiativeDetail extends InitiativeSummary {
  tenantId: string;
  filter: InitiativeRecord['filter'];
  target: InitiativeRecord['target'];
  suggestionKey: string | null;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  /** the first REMAINING_HOSTS hosts in scope not meeting the target, and why */
  remainingHosts: Omit<InitiativeHostRow, 'met'>[];
}

export async function describeInitiative(
  store: Store,
  initiative: InitiativeRecord,
  now: Date,
): Promise<InitiativeDetail> {
  const [{ progress, hosts }, history] = await Promise.all([
    measureInitiative(store, initiative, now),
    store.initiatives.progressHistory(initiative.id),
  ]);
  // A finished or cancelled initiative's burn-down ends where its history ends.
  const current =
    initiative.status === 'active' || history.length === 0
      ? { at: now, inScope: progress.inScope, met: progress.met }
      : history[history.length - 1]!;
  const chart = burnDown(initiative, history, current);
  const risk = assessRisk(initiative, chart.actual, now);
  const points = [...history];
  const last = points[points.length - 1];
  if (!last || last.at.getTime() < current.at.getTime()) points.push(current);
  const targetMetAt = targetMetSince(points);
  return {
    id: initiative.id,
    tenantId: initiative.tenantId,
    title: initiative.title,
    owner: initiative.owner,
    status: initiative.status,
    startDate: initiative.startDate,
    dueDate: initiative.dueDate,
    filter: initiative.filter,
    target: initiative.target,
    suggestionKey: initiative.suggestionKey,
    createdAt: initiative.createdAt,
    createdBy: initiative.createdBy,
    updatedAt: initiative.updatedAt,
    progress,
    targetMet: targetMetAt !== null,
    targetMetAt,
    atRisk: risk.atRisk,
    risk,
    burnDown: chart,
    remainingHosts: hosts
      .filter((h) => !h.met)
      .slice(0, REMAINING_HOSTS)
      .map(({ hostId, hostname, reason }) => ({ hostId, hostname, reason })),
  };
}

/** Title, owner, due date, progress, risk and burn-down of each initiative not cancelled. */
export async function initiativeSummaries(
  store: Store,
  tenantId: string,
  now: Date,
): Promise<InitiativeSummary[]> {
  const initiatives = (await store.initiatives.list(tenantId)).filter(
    (i) => i.status !== 'cancelled',
  );
  const out: InitiativeSummary[] = [];
  for (const initiative of initiatives) {
    const d = await describeInitiative(store, initiative, now);
    out.push({
      id: d.id,
      title: d.title,
      owner: d.owner,
      status: d.status,
      startDate: d.startDate,
      dueDate: d.dueDate,
      progress: d.progress,
      targetMet: d.targetMet,
      targetMetAt: d.targetMetAt,
      atRisk: d.atRisk,
      risk: d.risk,
      burnDown: d.burnDown,
    });
  }
  // the earliest due first, as a review walks through them
  return out.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.title.localeCompare(b.title));
}
