// Replay mode: the whole agent runs against a recorded machine instead of this one.
//
// `vcio-agent collect|once|run --replay DIR` gives every collector a ReplayHost built from
// DIR, so the Windows and macOS paths (PowerShell scripts, softwareupdate, registry reads)
// run end to end on a Linux machine, report, delivery and collector included, not only
// their parsers. It is a testing and demo aid; the live agent never uses it.
//
// The directory (documented in test/fixtures/replay/README.md):
//   host.json      {platform, hostname, machineId, env?, now?}: who the machine is
//   commands.json  [{file, args? | argsInclude?, stdout, stderr?, exitCode?}]: what each
//                  command printed; first match wins; a command with no entry is missing
//                  from the machine (CommandStartError ENOENT), as a tool not installed is
//   files/         the machine's files by absolute path (files/etc/os-release,
//                  C:\x\y -> files/C/x/y), for readFile and exists
//   system.json    a RawSystemInfo (collectors/system.ts) for the system collector
//
// What cannot be replayed, and why: the system collector reads through systeminformation,
// which spawns its own helpers and reads /proc directly; that is why HostAccess has an
// optional systemInfo() and the replay host answers it from system.json. The performance
// collector measures live counters (CPU times, network bytes) over an interval; nothing
// recorded can stand in for them, so replay does not run it (NOT_REPLAYED).
//
// Everything is read and checked when the host is built: a bad directory fails the command
// at once with one line (a usage error, exit 2) rather than as a collector error later.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SectionName } from '@vcio/shared';
import type { RawSystemInfo } from './collectors/system.js';
import { UsageError } from './errors.js';
import { CommandStartError, describeCommand, type CommandResult, type RunOptions } from './exec.js';
import type { HostAccess } from './host.js';

export const REPLAY_PLATFORMS = ['win32', 'darwin', 'linux'] as const;
export type ReplayPlatform = (typeof REPLAY_PLATFORMS)[number];

/** Collectors replay does not run, with the reason the agent logs. */
export const NOT_REPLAYED: Readonly<Partial<Record<SectionName, string>>> = {
  performance:
    'it measures live counters (CPU times, network bytes, processes) over an interval, which no recording can stand in for',
};

/** A replay directory's host.json. */
export interface ReplayHostFile {
  platform: ReplayPlatform;
  hostname: string;
  machineId: string;
  /** the machine's environment (SystemRoot...); {} when absent, never this machine's */
  env: Record<string, string>;
  /** a fixed clock; the live clock when absent */
  now: Date | null;
}

/** One commands.json entry. */
export interface ReplayCommand {
  /** basename to match, case-insensitive, '.exe' optional: 'powershell', 'softwareupdate' */
  file: string;
  /** the exact arguments; any arguments when neither this nor argsInclude is given */
  args?: string[];
  /** a substring of the arguments joined by spaces (a PowerShell -Command script) */
  argsInclude?: string;
  /** paths of the recorded outputs, relative to the replay directory */
  stdout: string;
  stderr?: string;
  exitCode: number;
}

/** A host answering from a replay directory; see the top of this file. */
export interface ReplayHost extends HostAccess {
  /** the directory, resolved */
  readonly replayDir: string;
  readonly hostname: string;
  readonly machineId: string;
  systemInfo(): Promise<RawSystemInfo>;
}

export function isReplayHost(host: HostAccess): host is ReplayHost {
  return typeof (host as Partial<ReplayHost>).replayDir === 'string';
}

/** The replay directory cannot be used; a usage error: the command line named it. */
export class ReplayDirError extends UsageError {}

/** A check of one file's content failed; the loader adds which directory. */
class FormatError extends Error {}

