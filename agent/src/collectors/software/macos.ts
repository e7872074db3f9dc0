// Installed software on macOS: applications, installer package receipts, and Homebrew.
//
// Platform: macOS (system_profiler -json exists since 10.15; older systems fail that source).
// Runs (argument arrays, no shell; the three sources at once):
//   macos-app: /usr/sbin/system_profiler -json SPApplicationsDataType      (timeout 180 s)
//   pkgutil:   /usr/sbin/pkgutil --pkgs                                     (timeout 30 s)
//              then /usr/sbin/pkgutil --pkg-info <id> for at most MAX_PKG_INFO receipts,
//              PKG_INFO_CONCURRENCY at a time, 10 s each, none started after
//              PKG_INFO_BUDGET_MS (see below)
//   homebrew:  <prefix>/bin/brew info --json=v2 --installed for each of /opt/homebrew
//              (Apple silicon) and /usr/local (Intel) whose brew exists    (timeout 120 s)
//              with HOMEBREW_NO_AUTO_UPDATE=1, HOMEBREW_NO_ANALYTICS=1, HOMEBREW_NO_ENV_HINTS=1.
// Time: system_profiler asks Spotlight for every application bundle: a few seconds to a
//   minute on a Mac with many apps. pkgutil answers in milliseconds per call. brew info
//   takes a few seconds (Ruby start, reading every installed keg's receipt).
// Privileges: none for system_profiler and pkgutil. Homebrew REFUSES to run as root
//   ("Running Homebrew as root is extremely dangerous and no longer supported."), and the
//   agent runs as root under launchd: there the homebrew source is reported as failed with
//   brew's own message. Running brew as the owner of the prefix (sudo -u) is not done: it
//   would run another user's code with their environment from a root service.
//
// Fields:
//   macos-app: name = _name, version = version, installedAt = lastModified (the bundle's
//     modification time: the best install time the system keeps; an update changes it),
//     publisher = the developer named in the first signing authority ('Developer ID
//     Application: Google LLC (EQHXZ8M8AV)' -> 'Google LLC'), 'Apple' for obtained_from
//     apple, else null (Mac App Store apps are re-signed by Apple: the developer is not in
//     the signature). arch from arch_kind: arch_arm -> arm64, arch_i64 -> x86_64,
//     arch_arm_i64 -> arm64+x86_64 (universal), arch_i32 -> i386, arch_i32_i64 ->
//     i386+x86_64, arch_ios -> arm64 (an iPhone/iPad app), arch_other or absent -> null.
//   pkgutil: name = package id, version and installedAt (install-time, epoch seconds) from
//     --pkg-info; publisher and arch null. Receipts past MAX_PKG_INFO, or whose --pkg-info
//     failed, are listed with version and installedAt null. --pkg-info-plist would give the
//     same fields as XML; the text form is simpler to read. The per-receipt call is bounded
//     because it is one process per package: third-party receipts are looked up first
//     (com.apple.* are OS components), in sorted order, so the same ones get details every
//     hour.
//   homebrew: formulae: name = full_name ('jq', 'mongodb/brew/mongodb-community'), one item
//     per installed version (installed[].version, installedAt = installed[].time), publisher
//     = the tap ('homebrew/core'), arch = the prefix's (arm64 for /opt/homebrew, x86_64 for
//     /usr/local: Homebrew installs each architecture in its own prefix). Casks: name =
//     token (full_token for third-party taps), version = installed, installedAt =
//     installed_time, publisher = the tap, arch null (a cask's app has its own).
//
// NOT verified on a real Mac: none was available when this was written. system_profiler
// and pkgutil parsers are tested on published real captures; the Homebrew parser on a
// synthetic document (fixtures/software/SOURCES.md).
import type { SoftwareItem } from '@vcio/shared';
import type { CollectContext } from '../types.js';
import { runSourceCommand } from './command.js';
import {
  assembleRead,
  epochSecondsToIso,
  failedOutcome,
  isoTimestamp,
  softwareItem,
  type SourceOutcome,
} from './entries.js';
import type { SoftwareRead } from './read.js';
import { asArray, parseJsonObject, record } from '../json-document.js';

export const SYSTEM_PROFILER_PATH = '/usr/sbin/system_profiler';
export const SYSTEM_PROFILER_ARGS = ['-json', 'SPApplicationsDataType'] as const;
export const SYSTEM_PROFILER_TIMEOUT_MS = 180_000;

export const PKGUTIL_PATH = '/usr/sbin/pkgutil';
export const PKGUTIL_PKGS_ARGS = ['--pkgs'] as const;
export const PKGUTIL_TIMEOUT_MS = 30_000;
export const PKG_INFO_TIMEOUT_MS = 10_000;
export const MAX_PKG_INFO = 300;
export const PKG_INFO_CONCURRENCY = 8;
/** no --pkg-info is started after this long: the receipts left keep null details */
export const PKG_INFO_BUDGET_MS = 60_000;

