// Collector `patches`, Linux side: what each package manager says is pending, when updates
// were last installed, and whether the machine waits for a reboot.
//
// Collects: one PatchSource per package manager found (apt, dnf or else yum, zypper) with
//   its pending updates (name, versions, security flag, severity, advisories where the
//   manager says), counts, and the last install time (apt: the last install or upgrade in
//   its history log; dnf, yum, zypper: the newest install time in the rpm database, i.e.
//   the last package rpm installed, an update or a new package alike, which is what the
//   patching checks need without reading each manager's own history format);
//   rebootRequired and the packages asking for it.
// Platforms: Linux.
// Runs (each with LANG=C/LC_ALL=C, argument arrays, no shell, 300 s timeout):
//   apt:    apt list --upgradable; needrestart -b (when installed);
//           reads /var/run/reboot-required(.pkgs) and /var/log/apt/history.log
//   dnf:    dnf -C check-update; dnf -C updateinfo list --available; needs-restarting -r
//   yum:    yum -C check-update; yum -C updateinfo list; needs-restarting -r
//   zypper: zypper --non-interactive --no-refresh list-patches; reads /run/reboot-needed
//   rpm:    rpm -qa --queryformat '%{INSTALLTIME}\n' (dnf, yum, zypper machines)
// No refresh: the agent never runs apt-get update, dnf makecache or zypper refresh. It
//   reports what the machine's own schedule (apt-daily, dnf-makecache.timer, ...) last
//   fetched: refreshing from hundreds of agents would load the mirrors and take the package
//   lock. dnf/yum run cache-only (-C), so a machine that never refreshed reports an error
//   rather than a stale "nothing pending".
// Time: apt list takes about a second; dnf/yum (which load their metadata cache) and
//   zypper several seconds to a minute or more on slow disks, hence the long timeout.
// Privileges: none required for the lists. history.log is world-readable; needrestart and
//   needs-restarting see every process only as root (otherwise they may miss reasons).
//
// A command that fails (lock held, timeout, cache missing) gives its source ok: false with
// the error, an empty list and null counts: never "0 pending".
import type { PatchManager, PatchSource, PatchesSection, PendingUpdate } from '@vcio/shared';
import { errorMessage } from '../../errors.js';
import { commandFailure, describeCommand, type CommandResult } from '../../exec.js';
import { liveHost, type HostAccess } from '../../host.js';
import type { CollectContext } from '../types.js';
import {
  parseAptError,
  parseAptHistoryLastInstall,
  parseAptListUpgradable,
  parseNeedrestartBatch,
  parseRebootRequiredPkgs,
  type RebootCheck,
} from './apt.js';
import {
  mergeUpdateinfo,
  parseDnfCheckUpdate,
  parseNeedsRestarting,
  parseUpdateinfoList,
} from './dnf.js';
import { parseZypperListPatches } from './zypper.js';

export const LINUX_PATCH_PATHS = {
  apt: '/usr/bin/apt',
  dnf: '/usr/bin/dnf',
  yum: '/usr/bin/yum',
  zypper: '/usr/bin/zypper',
  rpm: '/usr/bin/rpm',
  needrestart: '/usr/sbin/needrestart',
  needsRestarting: '/usr/bin/needs-restarting',
  rebootRequired: '/var/run/reboot-required',
  rebootRequiredPkgs: '/var/run/reboot-required.pkgs',
  /** written by update-notifier-common (Ubuntu): when present, no reboot-required = none */
  notifyRebootRequired: '/usr/share/update-notifier/notify-reboot-required',
  zypperRebootNeeded: '/run/reboot-needed',
  aptHistoryLog: '/var/log/apt/history.log',
};
export type LinuxPatchPaths = typeof LINUX_PATCH_PATHS;

