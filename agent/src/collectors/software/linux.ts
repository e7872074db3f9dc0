// Installed software on Linux: every package in the dpkg and rpm databases the machine has.
//
// Platform: Linux (Debian/Ubuntu and derivatives through dpkg; RHEL, Fedora, SUSE, Amazon
//   Linux and derivatives through rpm; both where both exist, e.g. alien on Debian).
// Runs (argument arrays, no shell, LANG=C/LC_ALL=C, 120 s timeout each, both at once):
//   dpkg: /usr/bin/dpkg-query -W -f '${Status}\t${Package}\t${Version}\t${Architecture}\t${Maintainer}\n'
//   rpm:  /usr/bin/rpm -qa --queryformat
//           '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{VENDOR}\t%{INSTALLTIME}\n'
//   A tool that is not installed (the command cannot start: ENOENT) is a source this machine
//   does not have: no status for it. A machine with neither gives no sources and no items.
// Time: dpkg-query reads one status file: ~10 ms for 700 packages, well under a second for
//   3000. rpm -qa opens the rpm database: a second or a few.
// Privileges: none; both databases are world-readable.
//
// What each field means here:
//   dpkg: name = Package, version = Version as dpkg writes it (epoch included, '1:2.0.28-1'),
//     arch = Architecture (amd64, arm64, all...), publisher = the Maintainer's name without
//     the e-mail address. Only packages whose files are on disk: the status word (the third
//     of ${Status}) 'not-installed' or 'config-files' (removed, configuration left: 'rc' in
//     dpkg -l) is skipped; half-installed/unpacked/half-configured/triggers-* are kept, their
//     files are there. ${Status} rather than ${db:Status-Abbrev}: same information, spelled
//     out, and understood by every dpkg version.
//     installedAt is null: dpkg keeps no install time. The mtime of
//     /var/lib/dpkg/info/<pkg>.list would be one per package (thousands of stats), and
//     /var/log/dpkg.log only covers the last rotation, so neither is read.
//   rpm: version = [EPOCH:]VERSION-RELEASE ('1:3.82-24.el7'), arch = ARCH (x86_64, noarch),
//     publisher = VENDOR, installedAt = INSTALLTIME (epoch seconds). '(none)' is rpm's empty
//     value. gpg-pubkey entries are skipped: they are imported signing keys, not software.
// A command that fails, times out or prints something that is not in the format asked for
// gives its source ok: false with the error and no items.
import type { SoftwareItem } from '@vcio/shared';
import type { CollectContext } from '../types.js';
import { runSourceCommand, type CommandOutcome } from './command.js';
import {
  assembleRead,
  epochSecondsToIso,
  failedOutcome,
  softwareItem,
  type SourceOutcome,
} from './entries.js';
import type { SoftwareRead } from './read.js';

export const DPKG_QUERY_PATH = '/usr/bin/dpkg-query';
/** dpkg-query expands the \t and \n escapes itself; nothing here goes through a shell. */
export const DPKG_QUERY_FORMAT =
  '${Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${Maintainer}\\n';
export const DPKG_QUERY_ARGS = ['-W', '-f', DPKG_QUERY_FORMAT] as const;

export const RPM_PATH = '/usr/bin/rpm';
export const RPM_QUERYFORMAT =
  '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\t%{INSTALLTIME}\\n';
export const RPM_QUERY_ARGS = ['-qa', '--queryformat', RPM_QUERYFORMAT] as const;

export const LINUX_SOFTWARE_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const C_LOCALE = { LANG: 'C', LC_ALL: 'C' };

/** dpkg states whose package files are not on disk. */
const NOT_ON_DISK = new Set(['not-installed', 'config-files']);

function firstLineOf(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, 120);
}

/** 'Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>' -> 'Ubuntu Developers'. */
export function maintainerName(maintainer: string): string | null {
  const text = maintainer.trim();
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(text);
  if (!m) return text === '' ? null : text;
  const name = m[1]!.replace(/^"(.*)"$/, '$1').trim();
  return name !== '' ? name : m[2]!.trim() || null;
}

