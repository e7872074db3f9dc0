// Installed software on Windows: what Programs and Features lists for the whole machine.
//
// Platform: Windows (Windows PowerShell 5.1, present on every supported Windows).
// Runs: `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command <script>`
//   (UNINSTALL_SCRIPT, through the same powershellPath as the patches collector) which opens
//   HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall in the 64-bit registry view
//   and in the 32-bit view (what a 64-bit process sees as ...\WOW6432Node\...) with
//   RegistryKey.OpenBaseKey, so the views are read explicitly whatever the bitness of the
//   process, and prints ONE JSON document: per view, every subkey's name with DisplayName,
//   DisplayVersion, Publisher, InstallDate, SystemComponent, ParentKeyName, ReleaseType and
//   WindowsInstaller. On 32-bit Windows there is one view, reported as the 32-bit one.
// Time: PowerShell starts in about a second; reading a few hundred keys takes well under one.
// Privileges: none; the Uninstall keys are readable by every user. As SYSTEM (the service)
//   the same.
//
// Sources:
//   registry-64, registry-32: the entries of each view.
//   msi: per-machine Windows Installer products, i.e. the entries of either view with
//     WindowsInstaller = 1, which Windows Installer writes for every product it registers
//     per machine. They are reported as source 'msi' INSTEAD of their view's source (each
//     entry has exactly one source). Win32_Product is NOT used: enumerating it makes
//     Windows Installer verify, and repair, every MSI product (event 1035 floods, minutes
//     of work, sometimes a repair that resets configuration). A GUID key name alone is not
//     taken as "MSI": InstallShield and other EXE installers use GUID key names too.
//   If one view could not be read, msi is incomplete and reported as failed too.
// Which entries count (as Programs and Features shows them; the rules are those published
//   by the author of Fast Software Audit, "How Add/Remove Programs works", Spiceworks): an
//   entry needs a DisplayName; SystemComponent = 1 (hidden on purpose, e.g. the VC++ runtime
//   parts), a ParentKeyName (an update of another product) or a ReleaseType of Security
//   Update / Update Rollup / Hotfix are skipped. Not applied: the check that an MSI entry's
//   product is also registered with Windows Installer, and hiding non-MSI entries that lack
//   an UninstallString: a stale entry listed is better than a real product missed.
// Fields: name = DisplayName, version = DisplayVersion, publisher = Publisher,
//   installedAt = InstallDate ('yyyyMMdd', the day of install or last repair/patch, taken as
//   midnight UTC; anything else is null). arch is null: the view is not the architecture
//   (64-bit Chrome and Edge register in the 32-bit view), and the source name already says
//   which view an entry came from.
// Not read: per-user installs (HKCU/HKU ...\Uninstall: as SYSTEM, HKCU is SYSTEM's own) and
//   Store/MSIX apps.
//
// NOT verified on a real Windows machine: none was available when this was written. The
// parser is tested on documents shaped after the script and filled with values from a real
// Get-ItemProperty ...\Uninstall\* capture (fixtures/software/SOURCES.md).
import type { SoftwareItem } from '@vcio/shared';
import { powershellArgs, powershellPath } from '../patches/windows.js';
import type { CollectContext } from '../types.js';
import { runSourceCommand } from './command.js';
import { assembleRead, failedOutcome, softwareItem, type SourceOutcome } from './entries.js';
import type { SoftwareRead } from './read.js';
import { asArray, parseJsonObject, record } from '../json-document.js';

export const WINDOWS_SOFTWARE_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

export const UNINSTALL_KEY = 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall';

