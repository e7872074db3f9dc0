// Patches on macOS: what Apple's Software Update offers (macOS updates, security responses,
// Safari, Command Line Tools, firmware on old Macs).
//
// Platform: macOS (any version with /usr/sbin/softwareupdate; both output formats, before
//   and since macOS 10.15, are parsed).
// Runs: `/usr/sbin/softwareupdate --list`. It asks Apple's (or a configured) catalog server
//   and can take a minute or more: timeout 300 s. It writes the banner ('Software Update
//   Tool', 'Finding available software') and 'No new software available.' to stderr and the
//   list to stdout; the recorded samples are terminal transcripts holding both, so the
//   parser reads stdout and stderr together.
// Time: 10 s to a few minutes, depending on the catalog server.
// Privileges: none (listing works as any user; installing would need admin).
// Not read: the last install time. `softwareupdate --history` would give it, but no real
//   recording of its output was available to test a parser on, so lastInstallAt is null.
// Reboot: macOS has no "reboot pending" flag we can read (no equivalent of Windows' reboot
//   keys or Linux's reboot-required file). rebootRequired is therefore true only when a
//   pending update says it will need a restart, and null otherwise, never false.
//
// Reading (collectMacosPatches, injectable runner) is separate from parsing
// (parseSoftwareUpdateList, pure, tested on recorded real outputs).
//
// NOT verified on a real Mac: none was available when this was written.
import type { PatchesSection, PendingUpdate } from '@vcio/shared';
import { commandFailure, type CommandResult, type CommandRunner } from '../../exec.js';
import { liveHost, type HostAccess } from '../../host.js';
import type { CollectContext } from '../types.js';
import { secondsBetween, unansweredSource } from './source.js';

export interface MacosPatchDeps {
  run: CommandRunner;
  now(): Date;
}

export function macosPatchDeps(host: HostAccess): MacosPatchDeps {
  return { run: host.run, now: () => host.now() };
}

export const defaultMacosPatchDeps: MacosPatchDeps = macosPatchDeps(liveHost);

export const SOFTWAREUPDATE_PATH = '/usr/sbin/softwareupdate';
export const SOFTWAREUPDATE_LIST_ARGS = ['--list'] as const;
export const SOFTWAREUPDATE_TIMEOUT_MS = 300_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const MAX_PENDING = 2000;

const SECURITY = /security update|background security improvement|rapid security response/i;

function update(
  label: string,
  title: string | null,
  version: string | null,
  restart: boolean | null,
): PendingUpdate {
  const name = title ?? label;
  return {
    name: name.slice(0, 512),
    kb: null,
    currentVersion: null,
    availableVersion: version === null ? null : version.slice(0, 128),
    security: SECURITY.test(label) || SECURITY.test(name) ? true : null,
    severity: null,
    classification: null,
    advisories: [],
    restartRequired: restart,
    releasedAt: null,
  };
}

/** 'Title: macOS Tahoe 26.6, Version: 26.6, Size: 3829595KiB, Recommended: YES, Action: restart, ' */
function parseNewDetail(label: string, detail: string): PendingUpdate {
  const fields = new Map<string, string>();
  for (const part of detail.split(/,\s*(?=[A-Z][A-Za-z ]*:\s)/)) {
    const m = /^([A-Z][A-Za-z ]*):\s*(.*?)[,\s]*$/.exec(part.trim());
    if (m) fields.set(m[1]!.toLowerCase(), m[2]!);
  }
  const action = fields.get('action');
  const restart = action === undefined ? null : /restart|shut\s*down/i.test(action) ? true : false;
  return update(label, fields.get('title') || null, fields.get('version') || null, restart);
}

/**
 * 'OS X El Capitan 更新 (10.11.6), 471282K [recommended] [restart]'. The version is the LAST
 * parenthesised group before the size, as titles may hold parentheses of their own
 * ('Command Line Tools (macOS Mojave version 10.14) for Xcode (10.3)'). The old format
 * always states its actions, so no [restart] / [shut down] means no restart.
 */