/**
 * Output of `dpkg-query -W -f DPKG_QUERY_FORMAT` to the packages whose files are on disk.
 * Throws when the text has lines but none in that format (e.g. `dpkg -l` output, or an old
 * dpkg printing the format literally): an empty list would read as "nothing installed".
 */
export function parseDpkgQuery(text: string): SoftwareItem[] {
  const items: SoftwareItem[] = [];
  let recognised = 0;
  let nonBlank = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    nonBlank++;
    const fields = line.replace(/\r$/, '').split('\t');
    if (fields.length < 5) continue;
    const status = fields[0]!.trim().split(/\s+/);
    if (status.length !== 3) continue;
    recognised++;
    if (NOT_ON_DISK.has(status[2]!)) continue;
    const item = softwareItem('dpkg', {
      name: fields[1],
      version: fields[2],
      arch: fields[3],
      publisher: maintainerName(fields.slice(4).join('\t')),
      installedAt: null,
    });
    if (item) items.push(item);
  }
  if (nonBlank > 0 && recognised === 0)
    throw new Error(`dpkg-query output is not in the expected format: '${firstLineOf(text)}'`);
  return items;
}

/** rpm's way of printing a tag that is not set. */
const rpmValue = (value: string | undefined): string | null => {
  const v = (value ?? '').trim();
  return v === '' || v === '(none)' ? null : v;
};

/**
 * Output of `rpm -qa --queryformat RPM_QUERYFORMAT`. Throws when the text has lines but
 * none in that format.
 */
export function parseRpmQuery(text: string): SoftwareItem[] {
  const items: SoftwareItem[] = [];
  let recognised = 0;
  let nonBlank = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    nonBlank++;
    const fields = line.replace(/\r$/, '').split('\t');
    if (fields.length !== 7) continue;
    const [name, epoch, version, release, arch, vendor, installTime] = fields.map(rpmValue);
    if (name === null || version === null) continue;
    recognised++;
    if (name === 'gpg-pubkey') continue;
    const full = `${epoch !== null ? `${epoch}:` : ''}${version}${release !== null ? `-${release}` : ''}`;
    const item = softwareItem('rpm', {
      name,
      version: full,
      arch,
      publisher: vendor,
      installedAt: epochSecondsToIso(installTime),
    });
    if (item) items.push(item);
  }
  if (nonBlank > 0 && recognised === 0)
    throw new Error(`rpm output is not in the expected format: '${firstLineOf(text)}'`);
  return items;
}

/** null when the tool is not on this machine (no source to report). */
async function readSource(
  ctx: CollectContext,
  source: 'dpkg' | 'rpm',
  file: string,
  args: readonly string[],
  parse: (text: string) => SoftwareItem[],
): Promise<SourceOutcome | null> {
  const outcome: CommandOutcome = await runSourceCommand(ctx, file, args, {
    timeoutMs: LINUX_SOFTWARE_TIMEOUT_MS,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    env: { ...ctx.host.env, ...C_LOCALE },
  });
  if ('missing' in outcome) return null;
  if ('error' in outcome) {
    ctx.logger.warn({ source, error: outcome.error }, 'software: package database not read');
    return failedOutcome(source, outcome.error);
  }
  try {
    return { source, items: parse(outcome.stdout) };
  } catch (err) {
    const error = (err as Error).message;
    ctx.logger.warn({ source, error }, 'software: package database not read');
    return failedOutcome(source, error);
  }
}

export async function readLinuxSoftware(ctx: CollectContext): Promise<SoftwareRead> {
  const outcomes = await Promise.all([
    readSource(ctx, 'dpkg', DPKG_QUERY_PATH, DPKG_QUERY_ARGS, parseDpkgQuery),
    readSource(ctx, 'rpm', RPM_PATH, RPM_QUERY_ARGS, parseRpmQuery),
  ]);
  return assembleRead(outcomes.filter((o): o is SourceOutcome => o !== null));
}