// One line of statements joined by '; ', no double quotes and no '#' comments, for the same
// reasons as the patches script (patches/windows.ts): it travels as one -Command argument.
// - Val turns any registry value into text: DWORDs ('1'), REG_MULTI_SZ (joined), strings.
// - Each subkey has its own try: one unreadable key is counted (Unreadable), not fatal.
// - @(...) keeps one-element lists as arrays; the parser accepts a lone object anyway.
const SCRIPT_STATEMENTS = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8',
  "function Val($k, $n) { $x = $k.GetValue($n); if ($null -eq $x) { $null } elseif ($x -is [array]) { ($x | ForEach-Object { [string]$_ }) -join ' ' } else { [string]$x } }",
  '$is64 = [Environment]::Is64BitOperatingSystem',
  "$views = if ($is64) { @('Registry64', 'Registry32') } else { @('Registry32') }",
  '$r = [ordered]@{ Is64BitOperatingSystem = $is64; Views = @(foreach ($view in $views) { ' +
    '$out = [ordered]@{ View = $view; Error = $null; Unreadable = 0; Entries = @() }; ' +
    "try { $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', $view); $key = $base.OpenSubKey('" +
    UNINSTALL_KEY +
    "'); " +
    'if ($null -ne $key) { $out.Entries = @(foreach ($name in $key.GetSubKeyNames()) { try { $k = $key.OpenSubKey($name); if ($null -ne $k) { ' +
    "[ordered]@{ KeyName = $name; DisplayName = (Val $k 'DisplayName'); DisplayVersion = (Val $k 'DisplayVersion'); Publisher = (Val $k 'Publisher'); " +
    "InstallDate = (Val $k 'InstallDate'); SystemComponent = (Val $k 'SystemComponent'); ParentKeyName = (Val $k 'ParentKeyName'); " +
    "ReleaseType = (Val $k 'ReleaseType'); WindowsInstaller = (Val $k 'WindowsInstaller') }; $k.Close() } } catch { $out['Unreadable'] += 1 } }); $key.Close() } " +
    '} catch { $out.Error = $_.Exception.Message }; $out }) }',
  '$r | ConvertTo-Json -Depth 6 -Compress',
];

export const UNINSTALL_SCRIPT = SCRIPT_STATEMENTS.join('; ');

// ---------------------------------------------------------------------------------------
// Pure parsing

export type RegistryView = 'Registry64' | 'Registry32';

export const VIEW_SOURCE: Readonly<Record<RegistryView, string>> = {
  Registry64: 'registry-64',
  Registry32: 'registry-32',
};

/** One Uninstall subkey as the script printed it (every value as text, or null). */
export interface UninstallEntry {
  keyName: string | null;
  displayName: string | null;
  displayVersion: string | null;
  publisher: string | null;
  installDate: string | null;
  systemComponent: string | null;
  parentKeyName: string | null;
  releaseType: string | null;
  windowsInstaller: string | null;
}

export interface UninstallViewScan {
  view: RegistryView;
  /** why the view could not be read; null when it was */
  error: string | null;
  unreadable: number;
  entries: UninstallEntry[];
}

export interface UninstallScan {
  /** null when the document does not say */
  is64BitOperatingSystem: boolean | null;
  views: UninstallViewScan[];
}

function text(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function toEntry(value: unknown): UninstallEntry {
  const e = record(value);
  return {
    keyName: text(e.KeyName),
    displayName: text(e.DisplayName),
    displayVersion: text(e.DisplayVersion),
    publisher: text(e.Publisher),
    installDate: text(e.InstallDate),
    systemComponent: text(e.SystemComponent),
    parentKeyName: text(e.ParentKeyName),
    releaseType: text(e.ReleaseType),
    windowsInstaller: text(e.WindowsInstaller),
  };
}

/**
 * The JSON document UNINSTALL_SCRIPT prints. Throws when the text is not such a document
 * (empty, not JSON, null): the caller reports every source as failed.
 */
export function parseUninstallJson(output: string): UninstallScan {
  const r = parseJsonObject(output, 'the Uninstall registry script');
  const views: UninstallViewScan[] = [];
  for (const v of asArray(r.Views)) {
    const view = record(v);
    if (view.View !== 'Registry64' && view.View !== 'Registry32') continue;
    views.push({
      view: view.View,
      error: text(view.Error),
      unreadable: typeof view.Unreadable === 'number' ? view.Unreadable : 0,
      entries: asArray(view.Entries).map(toEntry),
    });
  }
  return {
    is64BitOperatingSystem:
      typeof r.Is64BitOperatingSystem === 'boolean' ? r.Is64BitOperatingSystem : null,
    views,
  };
}

const isOne = (value: string | null): boolean => value !== null && Number(value.trim()) === 1;

const HIDDEN_RELEASE_TYPES = new Set(['security update', 'update rollup', 'hotfix']);

/** Whether Programs and Features would list the entry (see the header for the rules). */
export function shownInProgramsAndFeatures(entry: UninstallEntry): boolean {
  if (entry.displayName === null || entry.displayName.trim() === '') return false;
  if (isOne(entry.systemComponent)) return false;
  if (entry.parentKeyName !== null && entry.parentKeyName.trim() !== '') return false;
  if (
    entry.releaseType !== null &&
    HIDDEN_RELEASE_TYPES.has(entry.releaseType.trim().toLowerCase())
  )
    return false;
  return true;
}

/** Per-machine Windows Installer product: Windows Installer sets WindowsInstaller = 1. */
export function isMsiProduct(entry: UninstallEntry): boolean {
  return isOne(entry.windowsInstaller);
}

/**
 * InstallDate 'yyyyMMdd' to midnight UTC (the registry keeps a day, not an instant, in no
 * time zone), or null for anything else: an empty value, '2021-05-26', a day that does not
 * exist ('20210231'), a year before 1980 or after 2100.
 */
export function installDateToIso(value: string | null): string | null {
  const m = /^\s*(\d{4})(\d{2})(\d{2})\s*$/.exec(value ?? '');
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1980 || year > 2100) return null;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString();
}

