// Turning what the OS says into facts or `null`.
//
// Firmware, VMs and containers fill fields they do not know with placeholders: '' or '-'
// from systeminformation, 'To Be Filled By O.E.M.' and 'Default string' from cheap boards'
// SMBIOS, 'System Serial Number' from unconfigured ones, 0 for a CPU speed a VM does not
// expose. Reported as-is they would look like facts (a fleet of machines sharing the serial
// "Default string"), so every such value becomes null, which the contract reads as unknown.

/** Placeholders seen in SMBIOS/DMI fields, compared case-insensitively after trimming. */
export const PLACEHOLDER_TEXTS: readonly string[] = [
  '',
  '-',
  '--',
  '.',
  '0',
  'none',
  'n/a',
  'na',
  'null',
  'undefined',
  'unknown',
  'default string',
  'to be filled by o.e.m.',
  'to be filled by oem',
  'o.e.m.',
  'oem',
  'system serial number',
  'system product name',
  'system manufacturer',
  'system version',
  'chassis serial number',
  'base board serial number',
  'not specified',
  'not applicable',
  'not available',
  'not present',
  'no asset tag',
  '0123456789',
  '123456789',
];

const placeholders = new Set(PLACEHOLDER_TEXTS);

/**
 * A text value, or null when it is missing or a known placeholder. Long values are cut to
 * maxLength, the contract's bound for the field, so a garbled DMI table cannot make the
 * whole report invalid.
 */
export function knownText(value: unknown, maxLength = 512): string | null {
  if (typeof value !== 'string') return null;
  // DMI strings sometimes carry NULs or padding: trim both.
  const text = value.replace(/\0/g, '').trim();
  if (placeholders.has(text.toLowerCase())) return null;
  // All zeros, all F's or all X's: a serial or UUID field left unset.
  if (/^(0+|f+|x+)$/i.test(text.replace(/[-:\s]/g, ''))) return null;
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

/** A MAC address, or null for a missing or all-zero one (loopback, some virtual NICs). */
export function knownMac(value: unknown): string | null {
  const text = knownText(value, 64);
  return text === null ? null : text.toLowerCase();
}

/** A positive finite number, or null: for values where 0 or less means "not known". */
export function knownPositive(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

/** A non-negative integer count of bytes, or null. */
export function knownBytes(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.round(value)
    : null;
}

/**
 * A calendar date as YYYY-MM-DD, or null. Firmware dates arrive as "2019-05-13" (Linux,
 * systeminformation), "05/13/2019" (DMI's own format), "20190513000000.000000+000" (WMI).
 */
export function knownDate(value: unknown): string | null {
  const text = knownText(value, 64);
  if (text === null) return null;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(text);
  let ymd: [string, string, string] | null = match ? [match[1]!, match[2]!, match[3]!] : null;
  if (!ymd) {
    match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
    if (match) ymd = [match[3]!, match[1]!, match[2]!];
  }
  if (!ymd) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{6}(\.\d+)?([+-]\d+)?)?$/.exec(text);
    if (match) ymd = [match[1]!, match[2]!, match[3]!];
  }
  if (!ymd) return null;
  const [y, m, d] = ymd.map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  // Rejects 2019-02-30 and the like, which Date would silently roll over.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return null;
  if (y < 1980) return null; // a zeroed RTC or an unset field, not a firmware release date
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
