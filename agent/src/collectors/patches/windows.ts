// Patches on Windows: what Windows Update offers and has not installed, whether a reboot is
// pending, and when updates were last installed.
//
// Platform: Windows (Windows PowerShell 5.1, present on every supported Windows; PowerShell
//   7 is not needed). The PSWindowsUpdate module is NOT used: it is rarely installed.
// Runs: `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command <script>`
//   (WINDOWS_UPDATE_SCRIPT) which uses the Windows Update Agent COM API directly
//   (Microsoft.Update.Session -> CreateUpdateSearcher().Search('IsInstalled=0 and
//   IsHidden=0'), QueryHistory), Get-HotFix, and three pending-reboot registry checks, and
//   prints ONE JSON document. Only when that document gives no last-install time, a second
//   `powershell.exe ... -Command Get-HotFix | Format-Table` is read as the fallback.
// Time: the search asks the update server (WSUS or Microsoft Update) and commonly takes
//   30 s to several minutes, longer on a machine that has not searched for a while; the
//   timeout is 10 minutes. PowerShell itself starts in about a second.
// Privileges: none. Searching for updates, reading the history, Get-HotFix and the reboot
//   keys all work as a standard user; as SYSTEM (the service) they work the same. The
//   search fails when the Windows Update service (wuauserv) is disabled: that is reported
//   as a failed source (ok: false) with the COM error, never as "0 pending".
//
// Reading (collectWindowsPatches, with an injectable runner) is separate from parsing
// (parseWindowsUpdateJson, parseGetHotFixTable, parsePsWindowsUpdateTable: pure).
//
// NOT verified on a real Windows machine: no Windows host was available when this was
// written. The JSON parser is tested on documents shaped after the script and filled with
// values from real Get-WindowsUpdate captures; the table parsers on real captures.
import { win32 } from 'node:path';
import type { PatchesSection, PatchSeverity, PatchSource, PendingUpdate } from '@vcio/shared';
import { commandFailure, type CommandResult, type CommandRunner } from '../../exec.js';
import { liveHost, type HostAccess } from '../../host.js';
import { asArray, parseJsonObject, record } from '../json-document.js';
import type { CollectContext } from '../types.js';
import { secondsBetween, unansweredSource } from './source.js';

export interface WindowsPatchDeps {
  run: CommandRunner;
  env: NodeJS.ProcessEnv;
  now(): Date;
}

export function windowsPatchDeps(host: HostAccess): WindowsPatchDeps {
  return { run: host.run, env: host.env, now: () => host.now() };
}

export const defaultWindowsPatchDeps: WindowsPatchDeps = windowsPatchDeps(liveHost);

export const WINDOWS_UPDATE_TIMEOUT_MS = 600_000;
export const GET_HOTFIX_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const MAX_PENDING = 2000;

/** The registry locations that mean "a reboot is pending", as reported in rebootReasons. */
export const REBOOT_KEYS = {
  CBS: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending',
  WindowsUpdate:
    'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired',
  PendingFileRename:
    'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\PendingFileRenameOperations',
} as const;