// ---------------------------------------------------------------------------------------
// Pure parsing and matching

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FormatError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Unknown fields are refused: a typo ('machineID') must not silently mean "absent". */
function checkFields(value: Json, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new FormatError(`${where}: unknown field '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

function text(value: unknown, where: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength)
    throw new FormatError(`${where} must be a non-empty string of at most ${maxLength} characters`);
  return value;
}

/** host.json's text to its fields; throws FormatError saying what is wrong. */
export function parseHostFile(json: string): ReplayHostFile {
  const value = parseJson(json, 'host.json');
  if (!isObject(value)) throw new FormatError('host.json must hold a JSON object');
  checkFields(value, ['platform', 'hostname', 'machineId', 'env', 'now', 'note'], 'host.json');
  if (!REPLAY_PLATFORMS.includes(value.platform as ReplayPlatform))
    throw new FormatError(
      `host.json: platform must be one of ${REPLAY_PLATFORMS.join(', ')} (got ${JSON.stringify(value.platform)})`,
    );
  const env: Record<string, string> = {};
  if (value.env !== undefined) {
    if (!isObject(value.env)) throw new FormatError('host.json: env must be an object');
    for (const [k, v] of Object.entries(value.env)) {
      if (typeof v !== 'string') throw new FormatError(`host.json: env.${k} must be a string`);
      env[k] = v;
    }
  }
  let now: Date | null = null;
  if (value.now !== undefined) {
    const at = typeof value.now === 'string' ? Date.parse(value.now) : NaN;
    if (!Number.isFinite(at))
      throw new FormatError('host.json: now must be an ISO 8601 time, e.g. 2026-01-15T09:00:00Z');
    now = new Date(at);
  }
  return {
    platform: value.platform as ReplayPlatform,
    // The report contract's bounds for host.hostname and host.machineId.
    hostname: text(value.hostname, 'host.json: hostname', 255),
    machineId: text(value.machineId, 'host.json: machineId', 128),
    env,
    now,
  };
}

/** commands.json's text to its entries; throws FormatError naming the bad entry. */
export function parseCommandsFile(json: string): ReplayCommand[] {
  const value = parseJson(json, 'commands.json');
  if (!Array.isArray(value)) throw new FormatError('commands.json must hold a JSON array');
  return value.map((entry, i) => {
    const where = `commands.json[${i}]`;
    if (!isObject(entry)) throw new FormatError(`${where} must be an object`);
    checkFields(
      entry,
      ['file', 'args', 'argsInclude', 'stdout', 'stderr', 'exitCode', 'note'],
      where,
    );
    const command: ReplayCommand = {
      file: text(entry.file, `${where}.file`, 1024),
      stdout: text(entry.stdout, `${where}.stdout`, 1024),
      exitCode: 0,
    };
    if (entry.args !== undefined && entry.argsInclude !== undefined)
      throw new FormatError(`${where}: give args or argsInclude, not both`);
    if (entry.args !== undefined) {
      if (!Array.isArray(entry.args) || entry.args.some((a) => typeof a !== 'string'))
        throw new FormatError(`${where}.args must be an array of strings`);
      command.args = entry.args as string[];
    }
    if (entry.argsInclude !== undefined)
      command.argsInclude = text(entry.argsInclude, `${where}.argsInclude`, 100_000);
    if (entry.stderr !== undefined) command.stderr = text(entry.stderr, `${where}.stderr`, 1024);
    if (entry.exitCode !== undefined) {
      if (!Number.isInteger(entry.exitCode))
        throw new FormatError(`${where}.exitCode must be an integer`);
      command.exitCode = entry.exitCode as number;
    }
    return command;
  });
}

/**
 * How a command's file is compared: its basename (after / or \), lower case, without
 * '.exe'. 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe' -> 'powershell'.
 */
export function commandName(file: string): string {
  const base = file.split(/[\\/]/).pop()!;
  return base.toLowerCase().replace(/\.exe$/, '');
}

/** The first entry recorded for this command line, or undefined. */
export function findCommand<C extends ReplayCommand>(
  commands: readonly C[],
  file: string,
  args: readonly string[],
): C | undefined {
  const name = commandName(file);
  const joined = args.join(' ');
  return commands.find(
    (c) =>
      commandName(c.file) === name &&
      (c.args === undefined ||
        (c.args.length === args.length && c.args.every((a, i) => a === args[i]))) &&
      (c.argsInclude === undefined || joined.includes(c.argsInclude)),
  );
}

/** Windows and macOS file systems ignore case (macOS by default); Linux does not. */
function ignoresCase(platform: ReplayPlatform): boolean {
  return platform !== 'linux';
}

/** Drops '.' and resolves '..' (never above the root, as the OS does). */
function normalSegments(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/**
 * Where an absolute path of the recorded machine lives under files/, as '/'-separated
 * segments ('' for the root), or null for a path replay cannot map (relative, UNC).
 * Windows 'C:\Users\x' and 'c:/users/x' -> 'C/Users/x'; POSIX '/etc/os-release' ->
 * 'etc/os-release'.
 */
export function recordedPath(platform: ReplayPlatform, file: string): string | null {
  if (platform === 'win32') {
    const drive = /^([A-Za-z]):[\\/]/.exec(file);
    if (!drive) return null;
    const rest = normalSegments(file.slice(3).split(/[\\/]/));
    return [drive[1]!.toUpperCase(), ...rest].join('/');
  }
  if (!file.startsWith('/')) return null;
  return normalSegments(file.split('/')).join('/');
}

/** The result runCommand would give, cut to maxOutputBytes as runCommand cuts it. */
export function replayResult(
  stdout: Buffer,
  stderr: Buffer,
  exitCode: number,
  maxOutputBytes: number,
): CommandResult {
  const limit = Math.max(0, maxOutputBytes);
  return {
    stdout: stdout.subarray(0, limit).toString('utf8'),
    stderr: stderr.subarray(0, limit).toString('utf8'),
    exitCode,
    signal: null,
    timedOut: false,
    truncated: stdout.length > limit || stderr.length > limit,
    durationMs: 0,
  };
}

const SI_OBJECTS = ['osInfo', 'system', 'bios', 'cpu', 'mem'] as const;
const SI_LISTS = ['diskLayout', 'fsSize', 'networkInterfaces'] as const;
const SYSTEM_FIELDS = [
  'platform',
  'arch',
  'hostname',
  ...SI_OBJECTS,
  ...SI_LISTS,
  'osNetworkInterfaces',
  'time',
  'osCpuCount',
  'osTotalMemBytes',
];

/**
 * system.json's text to a RawSystemInfo. Checks the shape toSystemSection relies on (each
 * systeminformation part an object, a list of objects, or null for "not recorded") and that
 * it describes the machine host.json names, not the fields inside each part: those are
 * systeminformation's, and toSystemSection already treats every one as possibly missing.
 */
export function parseSystemFile(json: string, host: ReplayHostFile): RawSystemInfo {
  const value = parseJson(json, 'system.json');
  if (!isObject(value)) throw new FormatError('system.json must hold a JSON object');
  checkFields(value, [...SYSTEM_FIELDS, 'note'], 'system.json');
  for (const key of SYSTEM_FIELDS)
    if (!(key in value)) throw new FormatError(`system.json: ${key} is missing`);
  if (value.platform !== host.platform || value.hostname !== host.hostname)
    throw new FormatError(
      `system.json: platform and hostname (${JSON.stringify(value.platform)}, ${JSON.stringify(value.hostname)}) must be host.json's (${JSON.stringify(host.platform)}, ${JSON.stringify(host.hostname)})`,
    );
  if (typeof value.arch !== 'string') throw new FormatError('system.json: arch must be a string');
  for (const key of SI_OBJECTS)
    if (value[key] !== null && !isObject(value[key]))
      throw new FormatError(`system.json: ${key} must be an object or null`);
  for (const key of SI_LISTS) {
    const list = value[key];
    if (list !== null && (!Array.isArray(list) || !list.every(isObject)))
      throw new FormatError(`system.json: ${key} must be an array of objects or null`);
  }
  const nics = value.osNetworkInterfaces;
  if (!isObject(nics) || !Object.values(nics).every((a) => Array.isArray(a) && a.every(isObject)))
    throw new FormatError(
      'system.json: osNetworkInterfaces must map interface names to arrays of addresses',
    );
  const time = value.time;
  if (
    !isObject(time) ||
    !(time.current === null || typeof time.current === 'number') ||
    !(time.uptime === null || typeof time.uptime === 'number') ||
    typeof time.timezoneName !== 'string'
  )
    throw new FormatError(
      'system.json: time must be {current: epoch ms or null, uptime: seconds or null, timezoneName: string}',
    );
  if (typeof value.osCpuCount !== 'number' || typeof value.osTotalMemBytes !== 'number')
    throw new FormatError('system.json: osCpuCount and osTotalMemBytes must be numbers');
  return value as unknown as RawSystemInfo;
}

