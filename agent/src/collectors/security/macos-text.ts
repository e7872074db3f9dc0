// Parsers for what the macOS security reader runs and reads. Pure functions, text in,
// values out, tested on published real captures where they exist
// (test/fixtures/security/macos/SOURCES.md says which, and which inputs are synthetic).
import type { AntimalwareProduct } from '@vcio/shared';
import type { ListeningSocket } from './listening.js';

function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

// ---------------------------------------------------------------------------------------
// socketfilterfw (the Application Firewall)

/**
 * `socketfilterfw --getglobalstate`: 'Firewall is disabled. (State = 0)', 'Firewall is
 * enabled. (State = 1)', 'Firewall is blocking all non-essential incoming connections.
 * (State = 2)'. The number is read first; the words when it is missing.
 */
export function parseFirewallGlobalState(text: string): 0 | 1 | 2 | null {
  const m = /\(State = ([0-2])\)/.exec(text);
  if (m) return Number(m[1]) as 0 | 1 | 2;
  if (/Firewall is blocking all/i.test(text)) return 2;
  if (/Firewall is enabled/i.test(text)) return 1;
  if (/Firewall is disabled/i.test(text)) return 0;
  return null;
}

/** `--getstealthmode`: 'Firewall stealth mode is on|off' (macOS 26), 'Stealth mode enabled|disabled' (older). */
export function parseStealthMode(text: string): boolean | null {
  if (/stealth mode (is )?(on|enabled)\b/i.test(text)) return true;
  if (/stealth mode (is )?(off|disabled)\b/i.test(text)) return false;
  return null;
}

/** `--getblockall`: 'Block all ENABLED!|DISABLED!' (older), 'Firewall has block all state set to enabled.|disabled.' */
export function parseBlockAll(text: string): boolean | null {
  if (/block all (state set to )?enabled/i.test(text)) return true;
  if (/block all (state set to )?disabled/i.test(text)) return false;
  return null;
}

// ---------------------------------------------------------------------------------------
// fdesetup status (FileVault)

export interface FileVaultStatus {
  /** FileVault protects the volume (on, or encrypting towards on) */
  on: boolean | null;
  /** the volume is fully encrypted */
  encrypted: boolean | null;
  /** how far encryption is, while encrypting or decrypting; null otherwise */
  percentEncrypted: number | null;
}

/**
 * 'FileVault is On.', 'FileVault is Off.' (possibly followed by 'Deferred enablement
 * appears to be active for user ...'), 'Encryption in progress: Percent completed = 45',
 * 'Decryption in progress: Percent completed = 12'. While decrypting, 'Percent completed'
 * is the share already decrypted, so the share still encrypted is 100 minus it.
 */
export function parseFdesetupStatus(text: string): FileVaultStatus {
  const progress =
    /(Encryption|Decryption) in progress:.*?Percent completed = (\d{1,3}(?:\.\d+)?)/i.exec(text);
  if (progress) {
    const done = Math.min(100, Number(progress[2]));
    const encrypting = /^encryption$/i.test(progress[1]!);
    return {
      on: encrypting,
      encrypted: false,
      percentEncrypted: encrypting ? done : Math.round((100 - done) * 100) / 100,
    };
  }
  if (/FileVault is On\b/i.test(text)) return { on: true, encrypted: true, percentEncrypted: null };
  if (/FileVault is Off\b/i.test(text))
    return { on: false, encrypted: false, percentEncrypted: null };
  return { on: null, encrypted: null, percentEncrypted: null };
}

// ---------------------------------------------------------------------------------------
// XProtect and Microsoft Defender for Endpoint

/** CFBundleShortVersionString from an XML Info.plist; null for a binary plist or none. */
export function parseInfoPlistVersion(text: string): string | null {
  const m = /<key>CFBundleShortVersionString<\/key>\s*<string>\s*([^<]*?)\s*<\/string>/.exec(text);
  return m && m[1] !== '' ? m[1]!.slice(0, 64) : null;
}

export interface XProtectInstall {
  version: string | null;
  installedAt: string;
}

/**
 * The latest XProtectPlistConfigData entry of `system_profiler -json
 * SPInstallHistoryDataType` (entries: _name, install_date, install_version,
 * package_source); null when the history has none. Throws when the text is not that JSON.
 */