// The script is one line of statements joined by '; ' and uses no double quotes: it travels
// as a single command-line argument, and powershell.exe's own re-parsing of -Command
// arguments mangles embedded double quotes and can drop line breaks. No '#' comments for
// the same reason (one line: a comment would swallow the rest).
// - Output is UTF-8, so localized update titles survive the console code page.
// - Dates are written as ISO 8601 by the script itself: Windows PowerShell 5.1 would write
//   DateTime as '/Date(ms)/' and PowerShell 7 as a local-time ISO string. WUA dates are
//   UTC (SpecifyKind); Get-HotFix's InstalledOn is a local date (ToUniversalTime).
// - Each part has its own try: a failed search still reports the reboot state.
// - -Depth 6: the document nests Updates -> update -> Categories -> category (4 levels
//   below the top); anything deeper than -Depth would be flattened to a type name.
const SCRIPT_STATEMENTS = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8',
  'function Iso($d, $utc) { if ($d -is [datetime] -and $d.Year -gt 1601) { if ($utc) { [datetime]::SpecifyKind($d, ' +
    "'Utc').ToString('o') } else { $d.ToUniversalTime().ToString('o') } } else { $null } }",
  '$r = [ordered]@{ SearchError = $null; Updates = @(); HistoryError = $null; LastHistoryInstall = $null; LastHotFix = $null; RebootPending = [ordered]@{ CBS = $null; WindowsUpdate = $null; PendingFileRename = $null } }',
  "try { $searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); $found = $searcher.Search('IsInstalled=0 and IsHidden=0'); " +
    '$r.Updates = @(foreach ($u in $found.Updates) { [ordered]@{ Title = $u.Title; KBArticleIDs = @(foreach ($k in $u.KBArticleIDs) { [string]$k }); MsrcSeverity = $u.MsrcSeverity; ' +
    'Categories = @(foreach ($c in $u.Categories) { [ordered]@{ Name = $c.Name; Type = $c.Type } }); RebootRequired = $u.RebootRequired; RebootBehavior = $u.InstallationBehavior.RebootBehavior; ' +
    'LastDeploymentChangeTime = (Iso $u.LastDeploymentChangeTime $true) } }) } catch { $r.SearchError = $_.Exception.Message }',
  'try { $history = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); $n = $history.GetTotalHistoryCount(); if ($n -gt 0) { ' +
    '$last = $history.QueryHistory(0, [math]::Min($n, 500)) | Where-Object { $_.ResultCode -eq 2 -and $_.Operation -eq 1 } | Sort-Object Date -Descending | Select-Object -First 1; ' +
    'if ($last) { $r.LastHistoryInstall = (Iso $last.Date $true) } } } catch { $r.HistoryError = $_.Exception.Message }',
  'try { $hotfix = Get-HotFix | Where-Object { $_.InstalledOn } | Sort-Object InstalledOn -Descending | Select-Object -First 1; if ($hotfix) { $r.LastHotFix = (Iso $hotfix.InstalledOn $false) } } catch { }',
  "try { $r.RebootPending.CBS = Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending' } catch { }",
  "try { $r.RebootPending.WindowsUpdate = Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired' } catch { }",
  "try { $r.RebootPending.PendingFileRename = $null -ne (Get-ItemProperty -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue) } catch { }",
  '$r | ConvertTo-Json -Depth 6 -Compress',
];

export const WINDOWS_UPDATE_SCRIPT = SCRIPT_STATEMENTS.join('; ');

/**
 * Get-HotFix as the default table, widened so no column is cut, with en-US dates
 * (M/d/yyyy h:mm:ss tt) so parseGetHotFixTable can read InstalledOn whatever the locale.
 */
export const GET_HOTFIX_SCRIPT =
  "[System.Threading.Thread]::CurrentThread.CurrentCulture = 'en-US'; Get-HotFix | Format-Table -AutoSize | Out-String -Width 4096";

export function powershellArgs(script: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script];
}

/**
 * Windows PowerShell by its full path, so a powershell.exe earlier on PATH cannot stand in.
 * A 32-bit agent on 64-bit Windows goes through Sysnative: System32 would be redirected to
 * the 32-bit PowerShell, whose registry view hides the 64-bit reboot keys.
 */
