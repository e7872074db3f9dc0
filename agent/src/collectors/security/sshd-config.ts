// The SSH server's effective PermitRootLogin and PasswordAuthentication, read from its
// configuration files: sshd_config and what it includes. One reader for every platform:
//   - Linux, when `sshd -T` cannot run (it loads the host keys: root only): linux-ssh.ts,
//     files through LinuxSecurityHost, Include directories listed with `ls -1A`;
//   - macOS (/etc/ssh/sshd_config, which since macOS 13 starts with
//     'Include /etc/ssh/sshd_config.d/*'): macos.ts, directories listed with `/bin/ls -1`;
//   - Windows (%ProgramData%\ssh\sshd_config): windows.ts, no directory listing.
// Every file is read through the caller's SshdConfigAccess (ctx.host underneath), so replay
// mode answers it from the recording.
//
// sshd's rules, from sshd_config(5) and sshd(8) and, where those are silent, OpenSSH's
// servconf.c:
//   - one directive a line: a case-insensitive keyword, then its arguments, separated by
//     blanks or one '='; arguments are split as sshd's argv_split does (double or single
//     quotes, backslash escapes) and a word starting with '#' ends the line;
//   - the first value obtained for a keyword wins;
//   - Include inserts the files its glob(3) patterns match at that point, in lexical order;
//     relative paths are relative to /etc/ssh (%ProgramData%\ssh on Windows); a pattern
//     that matches nothing is skipped; includes nest at most 16 deep;
//   - a Match line starts a block that applies only to the connections it matches, until
//     the next Match line or the end of the file (an included file's Match ends with that
//     file); 'Match all' matches every connection, so what follows it is global again;
//   - what no file sets takes OpenSSH's defaults: PasswordAuthentication yes,
//     PermitRootLogin prohibit-password (since OpenSSH 7.0; 'without-password' is its old
//     name);
//   - sshd refuses to start without its configuration file.
// Choices:
//   - Conditional Match blocks are not counted: the values are the global ones. A Match
//     block can loosen them for some users or addresses, which no single value can say.
//   - A file sshd would read that the agent cannot (unreadable, or in a directory it cannot
//     list) may set either value first: a value found after it, or not found at all, is
//     then unknown with the reason, never assumed. A missing include is skipped, as by sshd.
//   - A missing main file (`whenMissing`): unknown on Linux, as sshd does not start without
//     it; the defaults on Windows, where sshd creates it from sshd_config_default when it
//     starts and that file sets neither keyword outside its Match block. macOS keeps the
//     defaults too (see macos.ts).
import { win32 } from 'node:path';
import { errorMessage } from '../../errors.js';
import type { HostAccess } from '../../host.js';

export interface SshdSettings {
  /** yes, no, prohibit-password, forced-commands-only; null when unknown */
  permitRootLogin: string | null;
  passwordAuthentication: boolean | null;
}

export interface SshdConfigResult extends SshdSettings {
  /** why a value is unknown, or what else a technician should know; null when nothing */
  reason: string | null;
}

export type SshdFileRead = { text: string } | { error: string; missing: boolean };

/** How the reader reaches the machine's files. */
export interface SshdConfigAccess {
  /** the file's text, or why not in words naming the path (missing: it does not exist) */
  read(path: string): Promise<SshdFileRead>;
  /** the entry names of a directory ([] when it does not exist), or why it could not be listed */
  listDir(dir: string): Promise<string[] | { error: string }>;
}

export interface SshdConfigLocation {
  /** the main configuration file */
  config: string;
  /** what relative Include paths are relative to (sshd's SSHDIR) */
  configDir: string;
  /** the platform's path separator; on Windows '/' separates too, as sshd converts it */
  separator: '/' | '\\';
  /** a missing main file: sshd's defaults, or unknown with the reason */
  whenMissing: 'defaults' | 'unknown';
}

export const POSIX_SSHD_CONFIG: SshdConfigLocation = {
  config: '/etc/ssh/sshd_config',
  configDir: '/etc/ssh',
  separator: '/',
  whenMissing: 'unknown',
};

/** OpenSSH for Windows: the file at `config` (%ProgramData%\ssh\sshd_config). */
export function windowsSshdConfig(config: string): SshdConfigLocation {
  return { config, configDir: win32.dirname(config), separator: '\\', whenMissing: 'defaults' };
}

