// Patching checks (CIS 7.3, 7.4): what the package managers and update services say is
// pending, when updates last installed, and whether a reboot is outstanding. A source
// that could not answer (ok: false) is never read as "nothing pending".
import type { PatchesSection, PatchSource, PendingUpdate } from '../../report/patches.js';
import { byShare, daysBetween, defineCheck, fail, partial, pass, unknown } from '../evaluation.js';
import type { Check, Evaluation, HostPostureInput, Thresholds } from '../types.js';

const ALL = ['linux', 'windows', 'darwin'] as const;

type Answered = { patches: PatchesSection; sources: PatchSource[] };

/** The sources that answered, or why none did. */
function answered(input: HostPostureInput): Answered | Evaluation {
  const patches = input.sections.patches;
  if (!patches) return unknown('patches: section not reported');
  if (patches.sources.length === 0) return unknown('patches: no update source found');
  const sources = patches.sources.filter((s) => s.ok);
  if (sources.length === 0) {
    const errors = patches.sources.map((s) => `${s.manager}: ${s.error ?? 'failed'}`);
    return unknown(`patches: no source answered (${errors.join('; ')})`);
  }
  return { patches, sources };
}

const isEvaluation = (x: Answered | Evaluation): x is Evaluation => 'status' in x;

type Meta = Parameters<typeof defineCheck>[0];

/** A check over the update sources that answered; unknown (with why) when none did. */
function defineSourcesCheck(
  meta: Meta,
  body: (a: Answered, input: HostPostureInput, thresholds: Thresholds) => Evaluation,
): Check {
  return defineCheck(meta, (input, thresholds) => {
    const a = answered(input);
    return isEvaluation(a) ? a : body(a, input, thresholds);
  });
}

const pendingOf = (sources: PatchSource[]): PendingUpdate[] => sources.flatMap((s) => s.pending);
const names = (updates: PendingUpdate[]): string =>
  updates
    .slice(0, 5)
    .map((u) => u.kb ?? u.name)
    .join(', ') + (updates.length > 5 ? ` and ${updates.length - 5} more` : '');
const isSecurity = (u: PendingUpdate): boolean => u.security === true || u.severity === 'critical';
const partly = (a: Answered): string =>
  a.sources.length < a.patches.sources.length ? ' (some sources did not answer)' : '';

export const criticalPending = defineSourcesCheck(
  {
    id: 'patch-critical-pending',
    title: 'Critical updates pending',
    category: 'patching',
    weight: 9,
    cis: ['7.3', '7.4'],
    platforms: ALL,
    severity: 'critical',
    remediation:
      'Install the pending critical updates now. Windows: Settings > Windows Update, or your RMM patch policy. Linux: apt-get upgrade / dnf upgrade --security. macOS: softwareupdate -ia.',
  },
  (a) => {
    const critical = pendingOf(a.sources).filter((u) => u.severity === 'critical');
    if (critical.length > 0) return fail(`${critical.length} critical pending: ${names(critical)}`);
    return pass(`no critical update pending${partly(a)}`);
  },
);

