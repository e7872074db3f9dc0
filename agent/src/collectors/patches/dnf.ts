// dnf / yum (Fedora, RHEL and rebuilds, Amazon Linux): pure parsers for what linux.ts reads.
//
//   dnf check-update (yum check-update, dnf5 check-upgrade)  -> parseDnfCheckUpdate
//   dnf updateinfo list --available / yum updateinfo list
//     (dnf4/yum "ID Type/Sev. NEVRA" lines and the dnf5 advisory table) -> parseUpdateinfoList
//   needs-restarting -r                                       -> parseNeedsRestarting
import type { PatchSeverity, PendingUpdate } from '@vcio/shared';
import { graverSeverity, lines, normaliseSeverity, pendingUpdate } from './linux-common.js';

/** name-[epoch:]version-release.arch split apart; null when it is not shaped so. */
export function splitNevra(
  nevra: string,
): { name: string; version: string; release: string; arch: string } | null {
  const m = /^(.+)-([^-]+)-([^-]+)\.([^.-]+)$/.exec(nevra);
  if (!m) return null;
  const [, name = '', version = '', release = '', arch = ''] = m;
  return { name, version, release, arch };
}

// "name.arch   version-release   repo": three columns
const CHECK_UPDATE_LINE = /^(\S+)\.([^.\s]+)\s+(\S+)\s+(\S+)$/;

/**
 * `check-update` lines. Stops at the "Obsoleting Packages" section (those packages are
 * already listed above it); skips "Loaded plugins", "Last metadata expiration check",
 * the dnf5 "Upgrades" heading and anything not three columns with a name.arch first.
 * security is null here: check-update does not say; parseUpdateinfoList does.
 */
export function parseDnfCheckUpdate(text: string): PendingUpdate[] {
  const result: PendingUpdate[] = [];
  for (const raw of lines(text)) {
    if (/^Obsoleting packages/i.test(raw.trim())) break;
    if (/^\s/.test(raw)) continue; // continuation lines (wrapped plugin lists, obsoleted)
    const m = CHECK_UPDATE_LINE.exec(raw.trim());
    if (!m) continue;
    const [, name = '', , version = '', repo = ''] = m;
    if (!/\d/.test(version) || !/-/.test(version)) continue;
    result.push(
      pendingUpdate({
        name,
        availableVersion: version,
        security: null,
        severity: null,
        classification: repo,
      }),
    );
  }
  return result;
}

export interface AdvisoryInfo {
  advisories: string[];
  severity: PatchSeverity | null;
  security: boolean;
  /** the advisory types seen: security, bugfix, enhancement, newpackage, unspecified */
  types: string[];
}

const ADVISORY_ID = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*[-:]\S+$/i;

// dnf5 shortens the type to its column: "secu", "bugf", "enha", "unsp"
function advisoryType(word: string): string | null {
  const w = word.toLowerCase();
  if (w.endsWith('/sec.')) return 'security';
  for (const t of ['security', 'bugfix', 'enhancement', 'newpackage', 'unspecified', 'unknown']) {
    if (w.length >= 4 && t.startsWith(w)) return t;
  }
  return null;
}

/**
 * Advisories per package name (no epoch, version or arch). Handles the dnf4/yum lines
 * `RHSA-2023:0335 Moderate/Sec.  dbus-1:1.12.20-7.el9_1.x86_64` (with the extra leading
 * column `yum updateinfo list ... all` adds) and the dnf5 table
 * `FEDORA-2024-635a54eb7e secu Importan glib2-2.80.2-1.fc40.x86_64 2024-05-12 04:16:43`.
 * A package with several advisories gets them all and the gravest severity.
 */
export function parseUpdateinfoList(text: string): Map<string, AdvisoryInfo> {
  const result = new Map<string, AdvisoryInfo>();
  for (const line of lines(text)) {
    let tokens = line.trim().split(/\s+/);
    if (tokens.length >= 4 && /^[ia]$/i.test(tokens[0] ?? '')) tokens = tokens.slice(1);
    const [id = '', typeWord = ''] = tokens;
    if (!ADVISORY_ID.test(id) || !/\d/.test(id)) continue;
    const type = advisoryType(typeWord);
    if (type === null) continue;
    let severity: PatchSeverity | null;
    let nevra: string;
    if (typeWord.includes('/')) {
      // dnf4/yum: "Important/Sec." (security advisories only carry a severity here)
      severity = normaliseSeverity(typeWord.split('/')[0]);
      nevra = tokens[2] ?? '';
    } else if (tokens.length >= 4 && splitNevra(tokens[3] ?? '') && !splitNevra(tokens[2] ?? '')) {
      // dnf5: Name Type Severity Package Issued
      severity = normaliseSeverity(tokens[2]);
      nevra = tokens[3] ?? '';
    } else {
      severity = null;
      nevra = tokens[2] ?? '';
    }
    const parts = splitNevra(nevra);
    if (!parts) continue;
    const entry = result.get(parts.name) ?? {
      advisories: [],
      severity: null,
      security: false,
      types: [],
    };
    if (!entry.advisories.includes(id)) entry.advisories.push(id);
    if (!entry.types.includes(type)) entry.types.push(type);
    entry.security = entry.security || type === 'security';
    entry.severity = graverSeverity(entry.severity, severity);
    result.set(parts.name, entry);
  }
  return result;
}

/**
 * check-update's list with what updateinfo says of each package. A package no advisory
 * names is not a security update (dnf's own `--security` filter sees it the same way);
 * repositories without updateinfo metadata (most third-party ones) therefore count as
 * non-security.
 */
export function mergeUpdateinfo(
  pending: PendingUpdate[],
  advisories: Map<string, AdvisoryInfo>,
): PendingUpdate[] {
  return pending.map((p) => {
    const info = advisories.get(p.name);
    if (!info) return { ...p, security: false };
    return {
      ...p,
      security: info.security,
      severity: info.severity,
      advisories: info.advisories.slice(0, 32),
    };
  });
}

/**
 * What `needs-restarting -r` lists as the reason for a reboot: dnf's "  * glibc" lines,
 * yum-utils' "  kernel -> 3.10.0-1160.119.1.el7" lines. Whether a reboot is needed comes
 * from its exit code (1: needed, 0: not), read in linux.ts.
 */
export function parseNeedsRestarting(text: string): string[] {
  const reasons: string[] = [];
  for (const line of lines(text)) {
    if (!/^\s/.test(line)) continue;
    const reason = line.trim().replace(/^\*\s*/, '');
    if (reason !== '' && !reasons.includes(reason)) reasons.push(reason);
  }
  return reasons;
}