/** SshdConfigAccess.read through a HostAccess, in words for a technician. */
export function hostFileReader(host: HostAccess): SshdConfigAccess['read'] {
  return async (path) => {
    try {
      return { text: await host.readFile(path) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR')
        return { error: `${path} does not exist`, missing: true };
      if (code === 'EACCES' || code === 'EPERM')
        return { error: `${path} is not readable by the agent's account`, missing: false };
      return { error: `${path} could not be read (${errorMessage(err)})`, missing: false };
    }
  };
}

export type SshdLine =
  | { kind: 'setting'; keyword: string; args: string[] }
  | { kind: 'include'; patterns: string[] }
  /** all: 'Match all', which every connection matches */
  | { kind: 'match'; all: boolean };

/**
 * A directive's arguments as sshd's argv_split splits them: blanks separate, quotes group,
 * a backslash escapes a quote, a backslash or (outside quotes) a blank, and a word starting
 * with '#' ends the line. null when a quote is not closed (sshd rejects the line).
 */
export function splitSshdArgs(text: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    if (text[i] === '#') break;
    let arg = '';
    let quote = '';
    for (; i < text.length; i++) {
      const c = text.charAt(i);
      const next = text.charAt(i + 1);
      if (
        c === '\\' &&
        (next === '"' || next === "'" || next === '\\' || (!quote && next === ' '))
      ) {
        arg += next;
        i++;
      } else if (!quote && (c === ' ' || c === '\t')) break;
      else if (!quote && (c === '"' || c === "'")) quote = c;
      else if (quote && c === quote) quote = '';
      else arg += c;
    }
    if (quote) return null;
    args.push(arg);
  }
  return args;
}