export function powershellPath(env: NodeJS.ProcessEnv): string {
  const root = env.SystemRoot || env.windir || 'C:\\Windows';
  const system = env.PROCESSOR_ARCHITEW6432 ? 'Sysnative' : 'System32';
  return win32.join(root, system, 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

// ---------------------------------------------------------------------------------------
// Pure parsing

export interface WindowsUpdateScan {
  pending: PendingUpdate[];
  /** the COM search's error; null when the search answered (even with nothing pending) */
  searchError: string | null;
  /** true: a reboot key is set; false: all three were read and none is; null: unknown */
  rebootRequired: boolean | null;
  rebootReasons: string[];
  /** latest of the last successful install in the update history and Get-HotFix */
  lastInstallAt: string | null;
}

const MSRC_SEVERITIES: Readonly<Record<string, PatchSeverity>> = {
  critical: 'critical',
  important: 'important',
  moderate: 'moderate',
  low: 'low',
};

/** MSRC severity to the contract's: empty/absent null, an unknown word 'unspecified'. */
export function normaliseMsrcSeverity(value: unknown): PatchSeverity | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  return MSRC_SEVERITIES[value.trim().toLowerCase()] ?? 'unspecified';
}

/**
 * A date as PowerShell's ConvertTo-Json may write it, to ISO 8601 UTC, or null:
 * '/Date(1700000000000)/' (Windows PowerShell 5.1, also with a '+0100' suffix, which does
 * not change the instant), ISO strings (PowerShell 7, or this script), or the
 * { value: ..., DateTime: ... } object 5.1 writes for a DateTime carrying note properties.
 * Dates before 1602 are WUA's and WMI's "no date" and become null.
 */
export function psDateToIso(value: unknown): string | null {
  if (value !== null && typeof value === 'object' && 'value' in value)
    return psDateToIso((value as { value: unknown }).value);
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  const msDate = /^\\?\/Date\((-?\d+)(?:[+-]\d{4})?\)\\?\/$/.exec(text);
  const time = msDate ? Number(msDate[1]) : Date.parse(text);
  if (!Number.isFinite(time)) return null;
  const date = new Date(time);
  if (date.getUTCFullYear() < 1602) return null;
  return date.toISOString();
}

function str(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** WUA's update classifications, for categories that come without their Type. */
const CLASSIFICATIONS = new Set(
  [
    'Security Updates',
    'Critical Updates',
    'Definition Updates',
    'Updates',
    'Update Rollups',
    'Feature Packs',
    'Service Packs',
    'Tools',
    'Drivers',
    'Upgrades',
    'Applications',
  ].map((c) => c.toLowerCase()),
);

/** The category whose Type is UpdateClassification (the others are products). */
function classificationOf(categories: unknown): string | null {
  const all = asArray(categories);
  for (const c of all) {
    const cat = record(c);
    if (str(cat.Type)?.toLowerCase() === 'updateclassification') return str(cat.Name);
  }
  for (const c of all) {
    const name = typeof c === 'string' ? str(c) : str(record(c).Name);
    if (name !== null && CLASSIFICATIONS.has(name.toLowerCase())) return name;
  }
  return null;
}

/**
 * InstallationBehavior.RebootBehavior: 0 never reboots, 1 always requires a reboot, 2 can
 * request one (WUA only knows after installing: unknown). RebootRequired true wins.
 */
function restartOf(update: Record<string, unknown>): boolean | null {
  if (update.RebootRequired === true) return true;
  switch (update.RebootBehavior) {
    case 0:
      return false;
    case 1:
      return true;
    default:
      return null;
  }
}

function kbOf(ids: unknown): string | null {
  for (const id of asArray(ids)) {
    const digits = str(id)?.replace(/^KB/i, '');
    if (digits && /^\d+$/.test(digits)) return `KB${digits}`;
  }
  return null;
}

function toPendingUpdate(value: unknown): PendingUpdate | null {
  const u = record(value);
  const title = str(u.Title);
  if (title === null) return null;
  const classification = classificationOf(u.Categories);
  return {
    name: title.slice(0, 512),
    kb: kbOf(u.KBArticleIDs),
    currentVersion: null,
    availableVersion: null,
    security: classification === null ? null : /security/i.test(classification),
    severity: normaliseMsrcSeverity(u.MsrcSeverity),
    classification: classification?.slice(0, 128) ?? null,
    advisories: [],
    restartRequired: restartOf(u),
    releasedAt: psDateToIso(u.LastDeploymentChangeTime),
  };
}

function latest(dates: (string | null)[]): string | null {
  const known = dates.filter((d): d is string => d !== null);
  if (known.length === 0) return null;
  return known.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

/**
 * The JSON document WINDOWS_UPDATE_SCRIPT prints. Throws when the text is not such a
 * document (empty, not JSON): the caller reports that as a failed source.
 */
export function parseWindowsUpdateJson(text: string): WindowsUpdateScan {
  const r = parseJsonObject(text, 'the Windows Update script');

  const pending = asArray(r.Updates)
    .map(toPendingUpdate)
    .filter((u): u is PendingUpdate => u !== null);

  const checks = record(r.RebootPending);
  const rebootReasons: string[] = [];
  let allReadFalse = true;
  for (const key of Object.keys(REBOOT_KEYS) as (keyof typeof REBOOT_KEYS)[]) {
    const value = checks[key];
    if (value === true) rebootReasons.push(REBOOT_KEYS[key]);
    if (value !== false) allReadFalse = false;
  }
  const rebootRequired = rebootReasons.length > 0 ? true : allReadFalse ? false : null;

  return {
    pending,
    searchError: str(r.SearchError),
    rebootRequired,
    rebootReasons,
    lastInstallAt: latest([psDateToIso(r.LastHistoryInstall), psDateToIso(r.LastHotFix)]),
  };
}

export interface HotFix {
  /** as shown: the default table cuts long values with '...' (e.g. 'KB2899189_...') */
  hotFixId: string;
  description: string | null;
  installedBy: string | null;
  installedOn: string | null;
}

export interface HotFixList {
  hotfixes: HotFix[];
  /** the ids that are whole KB numbers, e.g. 'KB4013418' */
  kbs: string[];
  lastInstalledOn: string | null;
}

/**
 * en-US 'M/d/yyyy h:mm:ss AM' to ISO, or null for anything else. The AM/PM is required:
 * it is what tells an en-US date from a day-first one ('3/9/2021 00:00:00' in en-GB is
 * 3 September), which is read as unknown rather than risk swapping day and month.
 * Get-HotFix only knows the day, so the time is midnight; the machine's time zone is not
 * known here, so it is taken as UTC (the date is right, the instant may be off by the
 * zone offset).
 */
export function usDateTimeToIso(text: string): string | null {
  const m = /(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})\s*(AM|PM)\s*$/i.exec(text);
  if (!m) return null;
  const [month, day, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let hour = Number(m[4]);
  const pm = m[7]!.toUpperCase() === 'PM';
  if (hour < 1 || hour > 12) return null;
  if (hour === 12) hour = 0;
  if (pm) hour += 12;
  const date = new Date(Date.UTC(year, month - 1, day, hour, Number(m[5]), Number(m[6])));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString();
}

function blankToNull(text: string | undefined): string | null {
  const t = (text ?? '').trim();
  return t === '' ? null : t;
}

/**
 * The default `Get-HotFix` table (Source, Description, HotFixID, InstalledBy, InstalledOn).
 * Columns are cut at the header's positions, since Description ('Security Update') and
 * InstalledBy ('NT AUTHORITY\SYSTEM') hold spaces and InstalledBy may be empty; InstalledOn
 * is read from the end of the line. Lines that are not rows (blank, '[... trimmed ...]')
 * have no HotFixID and are skipped.
 */
export function parseGetHotFixTable(text: string): HotFixList {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) =>
    /^\s*Source\s+Description\s+HotFixID\s+InstalledBy\s+InstalledOn\s*$/.test(l),
  );
  const hotfixes: HotFix[] = [];
  if (headerAt >= 0) {
    const header = lines[headerAt]!;
    const col = (name: string): number => header.indexOf(name);
    const [description, id, by, on] = [
      col('Description'),
      col('HotFixID'),
      col('InstalledBy'),
      col('InstalledOn'),
    ];
    for (const line of lines.slice(headerAt + 1)) {
      if (/^\s*-+\s+-+/.test(line)) continue; // the dashes under the header
      const hotFixId = blankToNull(line.slice(id, by));
      if (hotFixId === null || /\s/.test(hotFixId)) continue;
      hotfixes.push({
        hotFixId,
        description: blankToNull(line.slice(description, id)),
        installedBy: blankToNull(line.slice(by, on)),
        installedOn: usDateTimeToIso(line.slice(on)),
      });
    }
  }
  return {
    hotfixes,
    kbs: hotfixes.map((h) => h.hotFixId).filter((h) => /^KB\d+$/i.test(h)),
    lastInstalledOn: latest(hotfixes.map((h) => h.installedOn)),
  };
}

export interface PsWindowsUpdateRow {
  computerName: string;
  /** PSWindowsUpdate's flag string, e.g. '-------' or '-DI----' */
  status: string;
  kb: string | null;
  size: string;
  /** as shown; PowerShell cuts long titles with '...' or '…' */
  title: string;
}

/**
 * PSWindowsUpdate `Get-WindowsUpdate` table output (ComputerName Status KB Size Title), as
 * a technician may paste it. Rows are read by shape, not by column position: the KB column
 * is empty for drivers and non-KB products, and pasted/censored output loses its alignment.
 * The status is 7 flag characters; with `-IsInstalled` the rows are installed updates (the
 * third flag 'I'), so callers must not count those as pending.
 */
export function parsePsWindowsUpdateTable(text: string): PsWindowsUpdateRow[] {
  const rows: PsWindowsUpdateRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m =
      /^(\S+)\s+([-A-Z]{7})\s+(?:(KB\d+)\s+)?(\d+(?:[.,]\d+)?\s?[KMGT]?B)\s+(\S.*?)\s*$/.exec(line);
    if (!m) continue;
    rows.push({
      computerName: m[1]!,
      status: m[2]!,
      kb: m[3] ?? null,
      size: m[4]!,
      title: m[5]!,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// Reading

function failedSource(
  checkedAt: Date,
  deps: WindowsPatchDeps,
  error: string,
  lastInstallAt: string | null,
): PatchSource {
  return unansweredSource('windows-update', checkedAt, deps.now(), error, lastInstallAt);
}

const elapsed = (since: Date, deps: WindowsPatchDeps): number => secondsBetween(since, deps.now());

/** Runs a PowerShell script; the failure in one line, or its stdout. */
async function runPowerShell(
  deps: WindowsPatchDeps,
  script: string,
  timeoutMs: number,
): Promise<{ stdout: string } | { error: string }> {
  const file = powershellPath(deps.env);
  const args = powershellArgs(script);
  let result: CommandResult;
  try {
    result = await deps.run(file, args, { timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
  } catch (err) {
    return { error: (err as Error).message };
  }
  // The script is long: name the command by its file only, not the whole script.
  const failure = commandFailure(file, ['-Command', '<script>'], result);
  if (failure) return { error: failure };
  if (result.truncated) return { error: `output of '${file}' went past ${MAX_OUTPUT_BYTES} bytes` };
  return { stdout: result.stdout };
}

/** The Get-HotFix fallback for the last install time: null when it cannot tell. */
async function lastHotFixInstall(
  deps: WindowsPatchDeps,
  ctx: CollectContext,
): Promise<string | null> {
  const read = await runPowerShell(deps, GET_HOTFIX_SCRIPT, GET_HOTFIX_TIMEOUT_MS);
  if ('error' in read) {
    ctx.logger.warn({ error: read.error }, 'patches: Get-HotFix fallback failed');
    return null;
  }
  return parseGetHotFixTable(read.stdout).lastInstalledOn;
}

export async function collectWindowsPatches(
  ctx: CollectContext,
  deps: WindowsPatchDeps = defaultWindowsPatchDeps,
): Promise<PatchesSection> {
  const checkedAt = deps.now();
  const read = await runPowerShell(deps, WINDOWS_UPDATE_SCRIPT, WINDOWS_UPDATE_TIMEOUT_MS);
  let scan: WindowsUpdateScan;
  try {
    if ('error' in read) throw new Error(read.error);
    scan = parseWindowsUpdateJson(read.stdout);
  } catch (err) {
    const error = `Windows Update search failed: ${(err as Error).message}`;
    ctx.logger.warn({ error }, 'patches: Windows Update could not be read');
    const lastInstallAt = await lastHotFixInstall(deps, ctx);
    return {
      sources: [failedSource(checkedAt, deps, error, lastInstallAt)],
      rebootRequired: null,
      rebootReasons: [],
    };
  }
  const lastInstallAt = scan.lastInstallAt ?? (await lastHotFixInstall(deps, ctx));
  const reboot = { rebootRequired: scan.rebootRequired, rebootReasons: scan.rebootReasons };
  if (scan.searchError !== null) {
    // e.g. 0x80070422 when wuauserv is disabled: unknown, not "nothing pending".
    const error = `Windows Update search failed: ${scan.searchError}`;
    ctx.logger.warn({ error }, 'patches: Windows Update search failed');
    return { sources: [failedSource(checkedAt, deps, error, lastInstallAt)], ...reboot };
  }
  return {
    sources: [
      {
        manager: 'windows-update',
        checkedAt: checkedAt.toISOString(),
        durationSeconds: elapsed(checkedAt, deps),
        ok: true,
        error: null,
        pending: scan.pending.slice(0, MAX_PENDING),
        pendingCount: scan.pending.length,
        securityCount: scan.pending.filter((u) => u.security === true).length,
        lastInstallAt,
      },
    ],
    ...reboot,
  };
}
