// The SSH server's effective PasswordAuthentication and PermitRootLogin, read from its
// configuration files rather than from `sshd -T` (which needs root on macOS and
// administrator rights on Windows, where the agent may run as a standard user).
//
// Used by the macOS reader (/etc/ssh/sshd_config, which since macOS 13 starts with
// 'Include /etc/ssh/sshd_config.d/*') and by the Windows reader
// (%ProgramData%\ssh\sshd_config). sshd's rules, as sshd_config(5) states them: the first
// value obtained for a keyword wins; an Include inserts the matching files at that point,
// in lexical order; keywords are case-insensitive; a Match block applies only to some
// connections, so what follows a Match line is not the global setting. Unset keywords take
// OpenSSH's defaults (PasswordAuthentication yes, PermitRootLogin prohibit-password since
// OpenSSH 7.0).

export interface SshdSettings {
  passwordAuthentication: boolean | null;
  /** yes, no, prohibit-password (also written without-password), forced-commands-only */
  permitRootLogin: string | null;
  /** why a value is unknown; null when both were read */
  reason: string | null;
}

export interface SshdConfigFiles {
  /** the file's text; throws when it cannot be read (err.code ENOENT when missing) */
  readFile(path: string): Promise<string>;
  /** file names in a directory; throws when the directory cannot be listed */
  listDir(dir: string): Promise<string[]>;
}

export type SshdLine =
  | { kind: 'setting'; keyword: string; value: string }
  | { kind: 'include'; patterns: string[] }
  | { kind: 'match' };

/** Directives of one config file in order; comments and blank lines dropped. */
export function parseSshdConfig(text: string): SshdLine[] {
  const out: SshdLine[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // 'Keyword value' or 'Keyword=value'
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toLowerCase();
    const value = m[2]!.replace(/\s+#.*$/, '').trim();
    if (keyword === 'match') out.push({ kind: 'match' });
    else if (keyword === 'include')
      out.push({ kind: 'include', patterns: value.split(/\s+/).filter(Boolean) });
    else out.push({ kind: 'setting', keyword, value: value.replace(/^"(.*)"$/, '$1') });
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** 'without-password' is how older sshd versions and `sshd -T` spell prohibit-password. */
export function normalisePermitRootLogin(value: string): string | null {
  const v = value.toLowerCase();
  if (v === 'without-password') return 'prohibit-password';
  return ['yes', 'no', 'prohibit-password', 'forced-commands-only'].includes(v) ? v : null;
}

const WANTED = ['passwordauthentication', 'permitrootlogin'] as const;

/**
 * Reads the main config and what it includes, and returns the two settings as sshd would
 * apply them globally. `separator` is the platform's path separator ('/' or '\\');
 * relative Include paths are relative to the main file's directory, as sshd resolves them
 * against /etc/ssh (or %ProgramData%\ssh).
 */
export async function readSshdSettings(
  files: SshdConfigFiles,
  mainPath: string,
  separator: '/' | '\\' = '/',
): Promise<SshdSettings> {
  const found = new Map<string, string>();
  const problems: string[] = [];
  // Keys found after a file that could not be read: that file may have set them first.
  const doubtful = new Set<string>();
  const baseDir = mainPath.slice(0, mainPath.lastIndexOf(separator));

  const expand = async (pattern: string): Promise<string[]> => {
    const full =
      pattern.startsWith(separator) || /^[A-Za-z]:/.test(pattern)
        ? pattern
        : `${baseDir}${separator}${pattern}`;
    const cut = full.lastIndexOf(separator);
    const dir = full.slice(0, cut);
    const name = full.slice(cut + 1);
    if (!/[*?]/.test(name)) return [full];
    try {
      const re = globToRegExp(name);
      return (await files.listDir(dir))
        .filter((n) => re.test(n))
        .sort()
        .map((n) => `${dir}${separator}${n}`);
    } catch (err) {
      problems.push(
        `the included directory ${dir} could not be listed (${(err as Error).message})`,
      );
      return [];
    }
  };

  // Stops a file at its first Match line: what follows is not the global setting.
  const walk = async (path: string, depth: number): Promise<void> => {
    let text: string;
    try {
      text = await files.readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A missing main file means sshd runs on its defaults; a missing include is skipped.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      problems.push(
        code === 'EACCES' || code === 'EPERM'
          ? `${path} is not readable by the agent's account`
          : `${path} could not be read (${(err as Error).message})`,
      );
      return;
    }
    for (const line of parseSshdConfig(text)) {
      if (found.size === WANTED.length) return;
      if (line.kind === 'match') return;
      if (line.kind === 'include') {
        if (depth >= 8) continue;
        for (const pattern of line.patterns)
          for (const file of await expand(pattern)) await walk(file, depth + 1);
        continue;
      }
      if ((WANTED as readonly string[]).includes(line.keyword) && !found.has(line.keyword)) {
        found.set(line.keyword, line.value);
        if (problems.length > 0) doubtful.add(line.keyword);
      }
    }
  };
  await walk(mainPath, 0);

  const password = doubtful.has('passwordauthentication')
    ? undefined
    : found.get('passwordauthentication');
  const root = doubtful.has('permitrootlogin') ? undefined : found.get('permitrootlogin');
  // A value not found (or found after an unreadable file) may sit in that file: unknown.
  const uncertain = problems.length > 0;
  const passwordAuthentication =
    password !== undefined
      ? /^yes$/i.test(password)
        ? true
        : /^no$/i.test(password)
          ? false
          : null
      : uncertain
        ? null
        : true;
  const permitRootLogin =
    root !== undefined ? normalisePermitRootLogin(root) : uncertain ? null : 'prohibit-password';
  const reasons = [...problems];
  if (password !== undefined && passwordAuthentication === null)
    reasons.push(`PasswordAuthentication '${password}' not understood`);
  if (root !== undefined && permitRootLogin === null)
    reasons.push(`PermitRootLogin '${root}' not understood`);
  return {
    passwordAuthentication,
    permitRootLogin,
    reason: reasons.length > 0 ? reasons.join('; ').slice(0, 512) : null,
  };
}
