// Parsers for the text the Windows fallbacks print: `netsh advfirewall show allprofiles`,
// `manage-bde -status`, `net localgroup <group>` and `w32tm /query /status /verbose`.
//
// These tools print in the language of the Windows installation, so every parser reads what
// does not change with it first (line positions, numbers, the tokens netsh's own `set`
// syntax uses) and English labels only where nothing else will do; what it cannot
// understand it returns as null, never as "off". Pure functions: text in, values out,
// tested on published real captures (test/fixtures/security/windows/).
import type { EncryptedVolume, FirewallProduct } from '@vcio/shared';

function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

// ---------------------------------------------------------------------------------------
// netsh advfirewall show allprofiles | currentprofile

export interface NetshProfile {
  /** domain, private, public; null when the header is not English and the position unknown */
  profile: string | null;
  /** State ON / OFF; null for a localised state word (Russian Windows prints 'ВКЛ') */
  enabled: boolean | null;
  defaultInbound: 'allow' | 'block' | null;
  /** the raw 'Firewall Policy' value, e.g. BlockInbound,AllowOutbound */
  policy: string | null;
}

const NETSH_PROFILE_ORDER = ['domain', 'private', 'public'];

/**
 * Profile blocks are a header line, a line of dashes, then 'State' and 'Firewall Policy' as
 * the first two settings. Headers and labels are translated on localised Windows, so a
 * block is found by its dashes, the state by position, and the policy by its
 * BlockInbound/AllowInbound token (netsh's own syntax, which is not translated). `show
 * allprofiles` prints Domain, Private, Public in that order; a header that is not English
 * is named by that position only when there are exactly three blocks.
 */
export function parseNetshAdvfirewall(text: string): NetshProfile[] {
  const all = lines(text);
  const dashes = all.flatMap((l, i) => (i > 0 && /^-{10,}\s*$/.test(l) ? [i] : []));
  const blocks = dashes.map((at, k) => ({
    header: all[at - 1]!.trim(),
    // up to the next block's header line, which sits just above its dashes
    body: all.slice(at + 1, k + 1 < dashes.length ? dashes[k + 1]! - 1 : all.length),
  }));
  return blocks.map(({ header, body }, index) => {
    const english = /^(Domain|Private|Public) Profile Settings:?$/i.exec(header);
    const profile = english
      ? english[1]!.toLowerCase()
      : blocks.length === 3
        ? NETSH_PROFILE_ORDER[index]!
        : null;
    const settings = body.filter((l) => l.trim() !== '');
    const state = settings[0]?.trim().split(/\s+/).pop()?.toUpperCase();
    const policy = body.map((l) => /\b((?:Block|Allow)Inbound\w*,\S+)/i.exec(l)?.[1]).find(Boolean);
    const inbound = policy ? /^(Block|Allow)/i.exec(policy)![1]!.toLowerCase() : null;
    return {
      profile,
      enabled: state === 'ON' ? true : state === 'OFF' ? false : null,
      defaultInbound: inbound === 'block' ? 'block' : inbound === 'allow' ? 'allow' : null,
      policy: policy ?? null,
    };
  });
}

/** netsh profiles as the report's firewall products. */
export function netshFirewallProducts(profiles: readonly NetshProfile[]): FirewallProduct[] {
  return profiles.map((p) => ({
    name: 'windows-firewall',
    profile: p.profile,
    enabled: p.enabled,
    defaultInbound: p.defaultInbound,
    detail: p.policy === null ? null : `netsh: ${p.policy}`.slice(0, 512),
  }));
}

// ---------------------------------------------------------------------------------------
// manage-bde -status

/** 'Used Space Only Encrypted' and 'Fully Encrypted' are encrypted; anything in progress is not yet. */
function conversionEncrypted(status: string): boolean | null {
  const s = status.toLowerCase();
  if (/^(fully|used space only) encrypted$/.test(s)) return true;
  if (/^fully decrypted$/.test(s) || /in progress|paused/.test(s)) return false;
  return null;
}

/** 'Protection On', 'Protection Off', 'Protection Off (1 reboots left)', 'Protection Unknown'. */
function protectionOn(status: string): boolean | null {
  if (/^protection on\b/i.test(status)) return true;
  if (/^protection off\b/i.test(status)) return false;
  return null;
}

/** '100,0%' (decimal comma locales) and '100.0%' alike. */
function percent(value: string): number | null {
  const m = /^(\d{1,3}(?:[.,]\d+)?)\s*%$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]!.replace(',', '.'));
  return n >= 0 && n <= 100 ? n : null;
}

const MANAGE_BDE_FIELDS = new Set([
  'conversion status',
  'percentage encrypted',
  'encryption method',
  'protection status',
]);

/**
 * `manage-bde -status`: one volume per 'Volume C: [label]' header, '[OS Volume]' or
 * '[Data Volume]' under it, then 'Label: value' fields (English labels: the tool is
 * localised and a translated field reads as null). A paste without the 'Volume' header is
 * one volume whose mount point is unknown.
 */
