// How the Linux security readers touch the machine: every command and file read goes
// through ctx.host (replay mode depends on it), commands run in the C locale with a
// timeout and bounded output, and a tool that is not installed is normal, not an error.
import { errorMessage } from '../../errors.js';
import {
  CommandStartError,
  commandFailure,
  describeCommand,
  type CommandResult,
} from '../../exec.js';
import type { HostAccess } from '../../host.js';

/** Most security commands answer in well under a second; a wedged one must not stall the report. */
export const SECURITY_COMMAND_TIMEOUT_MS = 15_000;
/** mdatp and clamscan load their engine's metadata first. */
export const SLOW_COMMAND_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const C_LOCALE = { LANG: 'C', LC_ALL: 'C' };

/** Where distributions put the tools read here; /usr/sbin first (usrmerge keeps /sbin as a link). */
const TOOL_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export type Ran =
  | { kind: 'done'; command: string; result: CommandResult }
  /** the executable does not exist (ENOENT) */
  | { kind: 'missing'; command: string }
  /** it could not be started for another reason, or its output was cut */
  | { kind: 'error'; command: string; message: string };

export interface LinuxSecurityHost {
  readonly host: HostAccess;
  run(file: string, args: readonly string[], timeoutMs?: number): Promise<Ran>;
  /** the file's text, or null when it is missing or unreadable */
  readOptional(path: string): Promise<string | null>;
  /** the file's text, or why it could not be read, in words naming the path */
  read(path: string): Promise<{ text: string } | { error: string; missing: boolean }>;
  exists(path: string): Promise<boolean>;
  /** the first of /usr/sbin, /usr/bin, /sbin, /bin holding `name`, or null when none does */
  locate(name: string): Promise<string | null>;
  /** entry names of a directory, sorted as the C locale sorts; [] when it is missing */
  listDir(dir: string): Promise<string[]>;
  now(): Date;
}

export function linuxSecurityHost(host: HostAccess): LinuxSecurityHost {
  const located = new Map<string, string | null>();
  const self: LinuxSecurityHost = {
    host,
    async run(file, args, timeoutMs = SECURITY_COMMAND_TIMEOUT_MS) {
      const command = describeCommand(file, args);
      try {
        const result = await host.run(file, args, {
          timeoutMs,
          maxOutputBytes: MAX_OUTPUT_BYTES,
          env: { ...host.env, ...C_LOCALE },
        });
        if (result.truncated)
          return {
            kind: 'error',
            command,
            message: `command '${command}' failed: output cut at ${MAX_OUTPUT_BYTES} bytes`,
          };
        return { kind: 'done', command, result };
      } catch (err) {
        if (err instanceof CommandStartError && err.code === 'ENOENT')
          return { kind: 'missing', command };
        return { kind: 'error', command, message: errorMessage(err) };
      }
    },
    async readOptional(path) {
      const r = await self.read(path);
      return 'text' in r ? r.text : null;
    },
    async read(path) {
      try {
        return { text: await host.readFile(path) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        if (code === 'ENOENT' || code === 'ENOTDIR')
          return { error: `${path} does not exist`, missing: true };
        if (code === 'EACCES' || code === 'EPERM')
          return { error: `${path} is not readable (needs root)`, missing: false };
        return { error: `${path}: ${errorMessage(err)}`, missing: false };
      }
    },
    exists: (path) => host.exists(path),
    async locate(name) {
      const known = located.get(name);
      if (known !== undefined) return known;
      let found: string | null = null;
      for (const dir of TOOL_DIRS) {
        if (await host.exists(`${dir}/${name}`)) {
          found = `${dir}/${name}`;
          break;
        }
      }
      located.set(name, found);
      return found;
    },
    async listDir(dir) {
      // HostAccess has no directory listing: ls goes through host.run like any command,
      // so replay mode answers it from the recording too.
      if (!(await host.exists(dir))) return [];
      const ls = (await self.locate('ls')) ?? '/bin/ls';
      const r = await self.run(ls, ['-1A', '--', dir]);
      if (r.kind !== 'done' || r.result.exitCode !== 0) return [];
      return r.result.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .sort();
    },
    now: () => host.now(),
  };
  return self;
}

const NEEDS_ROOT =
  /permission denied|operation not permitted|must be root|need to be root|are not root|access denied|authorization failed|not authorized|no hostkeys available|unable to load host key/i;

/** The first non-empty line of stderr, else of stdout; '' when both are empty. */
export function firstLine(result: Pick<CommandResult, 'stdout' | 'stderr'>): string {
  const line = (text: string): string | undefined =>
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '');
  return (line(result.stderr) ?? line(result.stdout) ?? '').slice(0, 200);
}

/** Did the command fail because the agent is not root? (Judged from its own words.) */
export function deniedForLackOfRoot(result: Pick<CommandResult, 'stdout' | 'stderr'>): boolean {
  return NEEDS_ROOT.test(result.stderr) || NEEDS_ROOT.test(result.stdout.slice(0, 2000));
}

/**
 * Why a finished command did not give its answer, in a technician's words: "'nft list
 * ruleset' needs root (exit 1: Operation not permitted (you must be root))" when its
 * message says so, otherwise commandFailure's line.
 */
export function failureReason(ran: Ran): string {
  if (ran.kind === 'missing') return `'${ran.command}' is not installed`;
  if (ran.kind === 'error') return ran.message;
  const { result, command } = ran;
  if (!result.timedOut && deniedForLackOfRoot(result)) {
    const how = result.exitCode === null ? 'killed' : `exit ${result.exitCode}`;
    return `'${command}' needs root (${how}: ${firstLine(result)})`;
  }
  // describeCommand joins file and args with spaces: the joined line reads the same
  return commandFailure(command, [], result) ?? `command '${command}' gave no usable answer`;
}

/** The command finished with exit 0 and no timeout. */
export function succeeded(ran: Ran): ran is Extract<Ran, { kind: 'done' }> {
  return ran.kind === 'done' && ran.result.exitCode === 0 && !ran.result.timedOut;
}

/** Non-empty, right-trimmed lines; CRLF-safe. */
export function textLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}

/** Several reasons as one, within the contract's 512 characters; null when there are none. */
export function joinReasons(reasons: readonly (string | null | undefined)[]): string | null {
  const kept = reasons.filter((r): r is string => typeof r === 'string' && r !== '');
  if (kept.length === 0) return null;
  const text = [...new Set(kept)].join('; ');
  return text.length <= 512 ? text : `${text.slice(0, 509)}...`;
}

/** A string field within the contract's bounds: trimmed, cut, and null when empty. */
export function bounded(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  return v === '' ? null : v.slice(0, max);
}

/** Element i of a regex match or split ('' when absent): for groups that always take part. */
export function cap(parts: ArrayLike<string | undefined>, i: number): string {
  return parts[i] ?? '';
}

/** "1 rule", "3 rules". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