/** The directives of one file in order; comments, blank lines and bare keywords dropped. */
export function parseSshdConfig(text: string): SshdLine[] {
  const out: SshdLine[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // 'Keyword value' or 'Keyword=value'; a keyword without a value is an error for sshd
    const m = /^([^\s=]+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const keyword = (m[1] ?? '').toLowerCase();
    const rest = m[2] ?? '';
    // an unclosed quote makes sshd reject the file; its words are kept as written
    const args = splitSshdArgs(rest) ?? rest.split(/\s+/);
    if (keyword === 'match')
      out.push({ kind: 'match', all: args.length === 1 && args[0]?.toLowerCase() === 'all' });
    else if (keyword === 'include') out.push({ kind: 'include', patterns: args });
    else if (args.length > 0) out.push({ kind: 'setting', keyword, args });
  }
  return out;
}

const PERMIT_ROOT_LOGIN = ['yes', 'no', 'prohibit-password', 'forced-commands-only'];

/**
 * One spelling of a PermitRootLogin value: lower case, and 'without-password' (older sshd,
 * and how `sshd -T` prints it) as 'prohibit-password'. null when sshd would not accept it.
 */
export function normalisePermitRootLogin(value: string | undefined): string | null {
  const v = value?.trim().toLowerCase();
  if (v === 'without-password') return 'prohibit-password';
  return v !== undefined && PERMIT_ROOT_LOGIN.includes(v) ? v : null;
}

/** sshd's yes/no (case-insensitive); null for anything else. */
export function sshdFlag(value: string | undefined): boolean | null {
  const v = value?.trim().toLowerCase();
  return v === 'yes' ? true : v === 'no' ? false : null;
}

/** Does a path component hold glob(3) wildcards? (Escaped ones do not count with escapes.) */
function hasWildcard(component: string, escapes: boolean): boolean {
  return escapes ? /(^|[^\\])(\\\\)*[*?[]/.test(component) : /[*?[]/.test(component);
}

const escapeRegExp = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * One path component's glob(3) pattern as a RegExp: * and ? (not across '/'), [...] and
 * [!...] classes, backslash escapes (POSIX only: on Windows the backslash separates), and a
 * leading '.' matched only by a pattern that starts with one, as glob(3) does.
 */
export function globToRegExp(pattern: string, escapes = true): RegExp {
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (escapes && c === '\\' && i + 1 < pattern.length) body += escapeRegExp(pattern.charAt(++i));
    else if (c === '*') body += '[^/]*';
    else if (c === '?') body += '[^/]';
    else if (c === '[') {
      // ']' right after '[' or '[!' belongs to the class; no closing ']' makes '[' literal
      let end = i + 1;
      if (pattern[end] === '!') end++;
      if (pattern[end] === ']') end++;
      end = pattern.indexOf(']', end);
      if (end < 0) {
        body += '\\[';
        continue;
      }
      let inner = pattern.slice(i + 1, end);
      const negate = inner.startsWith('!');
      if (negate) inner = inner.slice(1);
      body += `[${negate ? '^' : ''}${inner.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else body += escapeRegExp(c);
  }
  const explicitDot = pattern.startsWith('.') || (escapes && pattern.startsWith('\\.'));
  return new RegExp(`^${explicitDot ? '' : '(?!\\.)'}${body}$`);
}

/** OpenSSH's SERVCONF_MAX_DEPTH: sshd stops with an error when includes nest deeper. */
export const MAX_INCLUDE_DEPTH = 16;
/** Files read at most, whatever the includes expand to. */
export const MAX_CONFIG_FILES = 256;

const WANTED = ['passwordauthentication', 'permitrootlogin'] as const;

function joinReasons(reasons: readonly string[]): string | null {
  if (reasons.length === 0) return null;
  const text = [...new Set(reasons)].join('; ');
  return text.length <= 512 ? text : `${text.slice(0, 509)}...`;
}

/**
 * The main configuration file and what it includes, read as sshd reads them, and the two
 * settings as sshd applies them outside Match blocks.
 */
export async function readSshdConfig(
  access: SshdConfigAccess,
  where: SshdConfigLocation,
): Promise<SshdConfigResult> {
  const sep = where.separator;
  const windows = sep === '\\';
  const found = new Map<string, string[]>();
  // Keywords found after a file that could not be read: that file may have set them first.
  const doubtful = new Set<string>();
  const problems: string[] = [];
  const notes: string[] = [];
  let reads = 0;

  const isAbsolute = (p: string): boolean =>
    windows ? /^([A-Za-z]:|[\\/])/.test(p) : p.startsWith('/');

  /** The files an Include pattern names, sorted as glob(3) sorts them. */
  const expand = async (pattern: string): Promise<string[]> => {
    const full = isAbsolute(pattern) ? pattern : `${where.configDir}${sep}${pattern}`;
    const [root = '', ...components] = full.split(windows ? /[\\/]/ : '/');
    let paths = [root];
    for (const component of components) {
      if (component === '') continue;
      if (!hasWildcard(component, !windows)) {
        const literal = windows ? component : component.replace(/\\(.)/g, '$1');
        paths = paths.map((p) => `${p}${sep}${literal}`);
        continue;
      }
      const re = globToRegExp(component, !windows);
      const next: string[] = [];
      for (const parent of paths) {
        const dir = parent === '' ? sep : parent;
        const names = await access.listDir(dir);
        if (!Array.isArray(names)) {
          problems.push(`the included directory ${dir} could not be listed (${names.error})`);
          continue;
        }
        for (const name of names) if (re.test(name)) next.push(`${parent}${sep}${name}`);
      }
      paths = next;
    }
    return paths.sort();
  };

  const walk = async (text: string, depth: number): Promise<void> => {
    // what follows a Match line applies only to matching connections, until 'Match all'
    let global = true;
    for (const line of parseSshdConfig(text)) {
      if (line.kind === 'match') {
        global = line.all;
        continue;
      }
      if (!global) continue;
      if (line.kind === 'setting') {
        if ((WANTED as readonly string[]).includes(line.keyword) && !found.has(line.keyword)) {
          found.set(line.keyword, line.args);
          if (problems.length > 0) doubtful.add(line.keyword);
        }
        continue;
      }
      for (const pattern of line.patterns) {
        if (found.size === WANTED.length) return;
        for (const file of await expand(pattern)) {
          if (found.size === WANTED.length) return;
          if (depth >= MAX_INCLUDE_DEPTH) {
            notes.push(
              `Include nests deeper than ${MAX_INCLUDE_DEPTH} levels at ${file} (a loop?): sshd does not start with this configuration`,
            );
            continue;
          }
          if (reads >= MAX_CONFIG_FILES) {
            problems.push(`the includes name more than ${MAX_CONFIG_FILES} files: not all read`);
            return;
          }
          reads++;
          const included = await access.read(file);
          if ('text' in included) await walk(included.text, depth + 1);
          else if (!included.missing) problems.push(included.error);
        }
      }
    }
  };

  reads++;
  const main = await access.read(where.config);
  if ('text' in main) await walk(main.text, 0);
  else if (!main.missing) problems.push(main.error);
  else if (where.whenMissing === 'unknown')
    problems.push(`${main.error} (sshd does not start without it)`);

  // A value not found, or found after a file that could not be read, may sit in that file.
  const uncertain = problems.length > 0;
  const reasons = [...problems, ...notes];
  const value = (keyword: string): string[] | undefined =>
    doubtful.has(keyword) ? undefined : found.get(keyword);
  const single = (args: string[]): string | undefined => (args.length === 1 ? args[0] : undefined);

  const password = value('passwordauthentication');
  let passwordAuthentication: boolean | null = uncertain ? null : true;
  if (password !== undefined) {
    passwordAuthentication = sshdFlag(single(password));
    if (passwordAuthentication === null)
      reasons.push(`PasswordAuthentication '${password.join(' ')}' not understood`);
  }
  const root = value('permitrootlogin');
  let permitRootLogin: string | null = uncertain ? null : 'prohibit-password';
  if (root !== undefined) {
    permitRootLogin = normalisePermitRootLogin(single(root));
    if (permitRootLogin === null)
      reasons.push(`PermitRootLogin '${root.join(' ')}' not understood`);
  }
  return { permitRootLogin, passwordAuthentication, reason: joinReasons(reasons) };
}