export const BREW_PREFIXES = [
  { brew: '/opt/homebrew/bin/brew', arch: 'arm64' },
  { brew: '/usr/local/bin/brew', arch: 'x86_64' },
] as const;
export const BREW_INFO_ARGS = ['info', '--json=v2', '--installed'] as const;
export const BREW_TIMEOUT_MS = 120_000;
const BREW_ENV = {
  HOMEBREW_NO_AUTO_UPDATE: '1',
  HOMEBREW_NO_ANALYTICS: '1',
  HOMEBREW_NO_ENV_HINTS: '1',
};

const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Pure parsing

const ARCH_PARTS: Readonly<Record<string, string>> = {
  arm: 'arm64',
  i64: 'x86_64',
  i32: 'i386',
  ios: 'arm64',
  ppc: 'ppc',
};

/** system_profiler's arch_kind to architecture names joined by '+', or null. */
export function archFromKind(kind: unknown): string | null {
  if (typeof kind !== 'string' || !kind.startsWith('arch_')) return null;
  const parts = kind.slice('arch_'.length).split('_');
  const names = parts.map((p) => ARCH_PARTS[p]);
  if (names.length === 0 || names.some((n) => n === undefined)) return null;
  // 'i32_i64' reads as i386+x86_64, 'arm_i64' as arm64+x86_64: the order system_profiler uses.
  return [...new Set(names)].join('+');
}

/** Certificate kinds whose common name is '<kind>: <developer> (<team id>)'. */
const DEVELOPER_CERT =
  /^(?:Developer ID Application|Developer ID Installer|Apple Development|Apple Distribution|Mac Developer|3rd Party Mac Developer Application):\s*(.+?)(?:\s*\([A-Z0-9]{10}\))?\s*$/;

/** The publisher of an app from its signing chain and origin (see the header). */
export function appPublisher(signedBy: unknown, obtainedFrom: unknown): string | null {
  const first = asArray(signedBy).find((s): s is string => typeof s === 'string');
  const m = first === undefined ? null : DEVELOPER_CERT.exec(first.trim());
  if (m) return m[1]!;
  if (obtainedFrom === 'apple') return 'Apple';
  return null;
}

/** `system_profiler -json SPApplicationsDataType` to macos-app items. Throws on non-JSON. */
export function parseSystemProfilerApps(output: string): SoftwareItem[] {
  const doc = parseJsonObject(output, 'system_profiler');
  if (!('SPApplicationsDataType' in doc))
    throw new Error('system_profiler output has no SPApplicationsDataType');
  const items: SoftwareItem[] = [];
  for (const value of asArray(doc.SPApplicationsDataType)) {
    const app = record(value);
    const item = softwareItem('macos-app', {
      name: app._name,
      version: app.version,
      publisher: appPublisher(app.signed_by, app.obtained_from),
      installedAt: isoTimestamp(app.lastModified),
      arch: archFromKind(app.arch_kind),
    });
    if (item) items.push(item);
  }
  return items;
}

/** A receipt id pkgutil can be asked about: reverse-DNS-like, never an option. */
const PACKAGE_ID = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

/** `pkgutil --pkgs`: one package id a line. Lines that are not ids are dropped. */
export function parsePkgutilPkgs(output: string): string[] {
  const ids = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => PACKAGE_ID.test(l));
  return [...new Set(ids)].sort();
}

export interface PackageInfo {
  id: string | null;
  version: string | null;
  installedAt: string | null;
}

/** `pkgutil --pkg-info <id>`: 'package-id: ...', 'version: ...', 'install-time: <epoch>'. */
export function parsePkgInfo(output: string): PackageInfo {
  const fields = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^([a-z-]+):\s?(.*)$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!.trim());
  }
  return {
    id: fields.get('package-id') || null,
    version: fields.get('version') || null,
    installedAt: epochSecondsToIso(fields.get('install-time')),
  };
}

/** Which receipts get a --pkg-info call: third-party first, then Apple's, at most `max`. */
export function pkgInfoOrder(ids: readonly string[], max = MAX_PKG_INFO): string[] {
  const apple = (id: string): boolean => id.startsWith('com.apple.');
  return [...ids.filter((id) => !apple(id)), ...ids.filter(apple)].slice(0, max);
}

/**
 * `brew info --json=v2 --installed` to homebrew items; `arch` is the prefix's. Throws
 * when the text is not the v2 document ({ formulae: [...], casks: [...] }).
 */