export interface LinuxPatchDeps {
  run(
    file: string,
    args: readonly string[],
    options: { timeoutMs: number },
  ): Promise<CommandResult>;
  /** the file's text; throws when it cannot be read (ENOENT when missing) */
  readFile(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  now(): Date;
  paths: LinuxPatchPaths;
}

export const COMMAND_TIMEOUT_MS = 300_000;
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
const MAX_PENDING = 2000;
const C_LOCALE = { LANG: 'C', LC_ALL: 'C' };

/** The patch reader's view of a host: commands in the C locale, bounded output. */
export function linuxPatchDeps(host: HostAccess): LinuxPatchDeps {
  return {
    run: (file, args, options) =>
      host.run(file, args, {
        timeoutMs: options.timeoutMs,
        maxOutputBytes: MAX_OUTPUT_BYTES,
        env: { ...host.env, ...C_LOCALE },
      }),
    readFile: (path) => host.readFile(path),
    exists: (path) => host.exists(path),
    now: () => host.now(),
    paths: LINUX_PATCH_PATHS,
  };
}

export const defaultLinuxPatchDeps: LinuxPatchDeps = linuxPatchDeps(liveHost);

type Run = { result: CommandResult } | { error: string };

async function run(deps: LinuxPatchDeps, file: string, args: readonly string[]): Promise<Run> {
  try {
    const result = await deps.run(file, args, { timeoutMs: COMMAND_TIMEOUT_MS });
    if (result.truncated)
      return {
        error: `command '${describeCommand(file, args)}' failed: output cut at ${MAX_OUTPUT_BYTES} bytes`,
      };
    return { result };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

async function readOptional(deps: LinuxPatchDeps, path: string): Promise<string | null> {
  try {
    return await deps.readFile(path);
  } catch {
    return null;
  }
}

interface Checked {
  ok: boolean;
  error: string | null;
  pending: PendingUpdate[];
  securityKnown: boolean;
  lastInstallAt: string | null;
}

const failed = (error: string): Checked => ({
  ok: false,
  error: error.slice(0, 2048),
  pending: [],
  securityKnown: false,
  lastInstallAt: null,
});

async function timed(
  deps: LinuxPatchDeps,
  manager: PatchManager,
  check: () => Promise<Checked>,
): Promise<PatchSource> {
  const started = deps.now();
  const c = await check();
  const durationSeconds = Math.max(0, (deps.now().getTime() - started.getTime()) / 1000);
  return {
    manager,
    checkedAt: started.toISOString(),
    durationSeconds,
    ok: c.ok,
    error: c.error,
    pending: c.pending.slice(0, MAX_PENDING),
    pendingCount: c.ok ? c.pending.length : null,
    securityCount:
      c.ok && c.securityKnown ? c.pending.filter((p) => p.security === true).length : null,
    lastInstallAt: c.lastInstallAt,
  };
}

export async function checkApt(deps: LinuxPatchDeps): Promise<Checked> {
  const args = ['list', '--upgradable'];
  const r = await run(deps, deps.paths.apt, args);
  if ('error' in r) return failed(r.error);
  const aptError = parseAptError(r.result.stderr);
  const failure = commandFailure(deps.paths.apt, args, r.result);
  if (aptError !== null)
    return failed(`command '${describeCommand(deps.paths.apt, args)}' failed: ${aptError}`);
  if (failure !== null) return failed(failure);
  const history = await readOptional(deps, deps.paths.aptHistoryLog);
  return {
    ok: true,
    error: null,
    pending: parseAptListUpgradable(r.result.stdout),
    securityKnown: true,
    lastInstallAt: history === null ? null : parseAptHistoryLastInstall(history),
  };
}

export async function checkDnf(deps: LinuxPatchDeps, manager: 'dnf' | 'yum'): Promise<Checked> {
  const bin = manager === 'dnf' ? deps.paths.dnf : deps.paths.yum;
  const args = ['-C', 'check-update'];
  const r = await run(deps, bin, args);
  if ('error' in r) return failed(r.error);
  // check-update: 100 = updates available, 0 = none, anything else = error
  const failure = commandFailure(bin, args, r.result);
  if (failure !== null && (r.result.timedOut || r.result.exitCode !== 100)) return failed(failure);
  const pending = parseDnfCheckUpdate(r.result.stdout);
  if (pending.length === 0)
    return { ok: true, error: null, pending, securityKnown: true, lastInstallAt: null };
  const infoArgs =
    manager === 'dnf' ? ['-C', 'updateinfo', 'list', '--available'] : ['-C', 'updateinfo', 'list'];
  const info = await run(deps, bin, infoArgs);
  const infoFailure = 'error' in info ? info.error : commandFailure(bin, infoArgs, info.result);
  if ('error' in info || infoFailure !== null)
    // the list stands; only security/severity are unknown
    return {
      ok: true,
      error: `security classification unknown: ${infoFailure}`.slice(0, 2048),
      pending,
      securityKnown: false,
      lastInstallAt: null,
    };
  return {
    ok: true,
    error: null,
    pending: mergeUpdateinfo(pending, parseUpdateinfoList(info.result.stdout)),
    securityKnown: true,
    lastInstallAt: null,
  };
}

/** `rpm -qa --queryformat '%{INSTALLTIME}\n'`: one epoch-seconds value per package. */
export function parseRpmInstallTimes(text: string): string | null {
  let newest = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.trim());
    if (Number.isSafeInteger(value) && value > newest) newest = value;
  }
  return newest > 0 ? new Date(newest * 1000).toISOString() : null;
}

/** The newest package install time rpm knows; null when rpm cannot say. */
export async function rpmLastInstall(deps: LinuxPatchDeps): Promise<string | null> {
  const r = await run(deps, deps.paths.rpm, ['-qa', '--queryformat', '%{INSTALLTIME}\n']);
  if ('error' in r || r.result.exitCode !== 0) return null;
  return parseRpmInstallTimes(r.result.stdout);
}

export async function checkZypper(deps: LinuxPatchDeps): Promise<Checked> {
  const args = ['--non-interactive', '--no-refresh', 'list-patches'];
  const r = await run(deps, deps.paths.zypper, args);
  if ('error' in r) return failed(r.error);
  // 100: patches needed, 101: security patches needed, 102/103: reboot/restart needed
  const failure = commandFailure(deps.paths.zypper, args, r.result);
  const code = r.result.exitCode ?? -1;
  if (failure !== null && (r.result.timedOut || code < 100 || code > 103)) return failed(failure);
  return {
    ok: true,
    error: null,
    pending: parseZypperListPatches(r.result.stdout),
    securityKnown: true,
    lastInstallAt: null,
  };
}

async function aptReboot(deps: LinuxPatchDeps): Promise<RebootCheck> {
  const { paths } = deps;
  if (await deps.exists(paths.rebootRequired)) {
    const pkgs = await readOptional(deps, paths.rebootRequiredPkgs);
    return { rebootRequired: true, reasons: pkgs === null ? [] : parseRebootRequiredPkgs(pkgs) };
  }
  if (await deps.exists(paths.needrestart)) {
    const r = await run(deps, paths.needrestart, ['-b']);
    if ('result' in r && r.result.exitCode === 0) {
      const check = parseNeedrestartBatch(r.result.stdout);
      if (check.rebootRequired !== null) return check;
    }
  }
  // without update-notifier nothing writes reboot-required on every kernel update
  return {
    rebootRequired: (await deps.exists(paths.notifyRebootRequired)) ? false : null,
    reasons: [],
  };
}

async function dnfReboot(deps: LinuxPatchDeps): Promise<RebootCheck> {
  if (!(await deps.exists(deps.paths.needsRestarting)))
    return { rebootRequired: null, reasons: [] };
  const r = await run(deps, deps.paths.needsRestarting, ['-r']);
  if ('error' in r || r.result.timedOut) return { rebootRequired: null, reasons: [] };
  if (r.result.exitCode === 1)
    return { rebootRequired: true, reasons: parseNeedsRestarting(r.result.stdout) };
  if (r.result.exitCode === 0) return { rebootRequired: false, reasons: [] };
  return { rebootRequired: null, reasons: [] };
}

async function zypperReboot(deps: LinuxPatchDeps): Promise<RebootCheck> {
  // zypper touches /run/reboot-needed after installing a patch that asks for a reboot
  return (await deps.exists(deps.paths.zypperRebootNeeded))
    ? { rebootRequired: true, reasons: ['zypper: /run/reboot-needed'] }
    : { rebootRequired: null, reasons: [] };
}

/** true if any check says so; false only when some check could tell and none said true. */
export function combineReboot(
  checks: RebootCheck[],
): Pick<PatchesSection, 'rebootRequired' | 'rebootReasons'> {
  const known = checks.filter((c) => c.rebootRequired !== null);
  const rebootRequired = known.length === 0 ? null : known.some((c) => c.rebootRequired === true);
  const reasons = [...new Set(checks.flatMap((c) => c.reasons))];
  return { rebootRequired, rebootReasons: reasons.slice(0, 64).map((r) => r.slice(0, 256)) };
}

/** An rpm-based check, with the last install time read whether or not the check answered. */
async function withRpmHistory(deps: LinuxPatchDeps, check: Promise<Checked>): Promise<Checked> {
  const checked = await check;
  return { ...checked, lastInstallAt: await rpmLastInstall(deps) };
}

export async function collectLinuxPatches(
  _ctx: Pick<CollectContext, 'logger' | 'signal'> | undefined,
  deps: LinuxPatchDeps = defaultLinuxPatchDeps,
): Promise<PatchesSection> {
  const sources: PatchSource[] = [];
  const reboots: RebootCheck[] = [];
  // One after another: each takes the package manager's caches and CPU.
  if (await deps.exists(deps.paths.apt)) {
    sources.push(await timed(deps, 'apt', () => checkApt(deps)));
    reboots.push(await aptReboot(deps));
  }
  const rpm: 'dnf' | 'yum' | null = (await deps.exists(deps.paths.dnf))
    ? 'dnf'
    : (await deps.exists(deps.paths.yum))
      ? 'yum'
      : null;
  if (rpm !== null) {
    sources.push(await timed(deps, rpm, () => withRpmHistory(deps, checkDnf(deps, rpm))));
    reboots.push(await dnfReboot(deps));
  }
  if (await deps.exists(deps.paths.zypper)) {
    sources.push(await timed(deps, 'zypper', () => withRpmHistory(deps, checkZypper(deps))));
    reboots.push(await zypperReboot(deps));
  }
  return { sources, ...combineReboot(reboots) };
}