function toItem(source: string, entry: UninstallEntry): SoftwareItem | null {
  return softwareItem(source, {
    name: entry.displayName,
    version: entry.displayVersion,
    publisher: entry.publisher,
    installedAt: installDateToIso(entry.installDate),
    arch: null,
  });
}

/** The three sources' outcomes from one scan; statuses: registry-64, registry-32, msi. */
export function windowsSoftwareOutcomes(scan: UninstallScan): SourceOutcome[] {
  const expected: RegistryView[] =
    scan.is64BitOperatingSystem === false ? ['Registry32'] : ['Registry64', 'Registry32'];
  const outcomes: SourceOutcome[] = [];
  const msi: SoftwareItem[] = [];
  const incomplete: string[] = [];
  for (const viewName of expected) {
    const source = VIEW_SOURCE[viewName];
    const view = scan.views.find((v) => v.view === viewName);
    const error =
      view === undefined
        ? `the Uninstall registry script did not report the ${viewName} view`
        : view.error === null
          ? null
          : `HKLM\\${UNINSTALL_KEY} (${viewName}) could not be read: ${view.error}`;
    if (view === undefined || error !== null) {
      outcomes.push(failedOutcome(source, error!));
      incomplete.push(viewName);
      continue;
    }
    const items: SoftwareItem[] = [];
    for (const entry of view.entries) {
      if (!shownInProgramsAndFeatures(entry)) continue;
      const item = toItem(isMsiProduct(entry) ? 'msi' : source, entry);
      if (item === null) continue;
      (item.source === 'msi' ? msi : items).push(item);
    }
    outcomes.push({ source, items });
  }
  outcomes.push(
    incomplete.length > 0
      ? failedOutcome(
          'msi',
          `incomplete: the ${incomplete.join(' and ')} registry view could not be read`,
        )
      : { source: 'msi', items: msi },
  );
  return outcomes;
}

// ---------------------------------------------------------------------------------------
// Reading

const ALL_SOURCES = ['registry-64', 'registry-32', 'msi'];

export async function readWindowsSoftware(ctx: CollectContext): Promise<SoftwareRead> {
  const file = powershellPath(ctx.host.env);
  const outcome = await runSourceCommand(ctx, file, powershellArgs(UNINSTALL_SCRIPT), {
    timeoutMs: WINDOWS_SOFTWARE_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    // The script is long: name the command by its file only.
    shownArgs: ['-Command', '<script>'],
  });
  const failAll = (error: string): SoftwareRead => {
    ctx.logger.warn({ error }, 'software: Uninstall registry keys not read');
    return assembleRead(ALL_SOURCES.map((s) => failedOutcome(s, error)));
  };
  // On Windows a missing powershell.exe is a broken machine, not an absent source.
  if ('error' in outcome) return failAll(outcome.error);
  let scan: UninstallScan;
  try {
    scan = parseUninstallJson(outcome.stdout);
  } catch (err) {
    return failAll((err as Error).message);
  }
  for (const view of scan.views) {
    if (view.unreadable > 0)
      ctx.logger.warn(
        { view: view.view, unreadable: view.unreadable },
        'software: some Uninstall subkeys could not be opened',
      );
  }
  return assembleRead(windowsSoftwareOutcomes(scan));
}