export const securityPending = defineSourcesCheck(
  {
    id: 'patch-security-pending',
    title: 'Security updates pending',
    category: 'patching',
    weight: 5,
    cis: ['7.3', '7.4'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Install pending security updates in the next maintenance window (Linux: unattended-upgrade or dnf upgrade --security; Windows: approve the security classification in your patch policy; macOS: softwareupdate -ia).',
  },
  (a) => {
    const security = pendingOf(a.sources).filter(isSecurity);
    const counted = a.sources.reduce((n, s) => n + (s.securityCount ?? 0), 0);
    const total = Math.max(security.length, counted);
    if (total > 0) return fail(`${total} security update(s) pending: ${names(security)}`);
    return pass(`no security update pending${partly(a)}`);
  },
);

export const securityPendingTooLong = defineSourcesCheck(
  {
    id: 'patch-security-pending-14d',
    title: 'Security updates pending longer than the allowed days',
    category: 'patching',
    weight: 8,
    cis: ['7.3', '7.4'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Security updates released more than the allowed days ago are still not installed: find why the patch job skips them (failed installs, deferral policy, a held package) and install them.',
  },
  (a, input, thresholds) => {
    const security = pendingOf(a.sources).filter(isSecurity);
    const limit = thresholds.securityPendingDays;
    const old = security.filter(
      (u) => u.releasedAt !== null && daysBetween(new Date(u.releasedAt), input.now) > limit,
    );
    if (old.length > 0) return fail(`${old.length} released over ${limit} days ago: ${names(old)}`);
    const undated = security.filter((u) => u.releasedAt === null);
    if (undated.length > 0) {
      return unknown(
        `patches: the source gives no release date for ${undated.length} pending security update(s)`,
        `${undated.length} security update(s) pending, age unknown: ${names(undated)}`,
      );
    }
    return pass(`no security update pending longer than ${limit} days${partly(a)}`);
  },
);

export const noRecentInstall = defineCheck(
  {
    id: 'patch-no-install-30d',
    title: 'No successful update install recently',
    category: 'patching',
    weight: 6,
    cis: ['7.3'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'No update has installed successfully within the allowed days: check the update history (Windows: Get-WindowsUpdateLog; Linux: /var/log/apt/history.log or dnf history; macOS: softwareupdate --history) and fix the failing job.',
  },
  (input, thresholds) => {
    const patches = input.sections.patches;
    if (!patches) return unknown('patches: section not reported');
    const times = patches.sources
      .map((s) => s.lastInstallAt)
      .filter((t): t is string => t !== null)
      .map((t) => new Date(t).getTime());
    if (times.length === 0) return unknown('patches: no source knows its last install');
    const last = new Date(Math.max(...times));
    const days = Math.floor(daysBetween(last, input.now));
    const evidence = `last successful install ${last.toISOString()} (${days} days ago)`;
    return days > thresholds.noInstallDays ? fail(evidence) : pass(evidence);
  },
);

export const rebootPending = defineCheck(
  {
    id: 'patch-reboot-pending',
    title: 'Reboot pending to finish updates',
    category: 'patching',
    weight: 5,
    cis: ['7.3'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Schedule a reboot so installed updates take effect (Windows: shutdown /r at a maintenance window; Linux: see /var/run/reboot-required.pkgs or needs-restarting -r; macOS: restart after softwareupdate).',
  },
  (input, thresholds) => {
    const patches = input.sections.patches;
    if (!patches) return unknown('patches: section not reported');
    if (patches.rebootRequired === null) return unknown('patches: reboot state not readable');
    if (!patches.rebootRequired) return pass('no reboot pending');
    const reasons = patches.rebootReasons.length ? `: ${patches.rebootReasons.join(', ')}` : '';
    const bootedAt = input.sections.system?.bootedAt;
    const limit = thresholds.rebootPendingDays;
    if (bootedAt) {
      const days = daysBetween(new Date(bootedAt), input.now);
      // Booted recently: the request cannot be older than the boot.
      if (days <= limit)
        return partial(0.5, `reboot pending for at most ${Math.floor(days)} days${reasons}`);
    }
    return fail(`reboot pending, possibly longer than ${limit} days${reasons}`);
  },
);

export const sourceFailing = defineCheck(
  {
    id: 'patch-source-failing',
    title: 'Update source failing',
    category: 'patching',
    weight: 4,
    cis: ['7.3'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'An update source cannot be queried, so its patches are invisible: fix the error shown (apt lock or broken repository, Windows Update service stopped or WSUS unreachable, softwareupdate catalog).',
  },
  (input) => {
    const patches = input.sections.patches;
    if (!patches) return unknown('patches: section not reported');
    const all = patches.sources;
    if (all.length === 0) return unknown('patches: no update source found');
    const failing = all.filter((s) => !s.ok);
    const evidence = failing.length
      ? `failing: ${failing.map((s) => `${s.manager} (${s.error ?? 'no error given'})`).join('; ')}`
      : `all ${all.length} source(s) answered`;
    return byShare(all.length - failing.length, all.length, evidence);
  },
);

export const automaticUpdatesOff = defineCheck(
  {
    id: 'patch-automatic-updates-off',
    title: 'Automatic updates off or notify only',
    category: 'patching',
    weight: 5,
    cis: ['7.3'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Turn on automatic installation: Debian/Ubuntu: apt install unattended-upgrades && dpkg-reconfigure unattended-upgrades; RHEL/Fedora: dnf install dnf-automatic, apply_updates = yes, enable dnf-automatic.timer; Windows: Group Policy "Configure Automatic Updates" = 4 (auto download and schedule install) or your RMM policy; macOS: System Settings > General > Software Update > Automatic updates, all on.',
  },
  (input) => {
    const updates = input.sections.security?.automaticUpdates;
    if (!updates) return unknown('security: section not reported');
    const via = updates.mechanism ? ` (${updates.mechanism})` : '';
    if (updates.enabled === null) {
      return unknown(`security.automaticUpdates: ${updates.reason ?? 'state not readable'}`);
    }
    if (!updates.enabled) return fail(`automatic updates off${via}`);
    if (updates.installsAutomatically === false) {
      return partial(0.5, `automatic updates only download or notify${via}`);
    }
    if (updates.installsAutomatically === null) {
      return unknown(
        `security.automaticUpdates: ${updates.reason ?? 'whether it installs is not readable'}`,
        `automatic updates on${via}, install mode unknown`,
      );
    }
    return pass(`automatic updates install on their own${via}`);
  },
);

export const patchingChecks: readonly Check[] = [
  criticalPending,
  securityPending,
  securityPendingTooLong,
  noRecentInstall,
  rebootPending,
  sourceFailing,
  automaticUpdatesOff,
];
