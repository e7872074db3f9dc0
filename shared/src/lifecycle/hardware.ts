// Hardware age and the replacement forecast. Age runs from a recorded purchase date when
// there is one, else from the BIOS/firmware release date (the best proxy the agent can
// read); with neither the host is counted as unknown, never as fine.
export type HardwareRole = 'workstation' | 'server';

export interface ReplacementPolicy {
  workstationYears: number;
  serverYears: number;
}

export const DEFAULT_REPLACEMENT_POLICY: ReplacementPolicy = {
  workstationYears: 5,
  serverYears: 7,
};

export interface HardwareHost {
  id: string;
  role: HardwareRole;
  /** system section hardware.bios.releaseDate (YYYY-MM-DD) */
  firmwareDate: string | null;
  /** a recorded purchase date (YYYY-MM-DD); preferred over the firmware date */
  purchaseDate: string | null;
}

export interface QuarterBucket {
  /** e.g. "2026-Q4" */
  quarter: string;
  /** first day of the quarter, YYYY-MM-DD */
  start: string;
  hostIds: string[];
}

export interface ReplacementForecast {
  /** past their replacement age at `now` */
  overdue: string[];
  /** the current quarter first, then the next ones */
  quarters: QuarterBucket[];
  /** due after the last forecast quarter */
  later: string[];
  /** no purchase or firmware date */
  unknown: string[];
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(value: string | null): Date | null {
  const parts = value?.match(ISO_DATE);
  if (!parts) return null;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2026-13-45 over into 2027; such a value is not a date.
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
}

/** The date age is counted from: purchase, else firmware; null when neither is a date. */
export function hardwareBaseDate(
  host: Pick<HardwareHost, 'firmwareDate' | 'purchaseDate'>,
): Date | null {
  return parseDate(host.purchaseDate) ?? parseDate(host.firmwareDate);
}

/** Age in whole years at `now`, or null when unknown. */
export function hardwareAgeYears(
  host: Pick<HardwareHost, 'firmwareDate' | 'purchaseDate'>,
  now: Date,
): number | null {
  const base = hardwareBaseDate(host);
  if (base === null) return null;
  let years = now.getUTCFullYear() - base.getUTCFullYear();
  const anniversary = new Date(base);
  anniversary.setUTCFullYear(now.getUTCFullYear());
  if (now < anniversary) years -= 1;
  return Math.max(0, years);
}

/** When the host reaches its replacement age under `policy`; null when its age is unknown. */
export function replacementDue(
  host: HardwareHost,
  policy: ReplacementPolicy = DEFAULT_REPLACEMENT_POLICY,
): Date | null {
  const base = hardwareBaseDate(host);
  if (base === null) return null;
  const due = new Date(base);
  due.setUTCFullYear(
    base.getUTCFullYear() + (host.role === 'server' ? policy.serverYears : policy.workstationYears),
  );
  return due;
}

const quarterIndex = (d: Date) => d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3);

/**
 * Hosts reaching replacement age in each of the next `quarterCount` quarters (the current
 * one first), those already overdue, those due later, and those whose age is unknown.
 */
export function replacementForecast(
  hosts: HardwareHost[],
  now: Date,
  policy: ReplacementPolicy = DEFAULT_REPLACEMENT_POLICY,
  quarterCount = 8,
): ReplacementForecast {
  const first = quarterIndex(now);
  const quarters: QuarterBucket[] = Array.from({ length: quarterCount }, (_, i) => {
    const year = Math.floor((first + i) / 4);
    const q = (first + i) % 4;
    const start = new Date(Date.UTC(year, q * 3, 1)).toISOString().slice(0, 10);
    return { quarter: `${year}-Q${q + 1}`, start, hostIds: [] };
  });
  const forecast: ReplacementForecast = { overdue: [], quarters, later: [], unknown: [] };
  for (const host of hosts) {
    const due = replacementDue(host, policy);
    if (due === null) forecast.unknown.push(host.id);
    else if (due <= now) forecast.overdue.push(host.id);
    else if (quarterIndex(due) - first < quarterCount)
      quarters[quarterIndex(due) - first]!.hostIds.push(host.id);
    else forecast.later.push(host.id);
  }
  return forecast;
}
