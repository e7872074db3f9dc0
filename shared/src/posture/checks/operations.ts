// Operations checks (CIS 8.4, 8.3, 1.1): whether the machine keeps reporting, keeps time,
// has disk space, and delivers every report (a full outbox drops the evidence).
import { daysBetween, defineCheck, fail, pass, unknown } from '../evaluation.js';
import type { Check } from '../types.js';

/** Reports dropped within this many days make a finding; older losses are history. */
const RECENT_DROP_DAYS = 7;

const ALL = ['linux', 'windows', 'darwin'] as const;

export const agentNotReporting = defineCheck(
  {
    id: 'operations-agent-not-reporting',
    title: 'Agent not reporting',
    category: 'operations',
    weight: 6,
    cis: ['1.1'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Check that the machine is on and online, then the agent service (systemctl status vcio-agent; Windows: Get-Service vcio-agent; macOS: launchctl print system/vcio-agent) and its log; retire the host in vcio if it was decommissioned.',
  },
  (input, thresholds) => {
    if (input.lastSeenAt === null) return unknown('collector: the agent has never reported');
    const hours = (input.now.getTime() - input.lastSeenAt.getTime()) / 3_600_000;
    const evidence = `last report ${input.lastSeenAt.toISOString()} (${hours.toFixed(1)} hours ago)`;
    return hours > thresholds.offlineHours ? fail(evidence) : pass(evidence);
  },
);

export const timeNotSynchronised = defineCheck(
  {
    id: 'operations-time-not-synchronised',
    title: 'Clock not synchronised',
    category: 'operations',
    weight: 3,
    cis: ['8.4'],
    platforms: ALL,
    severity: 'low',
    remediation:
      'Enable time synchronisation: Linux: timedatectl set-ntp true (or chronyd); Windows: w32tm /resync, domain members follow the PDC; macOS: System Settings > General > Date & Time, set automatically.',
  },
  (input) => {
    const time = input.sections.security?.timeSync;
    if (!time) return unknown('security: section not reported');
    if (time.synchronized === null)
      return unknown(`security.timeSync: ${time.reason ?? 'state not readable'}`);
    const via = [time.service, time.source].filter((x) => x !== null).join(' from ');
    return time.synchronized
      ? pass(`clock synchronised${via ? ` (${via})` : ''}`)
      : fail(`clock not synchronised${via ? ` (${via})` : ''}`);
  },
);

export const diskFull = defineCheck(
  {
    id: 'operations-disk-full',
    title: 'Disk nearly full',
    category: 'operations',
    weight: 5,
    cis: ['8.3'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Free space or grow the volume: Windows: Disk Cleanup / cleanmgr, WinSxS cleanup (Dism /Online /Cleanup-Image /StartComponentCleanup); Linux: journalctl --vacuum-size, apt-get clean, old kernels, logs; macOS: Storage settings. Full disks stop updates and logging.',
  },
  (input, thresholds) => {
    const performance = input.sections.performance;
    if (!performance) return unknown('performance: section not reported');
    const sized = performance.filesystems.filter((f) => f.sizeBytes > 0);
    if (sized.length === 0) return unknown('performance: no filesystem with a size reported');
    const full = sized.filter((f) => f.usedBytes / f.sizeBytes > thresholds.diskFullRatio);
    const pct = (used: number, size: number): string => `${Math.round((100 * used) / size)}%`;
    if (full.length > 0) {
      return fail(
        `over ${Math.round(thresholds.diskFullRatio * 100)}% full: ${full.map((f) => `${f.mount} ${pct(f.usedBytes, f.sizeBytes)}`).join(', ')}`,
      );
    }
    return pass(
      `${sized.length} filesystem(s), none over ${Math.round(thresholds.diskFullRatio * 100)}% full`,
    );
  },
);

export const outboxDropping = defineCheck(
  {
    id: 'operations-outbox-dropping',
    title: 'Agent dropped reports',
    category: 'operations',
    weight: 2,
    cis: ['8.3'],
    platforms: ALL,
    severity: 'low',
    remediation:
      'The agent’s queue filled while it could not reach the collector and reports were lost: fix the connectivity (proxy, firewall, DNS) and, for machines often offline, raise the outbox limit in the agent configuration.',
  },
  (input) => {
    const outbox = input.sections.outbox;
    if (!outbox) return unknown('outbox: section not reported');
    const evidence = `${outbox.dropped} report(s) dropped, ${outbox.queued} queued`;
    if (outbox.dropped === 0) return pass(evidence);
    // The count is a lifetime total: only a recent loss is a finding, or one loss would
    // fail the check for the life of the agent. Agents that do not say when fail as before.
    const last = outbox.lastDroppedAt;
    if (!last) return fail(`${evidence}, when unknown`);
    const days = daysBetween(new Date(last), input.now);
    return days <= RECENT_DROP_DAYS
      ? fail(`${evidence}, the last ${last}`)
      : pass(`${evidence}, the last ${last}, over ${RECENT_DROP_DAYS} days ago`);
  },
);

export const operationsChecks: readonly Check[] = [
  agentNotReporting,
  timeNotSynchronised,
  diskFull,
  outboxDropping,
];
