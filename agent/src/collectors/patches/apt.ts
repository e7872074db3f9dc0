// apt (Debian, Ubuntu and derivatives): pure parsers for what linux.ts reads.
//
//   apt list --upgradable          -> parseAptListUpgradable
//   its stderr when it fails       -> parseAptError (dpkg/apt lock held by another run)
//   /var/run/reboot-required.pkgs  -> parseRebootRequiredPkgs
//   /var/log/apt/history.log       -> parseAptHistoryLastInstall
//   needrestart -b                 -> parseNeedrestartBatch
import type { PendingUpdate } from '@vcio/shared';
import { lines, pendingUpdate } from './linux-common.js';

// name/suite[,suite...] version arch [upgradable from: old-version]
const UPGRADABLE_LINE =
  /^([^\s/]+)\/(\S+)\s+(\S+)\s+(\S+)(?:\s+\[upgradable from: ([^\]\s]+)\])?\s*$/;

/**
 * Lines of `apt list --upgradable`. Anything else ("Listing... Done", "WARNING: apt does
 * not have a stable CLI interface", "N: There is 1 additional version") is skipped.
 * security: a suite of the package is a security pocket (jammy-security,
 * bookworm-security, Debian-Security); classification: its suites, de-duplicated.
 */
export function parseAptListUpgradable(text: string): PendingUpdate[] {
  const result: PendingUpdate[] = [];
  for (const line of lines(text)) {
    const m = UPGRADABLE_LINE.exec(line.trim());
    if (!m) continue;
    const [, name = '', suiteList = '', version = '', , from] = m;
    const suites = [...new Set(suiteList.split(',').filter((s) => s !== ''))];
    result.push(
      pendingUpdate({
        name,
        currentVersion: from ?? null,
        availableVersion: version,
        security: suites.some((s) => /security/i.test(s)),
        severity: null,
        classification: suites.join(','),
      }),
    );
  }
  return result;
}

const LOCK_ERROR = /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock/i;

/**
 * What went wrong, from apt's stderr: lock errors (another apt/dpkg run, often
 * unattended-upgrades, holds the lock) get one clear sentence with apt's own words; any
 * other `E:` line is returned as is. null when stderr holds no apt error.
 */
export function parseAptError(stderr: string): string | null {
  const errors = lines(stderr)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('E:'));
  if (errors.length === 0) return null;
  const lock = errors.find((l) => LOCK_ERROR.test(l));
  if (lock) return `apt is locked by another package-manager run (try again later): ${lock}`;
  return errors.join(' ');
}

/** /var/run/reboot-required.pkgs: one package per line, repeated once per trigger. */
export function parseRebootRequiredPkgs(text: string): string[] {
  return [...new Set(lines(text).map((l) => l.trim()))];
}

// "End-Date: 2026-05-09  07:28:50": local time, two spaces between date and time
const END_DATE = /^End-Date:\s*(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2}):(\d{2})\s*$/;

/**
 * The end of the last apt run that installed or upgraded packages (an entry with an
 * `Install:` or `Upgrade:` line), as an ISO timestamp; null when the log has none (it is
 * rotated monthly: an empty current log says nothing). apt writes local time, so the
 * time is read in the agent's own time zone, which is the machine's.
 */
export function parseAptHistoryLastInstall(text: string): string | null {
  let installing = false;
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('Start-Date:')) installing = false;
    else if (/^(Install|Upgrade|Reinstall): /.test(line)) installing = true;
    else if (installing) {
      const m = END_DATE.exec(line);
      if (m) {
        const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        const date = new Date(y, mo - 1, d, h, mi, s);
        if (!Number.isNaN(date.getTime())) last = date.toISOString();
        installing = false;
      }
    }
  }
  return last;
}

export interface RebootCheck {
  /** null: this check could not tell */
  rebootRequired: boolean | null;
  reasons: string[];
}

/**
 * `needrestart -b` (batch mode). NEEDRESTART-KSTA: 0 unknown, 1 running kernel is the
 * newest, 2 ABI-compatible upgrade pending, 3 version upgrade pending; UCSTA: the same
 * for CPU microcode (2 = newer microcode waits for a reboot). Stray lines (Perl warnings)
 * are skipped.
 */
export function parseNeedrestartBatch(text: string): RebootCheck {
  const values = new Map<string, string>();
  for (const line of lines(text)) {
    const m = /^NEEDRESTART-([A-Z]+):\s*(.*)$/.exec(line.trim());
    if (m && !values.has(m[1] ?? '')) values.set(m[1] ?? '', (m[2] ?? '').trim());
  }
  const ksta = values.get('KSTA');
  const ucsta = values.get('UCSTA');
  const reasons: string[] = [];
  if (ksta === '2' || ksta === '3') {
    const cur = values.get('KCUR') ?? '?';
    const exp = values.get('KEXP') || 'a newer kernel';
    reasons.push(`kernel ${cur} -> ${exp}`);
  }
  if (ucsta === '2') reasons.push('CPU microcode update');
  if (reasons.length > 0) return { rebootRequired: true, reasons };
  if (ksta === '1') return { rebootRequired: false, reasons };
  return { rebootRequired: null, reasons };
}