export function parseManageBdeStatus(text: string): EncryptedVolume[] {
  const volumes: EncryptedVolume[] = [];
  let current: EncryptedVolume | null = null;
  const start = (mount: string | null): EncryptedVolume => {
    const v: EncryptedVolume = {
      mount,
      device: null,
      system: null,
      encrypted: null,
      method: null,
      protectionOn: null,
      percentEncrypted: null,
    };
    volumes.push(v);
    return v;
  };
  for (const raw of lines(text)) {
    const line = raw.trim();
    const header = /^Volume\s+([A-Za-z]:|\\\\\?\\Volume\{[^}]+\}\\?)/.exec(line);
    if (header) {
      current = start(header[1]!);
      continue;
    }
    if (/^\[OS Volume\]$/i.test(line) && current) current.system = true;
    else if (/^\[Data Volume\]$/i.test(line) && current) current.system = false;
    const field = /^([A-Za-z][A-Za-z ]*?):\s+(\S.*)$/.exec(line);
    const label = field?.[1]!.toLowerCase();
    const value = field?.[2] ?? '';
    if (label === undefined || !MANAGE_BDE_FIELDS.has(label)) continue;
    const v: EncryptedVolume = current ?? (current = start(null));
    if (label === 'conversion status') v.encrypted = conversionEncrypted(value);
    else if (label === 'percentage encrypted') v.percentEncrypted = percent(value);
    else if (label === 'encryption method')
      v.method = /^none$/i.test(value) ? null : value.slice(0, 64);
    else v.protectionOn = protectionOn(value);
  }
  return volumes.slice(0, 64);
}

// ---------------------------------------------------------------------------------------
// net localgroup <group>

export interface NetLocalgroup {
  /** as echoed on the 'Alias name' line (in the case the group was typed) */
  group: string | null;
  members: string[];
}

/**
 * `net localgroup administrators`: members are the lines between the dashes and the final
 * 'The command completed successfully.' That last line is translated on localised
 * Windows, so when it is not English the last line is still dropped if it reads like a
 * sentence (spaces, ends in '.'): account names cannot end in a period.
 */
export function parseNetLocalgroup(text: string): NetLocalgroup {
  const all = lines(text);
  const alias = all.map((l) => /^Alias name\s+(.+?)\s*$/.exec(l)?.[1]).find(Boolean) ?? null;
  const dashes = all.findIndex((l) => /^-{20,}\s*$/.test(l));
  if (dashes < 0) return { group: alias, members: [] };
  const members = all
    .slice(dashes + 1)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = members[members.length - 1];
  if (last !== undefined && (/completed successfully/i.test(last) || /\s.*\.$/.test(last)))
    members.pop();
  // The contract holds names of up to 256 characters, as administratorMembers cuts the
  // script's: a longer line (a garbled output) must not make the whole report invalid
  // (found by test/parser-fuzz).
  return { group: alias, members: members.slice(0, 256).map((m) => m.slice(0, 256)) };
}

// ---------------------------------------------------------------------------------------
// w32tm /query /status /verbose

export interface W32tmStatus {
  /** 0 no warning ... 3 not synchronised */
  leapIndicator: number | null;
  stratum: number | null;
  /** ReferenceId as a number: 0 unspecified, 0x4C4F434C 'LOCL' the local clock */
  referenceId: number | null;
  /** the 'Source' value without its ',0x9' mode flags */
  source: string | null;
  /** 'Phase Offset' in seconds (verbose output only), signed */
  phaseOffset: number | null;
}

/** 'LOCL': w32tm's reference id when the machine follows its own clock. */
export const W32TM_LOCAL_CLOCK_REFID = 0x4c4f434c;

/** The value after the label's first colon (French writes 'Couche :', Chinese full-width text). */
function valueOf(line: string): string {
  return line.slice(line.indexOf(':') + 1).trim();
}

/**
 * The w32tm status lines come in a fixed order in every language (Leap Indicator, Stratum,
 * Precision, Root Delay, Root Dispersion, ReferenceId, Last Successful Sync Time, Source,
 * Poll Interval, then with /verbose Phase Offset ...), while the labels, the words in
 * parentheses and the date format are translated. So values are taken by position, checked
 * against their locale-independent shape (a number, a hex id, a duration in seconds), and
 * a line that wrapped (no colon) is skipped, as German output wraps long lines.
 */
export function parseW32tmStatus(text: string): W32tmStatus {
  const values = lines(text)
    .filter((l) => l.includes(':'))
    .map(valueOf);
  const int = (v: string | undefined, re: RegExp): number | null => {
    const m = v === undefined ? null : re.exec(v);
    return m ? Number(m[1]) : null;
  };
  const refid = values[5] === undefined ? null : /^0x([0-9A-Fa-f]{1,8})\b/.exec(values[5]);
  const source = values[7]?.replace(/,0x[0-9A-Fa-f]+$/, '').trim();
  const offset = values[9] === undefined ? null : /^(-?\d+(?:\.\d+)?)s$/.exec(values[9]);
  const leap = int(values[0], /^([0-3])\s*\(/);
  return {
    leapIndicator: leap,
    stratum: leap === null ? null : int(values[1], /^(\d{1,2})\b/),
    referenceId: leap === null || !refid ? null : parseInt(refid[1]!, 16),
    source: leap === null || !source ? null : source.slice(0, 256),
    phaseOffset: leap === null || !offset ? null : Number(offset[1]),
  };
}

/**
 * Whether w32tm follows a time source: not when the leap indicator says 'not synchronized'
 * (3), the stratum is 0 (unspecified), or the reference is none or the local CMOS clock.
 * null when the output could not be read.
 */
export function w32tmSynchronized(status: W32tmStatus): boolean | null {
  if (status.leapIndicator === null) return null;
  if (status.leapIndicator === 3 || status.stratum === 0) return false;
  if (status.referenceId === 0 || status.referenceId === W32TM_LOCAL_CLOCK_REFID) return false;
  return true;
}