function parseOldDetail(label: string, detail: string): PendingUpdate {
  const m = /^(.*)\(([^()]*)\),\s*\d+[KMG]?(?:i?B)?\b(.*)$/.exec(detail.trim());
  const title = m ? m[1]!.replace(/[,\s]+$/, '') : null;
  const version = m ? m[2]!.trim() : null;
  const restart = /\[(restart|shut down)\]/i.test(detail);
  return update(label, title || null, version || null, restart);
}

/**
 * `softwareupdate --list` output to the updates it offers; [] when it offers none (use
 * saysNoNewSoftware to tell "none" from output that could not be read).
 *
 * Since macOS 10.15: '* Label: <label>' then a tab-indented 'Title: ..., Version: ...,
 * Size: ...KiB, Recommended: YES, Action: restart,' line. Before: '   * <label>' (or '-'
 * for an update that is not recommended) then an indented 'Title (version), sizeK
 * [recommended] [restart]' line. A label without a detail line is kept with its label as
 * name and nothing else known.
 */
export function parseSoftwareUpdateList(text: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const item = /^\s*[*-]\s+(.*?)\s*$/.exec(lines[i]!);
    if (!item || item[1] === '') continue;
    const next = lines[i + 1];
    const detail =
      next !== undefined && /^\s+\S/.test(next) && !/^\s*[*-]\s/.test(next) ? next : null;
    if (detail !== null) i++;
    const newLabel = /^Label:\s*(.*)$/.exec(item[1]!);
    if (newLabel) {
      const label = newLabel[1]!;
      updates.push(
        detail === null ? update(label, null, null, null) : parseNewDetail(label, detail),
      );
    } else {
      const label = item[1]!;
      updates.push(
        detail === null ? update(label, null, null, null) : parseOldDetail(label, detail),
      );
    }
  }
  return updates;
}

/** True when softwareupdate said it found nothing: a real "0 pending". */
export function saysNoNewSoftware(text: string): boolean {
  return /^\s*No new software available\.?\s*$/m.test(text);
}

const elapsed = (since: Date, deps: MacosPatchDeps): number => secondsBetween(since, deps.now());

export async function collectMacosPatches(
  ctx: CollectContext,
  deps: MacosPatchDeps = defaultMacosPatchDeps,
): Promise<PatchesSection> {
  const checkedAt = deps.now();
  const failed = (error: string): PatchesSection => {
    ctx.logger.warn({ error }, 'patches: softwareupdate could not be read');
    const source = unansweredSource('softwareupdate', checkedAt, deps.now(), error);
    return { sources: [source], rebootRequired: null, rebootReasons: [] };
  };

  let result: CommandResult;
  try {
    result = await deps.run(SOFTWAREUPDATE_PATH, SOFTWAREUPDATE_LIST_ARGS, {
      timeoutMs: SOFTWAREUPDATE_TIMEOUT_MS,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
  } catch (err) {
    return failed((err as Error).message);
  }
  const failure = commandFailure(SOFTWAREUPDATE_PATH, SOFTWAREUPDATE_LIST_ARGS, result);
  if (failure) return failed(failure);
  const text = `${result.stdout}\n${result.stderr}`;
  const pending = parseSoftwareUpdateList(text);
  if (pending.length === 0 && !saysNoNewSoftware(text)) {
    // e.g. the catalog server could not be reached: softwareupdate may still exit 0.
    const said = text.replace(/\s+/g, ' ').trim().slice(0, 300);
    return failed(
      `command '${SOFTWAREUPDATE_PATH} --list' gave neither updates nor 'No new software available.': '${said}'`,
    );
  }
  const restarting = pending.filter((u) => u.restartRequired === true);
  return {
    sources: [
      {
        manager: 'softwareupdate',
        checkedAt: checkedAt.toISOString(),
        durationSeconds: elapsed(checkedAt, deps),
        ok: true,
        error: null,
        pending: pending.slice(0, MAX_PENDING),
        pendingCount: pending.length,
        securityCount: pending.filter((u) => u.security === true).length,
        lastInstallAt: null,
      },
    ],
    rebootRequired: restarting.length > 0 ? true : null,
    rebootReasons: restarting
      .slice(0, 64)
      .map((u) => `softwareupdate: ${u.name} requires a restart`.slice(0, 256)),
  };
}