// ---------------------------------------------------------------------------------------
// Loading

const FILES_DIR = 'files';

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** An fs-style error, so collectors tell "missing" from other failures by err.code. */
function notRecorded(syscall: string, file: string, dir: string): NodeJS.ErrnoException {
  return Object.assign(
    new Error(
      `ENOENT: no such file or directory, ${syscall} '${file}' (not recorded in replay ${dir})`,
    ),
    { code: 'ENOENT', errno: -2, syscall, path: file },
  );
}

/** A file named in commands.json: it must lie inside the replay directory. */
async function readRecording(dir: string, relative: string, where: string): Promise<Buffer> {
  const full = path.resolve(dir, relative);
  if (path.isAbsolute(relative) || !full.startsWith(dir + path.sep))
    throw new FormatError(`${where}: '${relative}' must be a path inside the replay directory`);
  try {
    return await readFile(full);
  } catch (err) {
    throw new FormatError(`${where}: cannot read '${relative}': ${codeOf(err)}`);
  }
}

/** Every file and directory under files/, keyed as recordedPath() keys them. */
async function indexFiles(
  root: string,
  foldCase: boolean,
): Promise<{ files: Map<string, string>; dirs: Set<string> }> {
  const files = new Map<string, string>();
  const dirs = new Set<string>();
  const key = (segments: string[]): string => {
    const joined = segments.join('/');
    return foldCase ? joined.toLowerCase() : joined;
  };
  const walk = async (dir: string, segments: string[]): Promise<void> => {
    dirs.add(key(segments));
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const below = [...segments, entry.name];
      if (entry.isDirectory()) await walk(full, below);
      else files.set(key(below), full);
    }
  };
  const found = await stat(root).catch(() => null);
  if (!found?.isDirectory()) return { files, dirs };
  try {
    await walk(root, []);
  } catch (err) {
    throw new FormatError(`cannot read ${FILES_DIR}/: ${codeOf(err)}`);
  }
  return { files, dirs };
}

