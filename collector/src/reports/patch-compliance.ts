// Patch compliance for a review: which hosts have security updates pending longer than the
// tenant allows, which wait for a reboot, and what is pending by the source's severity.
// "Overdue" and "reboot pending" are the posture checks' own verdicts (the same ones the
// score counts), so the report and the score can never disagree about a host.
import type { PatchSeverity, PostureSettings } from '@vcio/shared';
import type { StoredAssessmentDetail } from '../posture/assess.js';
import type { HostPostureRecord, PendingUpdateMatch } from '../store/types.js';

const DAY = 86_400_000;

export const SECURITY_OVERDUE_CHECK = 'patch-security-pending-14d';
export const REBOOT_PENDING_CHECK = 'patch-reboot-pending';

/** The sources' severities, worst first; 'unspecified' also holds updates with none given. */
export const PATCH_SEVERITIES: readonly PatchSeverity[] = [
  'critical',
  'important',
  'moderate',
  'low',
  'unspecified',
];

export interface HostPatchState {
  hostId: string;
  hostname: string;
  pending: number;
  securityPending: number;
  /** days since the oldest pending security update was released; null when none is dated */
  oldestSecurityDays: number | null;
  /** the check's verdict: security updates pending longer than allowed */
  overdue: boolean;
  rebootPending: boolean;
  /** the check's evidence when overdue or reboot pending */
  evidence: string[];
}

export interface PatchCompliance {
  securityPendingDays: number;
  rebootPendingDays: number;
  hostsAssessed: number;
  /** assessed hosts with neither overdue security updates nor a pending reboot */
  hostsCompliant: number;
  overdue: HostPatchState[];
  rebootPending: HostPatchState[];
  /** pending security updates by the source's severity: updates and distinct hosts */
  bySeverity: Record<PatchSeverity, { updates: number; hosts: number }>;
  securityUpdates: number;
}

const failing = (status: string | undefined) => status === 'fail' || status === 'partial';

export function hostPatchStates(
  postures: (HostPostureRecord & { hostname: string })[],
  updates: PendingUpdateMatch[],
  now: Date,
): Map<string, HostPatchState> {
  const states = new Map<string, HostPatchState>();
  for (const p of postures) {
    const results = (p.detail as StoredAssessmentDetail).results;
    const overdue = results.find((r) => r.checkId === SECURITY_OVERDUE_CHECK);
    const reboot = results.find((r) => r.checkId === REBOOT_PENDING_CHECK);
    states.set(p.hostId, {
      hostId: p.hostId,
      hostname: p.hostname,
      pending: 0,
      securityPending: 0,
      oldestSecurityDays: null,
      overdue: overdue?.status === 'fail',
      rebootPending: failing(reboot?.status),
      evidence: [overdue, reboot].filter((r) => r && failing(r.status)).map((r) => r!.evidence),
    });
  }
  for (const u of updates) {
    const state = states.get(u.hostId);
    if (!state) continue;
    state.pending += 1;
    if (u.security !== true) continue;
    state.securityPending += 1;
    if (u.releasedAt) {
      const days = Math.floor((now.getTime() - u.releasedAt.getTime()) / DAY);
      state.oldestSecurityDays = Math.max(state.oldestSecurityDays ?? 0, days);
    }
  }
  return states;
}

export function patchCompliance(
  states: Map<string, HostPatchState>,
  updates: PendingUpdateMatch[],
  settings: PostureSettings,
): PatchCompliance {
  const bySeverity = Object.fromEntries(
    PATCH_SEVERITIES.map((s) => [s, { updates: 0, hosts: 0 }]),
  ) as PatchCompliance['bySeverity'];
  const hostsBySeverity = new Map<PatchSeverity, Set<string>>();
  let securityUpdates = 0;
  for (const u of updates) {
    if (u.security !== true) continue;
    const severity = u.severity ?? 'unspecified';
    securityUpdates += 1;
    bySeverity[severity].updates += 1;
    const hosts = hostsBySeverity.get(severity) ?? new Set<string>();
    hosts.add(u.hostId);
    hostsBySeverity.set(severity, hosts);
  }
  for (const [severity, hosts] of hostsBySeverity) bySeverity[severity].hosts = hosts.size;
  const all = [...states.values()].sort(
    (a, b) => a.hostname.localeCompare(b.hostname) || a.hostId.localeCompare(b.hostId),
  );
  return {
    securityPendingDays: settings.thresholds.securityPendingDays,
    rebootPendingDays: settings.thresholds.rebootPendingDays,
    hostsAssessed: all.length,
    hostsCompliant: all.filter((s) => !s.overdue && !s.rebootPending).length,
    overdue: all
      .filter((s) => s.overdue)
      .sort((a, b) => (b.oldestSecurityDays ?? 0) - (a.oldestSecurityDays ?? 0)),
    rebootPending: all.filter((s) => s.rebootPending),
    bySeverity,
    securityUpdates,
  };
}