export function parseBrewInfo(output: string, arch: string | null): SoftwareItem[] {
  const doc = parseJsonObject(output, 'brew info');
  if (!('formulae' in doc) && !('casks' in doc))
    throw new Error('brew info output has neither formulae nor casks');
  const items: SoftwareItem[] = [];
  for (const value of asArray(doc.formulae)) {
    const formula = record(value);
    const name = formula.full_name ?? formula.name;
    for (const kegValue of asArray(formula.installed)) {
      const keg = record(kegValue);
      const item = softwareItem('homebrew', {
        name,
        version: keg.version,
        publisher: formula.tap,
        installedAt: epochSecondsToIso(keg.time),
        arch,
      });
      if (item) items.push(item);
    }
  }
  for (const value of asArray(doc.casks)) {
    const cask = record(value);
    // Older brew wrote installed as a list of versions.
    const installed = Array.isArray(cask.installed) ? cask.installed.at(-1) : cask.installed;
    if (installed === null || installed === undefined) continue;
    const tap = typeof cask.tap === 'string' ? cask.tap : null;
    const item = softwareItem('homebrew', {
      name: tap === null || tap === 'homebrew/cask' ? cask.token : (cask.full_token ?? cask.token),
      version: installed,
      publisher: tap,
      installedAt: epochSecondsToIso(cask.installed_time),
      arch: null,
    });
    if (item) items.push(item);
  }
  return items;
}

// ---------------------------------------------------------------------------------------
// Reading

async function readApps(ctx: CollectContext): Promise<SourceOutcome> {
  const outcome = await runSourceCommand(ctx, SYSTEM_PROFILER_PATH, SYSTEM_PROFILER_ARGS, {
    timeoutMs: SYSTEM_PROFILER_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
  });
  if ('error' in outcome) return failedOutcome('macos-app', outcome.error);
  try {
    return { source: 'macos-app', items: parseSystemProfilerApps(outcome.stdout) };
  } catch (err) {
    return failedOutcome('macos-app', (err as Error).message);
  }
}

async function readReceipts(ctx: CollectContext): Promise<SourceOutcome> {
  const listed = await runSourceCommand(ctx, PKGUTIL_PATH, PKGUTIL_PKGS_ARGS, {
    timeoutMs: PKGUTIL_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
  });
  if ('error' in listed) return failedOutcome('pkgutil', listed.error);
  const ids = parsePkgutilPkgs(listed.stdout);
  const details = new Map<string, PackageInfo>();
  const queue = pkgInfoOrder(ids);
  const deadline = ctx.host.now().getTime() + PKG_INFO_BUDGET_MS;
  let failed = 0;
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (ctx.signal.aborted || ctx.host.now().getTime() > deadline) return;
      const info = await runSourceCommand(ctx, PKGUTIL_PATH, ['--pkg-info', id], {
        timeoutMs: PKG_INFO_TIMEOUT_MS,
        maxOutputBytes: 64 * 1024,
      });
      if ('error' in info) failed++;
      else details.set(id, parsePkgInfo(info.stdout));
    }
  };
  await Promise.all(Array.from({ length: PKG_INFO_CONCURRENCY }, worker));
  const missing = ids.length - details.size;
  if (missing > 0)
    ctx.logger.info(
      { receipts: ids.length, withoutDetails: missing, failed },
      'software: some pkgutil receipts listed without version and install time',
    );
  const items = ids
    .map((id) => {
      const info = details.get(id);
      return softwareItem('pkgutil', {
        name: id,
        version: info?.version ?? null,
        installedAt: info?.installedAt ?? null,
      });
    })
    .filter((i): i is SoftwareItem => i !== null);
  return { source: 'pkgutil', items };
}

/** null when no Homebrew is installed: no source to report. */
async function readHomebrew(ctx: CollectContext): Promise<SourceOutcome | null> {
  const present = [];
  for (const prefix of BREW_PREFIXES) if (await ctx.host.exists(prefix.brew)) present.push(prefix);
  if (present.length === 0) return null;
  const items: SoftwareItem[] = [];
  const errors: string[] = [];
  for (const prefix of present) {
    const outcome = await runSourceCommand(ctx, prefix.brew, BREW_INFO_ARGS, {
      timeoutMs: BREW_TIMEOUT_MS,
      maxOutputBytes: MAX_OUTPUT_BYTES,
      env: { ...ctx.host.env, ...BREW_ENV },
    });
    try {
      if ('error' in outcome) throw new Error(outcome.error);
      items.push(...parseBrewInfo(outcome.stdout, prefix.arch));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  // One prefix failing makes the Homebrew list incomplete: report none rather than half.
  if (errors.length > 0) return failedOutcome('homebrew', errors.join('; '));
  return { source: 'homebrew', items };
}

export async function readMacosSoftware(ctx: CollectContext): Promise<SoftwareRead> {
  const [apps, receipts, homebrew] = await Promise.all([
    readApps(ctx),
    readReceipts(ctx),
    readHomebrew(ctx),
  ]);
  const outcomes = [apps, receipts, ...(homebrew ? [homebrew] : [])];
  for (const o of outcomes)
    if ('error' in o)
      ctx.logger.warn({ source: o.source, error: o.error }, 'software: source not read');
  return assembleRead(outcomes);
}
