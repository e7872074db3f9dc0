// Time synchronisation on Linux: is the clock synchronised, by which service, to which
// server, and how far off it was at the last measurement.
//
//   timedatectl show (systemd >= 239)  -> parseTimedatectlShow: NTPSynchronized (the
//     kernel's flag, whichever daemon set it) and NTP (a time service is enabled)
//   timedatectl status (older systemd, where "show" is an unknown verb)
//                                      -> parseTimedatectlStatus
//   chronyc -n tracking                -> parseChronycTracking (chronyd)
//   ntpq -pn                           -> parseNtpqPeers (ntpd; the '*' peer)
//   timedatectl timesync-status        -> parseTimesyncStatus (systemd-timesyncd)
// The first daemon that answers is the service; a daemon that is installed but not
// running ("506 Cannot talk to daemon") is skipped. Privileges: none.
import {
  cap,
  bounded,
  failureReason,
  joinReasons,
  succeeded,
  textLines,
  type LinuxSecurityHost,
} from './linux-run.js';

/** `timedatectl show`: Key=value lines. */
export function parseTimedatectlShow(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of textLines(text)) {
    const i = line.indexOf('=');
    if (i > 0) values.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return values;
}

const yesNo = (v: string | undefined): boolean | null =>
  v === 'yes' ? true : v === 'no' ? false : null;

export interface TimedatectlState {
  synchronized: boolean | null;
  /** a time service is enabled (NTP=yes, "NTP service: active") */
  ntpEnabled: boolean | null;
  /** the status text named systemd-timesyncd as the service */
  timesyncd: boolean;
}

export function timedatectlFromShow(values: Map<string, string>): TimedatectlState {
  return {
    synchronized: yesNo(values.get('NTPSynchronized')),
    ntpEnabled: yesNo(values.get('NTP')),
    timesyncd: false,
  };
}

/**
 * `timedatectl status` in its three generations of labels: "NTP synchronized" / "NTP
 * enabled" (systemd 219), "System clock synchronized" / "systemd-timesyncd.service active"
 * (237-238), "System clock synchronized" / "NTP service" (239 and later).
 */
export function parseTimedatectlStatus(text: string): TimedatectlState {
  const state: TimedatectlState = { synchronized: null, ntpEnabled: null, timesyncd: false };
  for (const line of textLines(text)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const label = cap(m, 1).trim();
    const value = cap(m, 2).trim();
    if (label === 'System clock synchronized' || label === 'NTP synchronized')
      state.synchronized = yesNo(value);
    else if (label === 'NTP enabled') state.ntpEnabled = yesNo(value);
    else if (label === 'NTP service')
      state.ntpEnabled = value === 'active' ? true : value === 'inactive' ? false : null;
    else if (label === 'systemd-timesyncd.service active') {
      state.ntpEnabled = yesNo(value);
      state.timesyncd = true;
    }
  }
  return state;
}

export interface DaemonReading {
  synchronized: boolean | null;
  source: string | null;
  offsetSeconds: number | null;
}

/** `chronyc -n tracking`. */
export function parseChronycTracking(text: string): DaemonReading | null {
  const fields = new Map<string, string>();
  for (const line of textLines(text)) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (m) fields.set(cap(m, 1).trim(), cap(m, 2).trim());
  }
  const leap = fields.get('Leap status');
  if (leap === undefined) return null;
  const ref = /^(\S+)\s*(?:\((.*)\))?/.exec(fields.get('Reference ID') ?? '');
  const source = ref?.[2] || (ref?.[1] && !/^0+$/.test(ref[1]) ? ref[1] : null);
  const offset = /^([\d.]+) seconds/.exec(fields.get('System time') ?? '');
  const synchronized = !/not synchronised/i.test(leap);
  return {
    synchronized,
    source: synchronized ? bounded(source, 256) : null,
    offsetSeconds: offset && synchronized ? Number(offset[1]) : null,
  };
}

/** `ntpq -pn` / `ntpq -p`: the system peer ('*', or 'o' for a PPS peer) and its offset. */
export function parseNtpqPeers(text: string): DaemonReading | null {
  const rows = textLines(text);
  if (!rows.some((l) => /^\s*remote\s+refid/.test(l))) return null;
  for (const row of rows) {
    const m = /^([*o])(\S+)\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+([+-]?[\d.]+)/.exec(row);
    if (m)
      return {
        synchronized: true,
        source: bounded(m[2], 256),
        offsetSeconds: Math.abs(Number(`${cap(m, 4)}e-3`)),
      };
  }
  return { synchronized: false, source: null, offsetSeconds: null };
}