export function parseXProtectInstallHistory(text: string): XProtectInstall | null {
  const doc = JSON.parse(text) as { SPInstallHistoryDataType?: unknown };
  const entries = Array.isArray(doc.SPInstallHistoryDataType) ? doc.SPInstallHistoryDataType : [];
  let latest: XProtectInstall | null = null;
  for (const entry of entries as Record<string, unknown>[]) {
    if (entry?._name !== 'XProtectPlistConfigData') continue;
    const at = typeof entry.install_date === 'string' ? Date.parse(entry.install_date) : NaN;
    if (!Number.isFinite(at)) continue;
    if (latest === null || at > Date.parse(latest.installedAt))
      latest = {
        version:
          typeof entry.install_version === 'string' ? entry.install_version.slice(0, 64) : null,
        installedAt: new Date(at).toISOString(),
      };
  }
  return latest;
}

/** `mdatp health`'s 'key : value' lines, values unquoted. */
export function parseMdatpHealth(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    const m = /^\s*([a-z_]+)\s+:\s?(.*?)\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/**
 * Microsoft Defender for Endpoint from `mdatp health`. definitions_updated is printed in
 * local time without a zone ('Jul 06, 2022 at 01:57:03 PM'), so the update time is taken
 * from definitions_updated_minutes_ago instead. Passive mode: installed, not protecting.
 */
export function mdatpProduct(health: Map<string, string>, now: Date): AntimalwareProduct | null {
  if (health.size === 0) return null;
  const flag = (key: string): boolean | null => {
    const v = health.get(key);
    return v === 'true' ? true : v === 'false' ? false : null;
  };
  const passive = flag('passive_mode_enabled');
  const minutes = Number(health.get('definitions_updated_minutes_ago'));
  const status = health.get('definitions_status');
  return {
    name: 'Microsoft Defender for Endpoint',
    enabled: passive === null ? null : !passive,
    realTimeProtection: flag('real_time_protection_enabled'),
    signatureVersion: health.get('definitions_version')?.slice(0, 64) || null,
    signaturesUpdatedAt:
      health.has('definitions_updated_minutes_ago') && Number.isFinite(minutes) && minutes >= 0
        ? new Date(now.getTime() - minutes * 60_000).toISOString()
        : null,
    upToDate: status === undefined ? null : status === 'up_to_date',
  };
}

// ---------------------------------------------------------------------------------------
// defaults read (old-style plist text)

/**
 * The top-level scalar values of `defaults read <domain>`, which prints an old-style
 * plist: '{', '    Key = value;' lines, nested '{ }' dictionaries and '( )' arrays that
 * are skipped, quoted keys and values where they hold spaces or punctuation. A `defaults
 * read <domain> <key>` answer (a bare value) is read by readDefaultsValue instead.
 */
export function parseDefaultsDomain(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (depth === 1) {
      const m = /^("(?:[^"\\]|\\.)*"|[^\s=]+)\s*=\s*(.*?)\s*;?$/.exec(line);
      if (m) {
        const value = m[2]!;
        if (value !== '{' && value !== '(' && !value.endsWith('{') && !value.endsWith('('))
          out.set(
            m[1]!.replace(/^"(.*)"$/, '$1'),
            value.replace(/;$/, '').replace(/^"(.*)"$/, '$1'),
          );
      }
    }
    for (const ch of line.replace(/"(?:[^"\\]|\\.)*"/g, '')) {
      if (ch === '{' || ch === '(') depth++;
      else if (ch === '}' || ch === ')') depth--;
    }
  }
  return out;
}

/** A 0/1 plist value ('1', '0', 'true', 'false'), or null. */
export function plistBool(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes') return true;
  if (v === '0' || v === 'false' || v === 'no') return false;
  return null;
}

/** `defaults read` exits 1 with this when the domain or key is not there. */
export function isDefaultsMissing(text: string): boolean {
  return /does not exist/i.test(text);
}

// ---------------------------------------------------------------------------------------
// lsof -nP -iTCP -sTCP:LISTEN / -iUDP