async function optionalText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FormatError(`cannot read ${path.basename(file)}: ${codeOf(err)}`);
  }
}

interface LoadedCommand extends ReplayCommand {
  stdoutBytes: Buffer;
  stderrBytes: Buffer;
}

/**
 * The host recorded in `dir`. Throws ReplayDirError (a usage error, one line) when the
 * directory is missing or any of its files is invalid.
 */
export async function replayHost(dir: string): Promise<ReplayHost> {
  const root = path.resolve(dir);
  const fail = (why: string): never => {
    throw new ReplayDirError(`replay directory '${dir}': ${why}`);
  };
  const found = await stat(root).catch((err: unknown) => fail(`cannot open it: ${codeOf(err)}`));
  if (!found.isDirectory()) fail('not a directory');
  try {
    const hostText = await optionalText(path.join(root, 'host.json'));
    if (hostText === null) throw new FormatError('host.json is missing');
    const host = parseHostFile(hostText);
    const commandsText = await optionalText(path.join(root, 'commands.json'));
    const commands: LoadedCommand[] = [];
    for (const [i, c] of (commandsText === null ? [] : parseCommandsFile(commandsText)).entries()) {
      commands.push({
        ...c,
        stdoutBytes: await readRecording(root, c.stdout, `commands.json[${i}].stdout`),
        stderrBytes:
          c.stderr === undefined
            ? Buffer.alloc(0)
            : await readRecording(root, c.stderr, `commands.json[${i}].stderr`),
      });
    }
    const systemText = await optionalText(path.join(root, 'system.json'));
    const system = systemText === null ? null : parseSystemFile(systemText, host);
    const foldCase = ignoresCase(host.platform);
    const index = await indexFiles(path.join(root, FILES_DIR), foldCase);
    const lookupKey = (file: string): string | null => {
      const key = recordedPath(host.platform, file);
      return key === null ? null : foldCase ? key.toLowerCase() : key;
    };
    return {
      replayDir: root,
      platform: host.platform,
      hostname: host.hostname,
      machineId: host.machineId,
      env: host.env,
      now: () => (host.now ? new Date(host.now) : new Date()),
      async run(file: string, args: readonly string[], options: RunOptions) {
        const entry = findCommand(commands, file, args);
        if (!entry) {
          const command = describeCommand(file, args);
          throw new CommandStartError(command, 'ENOENT', notRecorded('spawn', file, root));
        }
        return replayResult(
          entry.stdoutBytes,
          entry.stderrBytes,
          entry.exitCode,
          options.maxOutputBytes,
        );
      },
      async readFile(file: string) {
        const key = lookupKey(file);
        const full = key === null ? undefined : index.files.get(key);
        if (full === undefined) throw notRecorded('open', file, root);
        return readFile(full, 'utf8');
      },
      async exists(file: string) {
        const key = lookupKey(file);
        return key !== null && (index.files.has(key) || index.dirs.has(key));
      },
      async systemInfo() {
        // Never systeminformation here: it would describe this machine, not the recorded one.
        if (system === null)
          throw new Error(`not recorded: no system.json in replay directory ${root}`);
        return structuredClone(system);
      },
    };
  } catch (err) {
    if (err instanceof FormatError) return fail(err.message);
    throw err;
  }
}