// decimal exponents, so that "-5.224ms" is exactly 0.005224 (no binary rounding)
const DURATION_EXPONENT: Record<string, string> = {
  ns: 'e-9',
  us: 'e-6',
  µs: 'e-6',
  ms: 'e-3',
  s: 'e0',
};

/** "-5.224ms", "+120us", "1.5s" -> absolute seconds; null otherwise. */
export function parseDurationSeconds(text: string): number | null {
  const m = /^([+-]?[\d.]+)\s*(ns|us|µs|ms|s|min)$/.exec(text.trim());
  if (!m) return null;
  const unit = cap(m, 2);
  const value =
    unit === 'min' ? Number(m[1]) * 60 : Number(`${cap(m, 1)}${DURATION_EXPONENT[unit]}`);
  return Number.isFinite(value) ? Math.abs(value) : null;
}

/** `timedatectl timesync-status`: "Server: 216.239.35.8 (time.google.com)", "Offset: -5.224ms". */
export function parseTimesyncStatus(text: string): DaemonReading {
  const fields = new Map<string, string>();
  for (const line of textLines(text)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (m) fields.set(cap(m, 1).trim(), cap(m, 2).trim());
  }
  const server = /^(\S+)(?:\s+\((.*)\))?/.exec(fields.get('Server') ?? '');
  const offset = fields.get('Offset');
  return {
    synchronized: null,
    source: bounded(server?.[2] || server?.[1], 256),
    offsetSeconds: offset === undefined ? null : parseDurationSeconds(offset),
  };
}

export interface TimeSyncGroup {
  synchronized: boolean | null;
  service: string | null;
  source: string | null;
  offsetSeconds: number | null;
  reason: string | null;
}

export const TIME_PATHS = {
  timesyncd: ['/usr/lib/systemd/systemd-timesyncd', '/lib/systemd/systemd-timesyncd'],
};

export async function readLinuxTimeSync(h: LinuxSecurityHost): Promise<TimeSyncGroup> {
  const reasons: string[] = [];
  let state: TimedatectlState | null = null;
  const timedatectl = await h.locate('timedatectl');
  if (timedatectl !== null) {
    const show = await h.run(timedatectl, ['show']);
    // systemd before 239 has no "show": "Unknown operation show"
    const noShow =
      show.kind === 'done' && /unknown (operation|command verb)/i.test(show.result.stderr);
    if (succeeded(show)) state = timedatectlFromShow(parseTimedatectlShow(show.result.stdout));
    else if (noShow) {
      const status = await h.run(timedatectl, ['status']);
      if (succeeded(status)) state = parseTimedatectlStatus(status.result.stdout);
      else reasons.push(failureReason(status));
    } else reasons.push(failureReason(show));
  }

  let service: string | null = null;
  let reading: DaemonReading | null = null;
  const chronyc = await h.locate('chronyc');
  if (chronyc !== null) {
    const ran = await h.run(chronyc, ['-n', 'tracking']);
    reading = succeeded(ran) ? parseChronycTracking(ran.result.stdout) : null;
    if (reading !== null) service = 'chronyd';
    else reasons.push(`chronyd: ${failureReason(ran)}`);
  }
  const ntpq = service === null ? await h.locate('ntpq') : null;
  if (ntpq !== null) {
    const ran = await h.run(ntpq, ['-pn']);
    reading = succeeded(ran) ? parseNtpqPeers(ran.result.stdout) : null;
    if (reading !== null) service = 'ntpd';
    else reasons.push(`ntpd: ${failureReason(ran)}`);
  }
  if (service === null && timedatectl !== null && state !== null && state.ntpEnabled === true) {
    let timesyncd = state.timesyncd;
    for (const path of TIME_PATHS.timesyncd) timesyncd ||= await h.exists(path);
    if (timesyncd) {
      service = 'systemd-timesyncd';
      const ran = await h.run(timedatectl, ['timesync-status']);
      if (succeeded(ran)) reading = parseTimesyncStatus(ran.result.stdout);
    }
  }

  const synchronized = state?.synchronized ?? reading?.synchronized ?? null;
  if (timedatectl === null && chronyc === null && ntpq === null)
    reasons.push('none of timedatectl, chronyc or ntpq is installed');
  // with NTP switched off, "no service" is the answer, not a gap
  const known = synchronized !== null && (service !== null || state?.ntpEnabled === false);
  return {
    synchronized,
    service,
    source: reading?.source ?? null,
    offsetSeconds: reading?.offsetSeconds ?? null,
    reason: known
      ? null
      : (joinReasons(reasons) ?? 'no time service answered (chronyd, ntpd, systemd-timesyncd)'),
  };
}