/**
 * lsof rows (COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME). COMMAND is cut to 9
 * characters and may hold a space ('Google Ch'), so rows are read from the right. NAME is
 * '*:22', '127.0.0.1:631', '[::1]:631' and for UDP may be a connected pair 'a:p->b:q'
 * (not a listener: skipped) or '*:*' (unbound: skipped). '*' is every address of the
 * row's family: 0.0.0.0 for IPv4, :: for IPv6.
 */
export function parseLsofSockets(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of lines(text)) {
    // COMMAND is at most 9 characters as the collector runs lsof (no +c): bounding it keeps
    // the match linear; `(.+?)\s+` took seconds on a long run of spaces (test/parser-fuzz).
    const m =
      /^(.{1,64}?)\s+(\d+)\s+\S+\s+\S+\s+(IPv[46])\s+\S+\s+\S+\s+(TCP|UDP)\s+(\S+)(?:\s+\((\w+)\))?\s*$/.exec(
        line,
      );
    if (!m) continue;
    const [, command, pid, family, proto, name, state] = m as unknown as string[];
    if (name!.includes('->')) continue;
    if (proto === 'TCP' && state !== undefined && state !== 'LISTEN') continue;
    const addr = /^(.+):(\d+)$/.exec(name!);
    if (!addr) continue;
    const host = addr[1]!.replace(/^\[|\]$/g, '');
    out.push({
      protocol: proto === 'TCP' ? 'tcp' : 'udp',
      address: host === '*' ? (family === 'IPv6' ? '::' : '0.0.0.0') : host,
      port: Number(addr[2]),
      process: command!.trim(),
      pid: Number(pid),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Remote Login, administrators, time, secure boot

/**
 * `launchctl print-disabled system`: '"com.openssh.sshd" => enabled|disabled' (macOS 11+)
 * or '=> false|true' (older, where true means disabled). A label that is not listed has
 * no override and keeps its plist's default, which for sshd is disabled: Remote Login off.
 */
export function parseLaunchdDisabled(text: string, label: string): boolean | null {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`"${escaped}"\\s*=>\\s*(\\w+)`).exec(text);
  if (!m) return null;
  const v = m[1]!.toLowerCase();
  if (v === 'enabled' || v === 'false') return false;
  if (v === 'disabled' || v === 'true') return true;
  return null;
}

/** `dscl . -read /Groups/admin GroupMembership` (or the whole record): the member names. */
export function parseDsclGroupMembership(text: string): string[] | null {
  const all = lines(text);
  const at = all.findIndex((l) => /^GroupMembership:/.test(l));
  if (at < 0) return /No such key: GroupMembership/.test(text) ? [] : null;
  const names = all[at]!.slice('GroupMembership:'.length).trim().split(/\s+/).filter(Boolean);
  // Long values continue on indented lines.
  for (const next of all.slice(at + 1)) {
    if (!/^\s+\S/.test(next)) break;
    names.push(...next.trim().split(/\s+/));
  }
  return names.map((n) => n.slice(0, 256)).slice(0, 256);
}

/** `systemsetup -getusingnetworktime`: 'Network Time: On|Off'. */
export function parseNetworkTime(text: string): boolean | null {
  const m = /Network Time:\s*(On|Off)\b/i.exec(text);
  return m ? /^on$/i.test(m[1]!) : null;
}

/** systemsetup prints this (and may still exit 0) when not run as root. */
export function isSystemsetupRefused(text: string): boolean {
  return /need administrator access/i.test(text);
}

/** The first 'server' of /etc/ntp.conf, which System Settings writes ('server time.apple.com.'). */
export function parseNtpConfServer(text: string): string | null {
  for (const line of lines(text)) {
    const m = /^\s*server\s+(\S+)/.exec(line);
    if (m) return m[1]!.replace(/\.$/, '').slice(0, 256);
  }
  return null;
}

/**
 * `nvram 94b73556-...:AppleSecureBootPolicy` on an Intel Mac with a T2 chip: the name, a
 * tab, and the policy byte as '%02' (Full Security), '%01' (Medium Security) or '%00' (No
 * Security). Returns the byte, or null when the output is not that.
 */
export function parseAppleSecureBootPolicy(text: string): number | null {
  const m = /AppleSecureBootPolicy\s+%([0-9a-fA-F]{2})/.exec(text);
  return m ? parseInt(m[1]!, 16) : null;
}
