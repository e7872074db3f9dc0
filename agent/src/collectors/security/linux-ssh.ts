// The SSH server on Linux: installed or not, and its effective PermitRootLogin and
// PasswordAuthentication.
//
//   present: an sshd binary (/usr/sbin/sshd, /usr/bin/sshd on Arch)
//   `sshd -T` -> parseSshdT: the effective settings, as sshd itself resolves them. It
//     loads the host keys, so it needs root ("sshd: no hostkeys available -- exiting.").
//   When it fails: /etc/ssh/sshd_config and its Include files -> parseSshdConfig and
//     effectiveSshdSettings (first value wins, as in sshd; Match blocks are conditional and
//     ignored; defaults PermitRootLogin prohibit-password, PasswordAuthentication yes), and
//     the reason says the values come from the files, not from sshd. On RHEL the file is
//     0600: a non-root agent gets null with the reason.
import {
  cap,
  failureReason,
  joinReasons,
  succeeded,
  textLines,
  type LinuxSecurityHost,
} from './linux-run.js';

export interface SshSettings {
  permitRootLogin: string | null;
  passwordAuthentication: boolean | null;
}

/** sshd -T prints "without-password", the old name of "prohibit-password": one spelling. */
export function normalisePermitRootLogin(value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') return null;
  const v = value.trim().toLowerCase();
  return (v === 'without-password' ? 'prohibit-password' : v).slice(0, 32);
}

const yesNo = (v: string | undefined): boolean | null =>
  v === undefined
    ? null
    : v.toLowerCase() === 'yes'
      ? true
      : v.toLowerCase() === 'no'
        ? false
        : null;

/** `sshd -T`: "keyword value" lines, keywords in lower case. */
export function parseSshdT(text: string): SshSettings {
  const values = new Map<string, string>();
  for (const line of textLines(text)) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m && !values.has(cap(m, 1).toLowerCase()))
      values.set(cap(m, 1).toLowerCase(), cap(m, 2).trim());
  }
  return {
    permitRootLogin: normalisePermitRootLogin(values.get('permitrootlogin')),
    passwordAuthentication: yesNo(values.get('passwordauthentication')),
  };
}

export interface SshdDirective {
  keyword: string;
  value: string;
}

/**
 * sshd_config's global section as ordered directives (keyword lower-cased). Stops at the
 * first Match: what follows applies only to some connections. `Keyword=value` and quoted
 * values are accepted as sshd accepts them.
 */
export function parseSshdConfig(text: string): { directives: SshdDirective[]; sawMatch: boolean } {
  const directives: SshdDirective[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const keyword = cap(m, 1).toLowerCase();
    if (keyword === 'match') return { directives, sawMatch: true };
    directives.push({
      keyword,
      value: cap(m, 2)
        .replace(/^"(.*)"$/, '$1')
        .trim(),
    });
  }
  return { directives, sawMatch: false };
}

/** First value wins, as in sshd; OpenSSH's defaults for what no file sets. */
export function effectiveSshdSettings(directives: readonly SshdDirective[]): SshSettings {
  const first = (keyword: string): string | undefined =>
    directives.find((d) => d.keyword === keyword)?.value.split(/\s+/)[0];
  return {
    permitRootLogin: normalisePermitRootLogin(first('permitrootlogin') ?? 'prohibit-password'),
    passwordAuthentication: yesNo(first('passwordauthentication') ?? 'yes'),
  };
}

/** A glob as sshd's Include uses it (*, ?, [...]) in the last path component. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

export const SSH_PATHS = { config: '/etc/ssh/sshd_config', configDir: '/etc/ssh' };

/**
 * The global directives of sshd_config with its Include files expanded in place (relative
 * paths are under /etc/ssh; globs sorted, as glob(3) returns them). null with the reason
 * when the main file cannot be read.
 */
export async function readSshdConfigTree(
  h: LinuxSecurityHost,
): Promise<{ directives: SshdDirective[] } | { error: string }> {
  const main = await h.read(SSH_PATHS.config);
  if ('error' in main) return { error: main.error };
  const expand = async (text: string, depth: number): Promise<SshdDirective[]> => {
    const out: SshdDirective[] = [];
    for (const d of parseSshdConfig(text).directives) {
      if (d.keyword !== 'include') {
        out.push(d);
        continue;
      }
      if (depth >= 8) continue;
      for (const raw of d.value.split(/\s+/).filter(Boolean)) {
        const pattern = raw.startsWith('/') ? raw : `${SSH_PATHS.configDir}/${raw}`;
        const slash = pattern.lastIndexOf('/');
        const dir = pattern.slice(0, slash);
        const name = pattern.slice(slash + 1);
        const files = /[*?[]/.test(name)
          ? (await h.listDir(dir))
              .filter((f) => globToRegExp(name).test(f))
              .map((f) => `${dir}/${f}`)
          : [pattern];
        for (const file of files) {
          const included = await h.readOptional(file);
          if (included !== null) out.push(...(await expand(included, depth + 1)));
        }
      }
    }
    return out;
  };
  return { directives: await expand(main.text, 0) };
}

export interface SshGroup extends SshSettings {
  present: boolean | null;
  reason: string | null;
}

export async function readLinuxSsh(h: LinuxSecurityHost): Promise<SshGroup> {
  const sshd = await h.locate('sshd');
  if (sshd === null)
    return {
      present: false,
      permitRootLogin: null,
      passwordAuthentication: null,
      reason: 'no sshd installed',
    };
  const ran = await h.run(sshd, ['-T']);
  if (succeeded(ran)) return { present: true, ...parseSshdT(ran.result.stdout), reason: null };
  const why = failureReason(ran);
  const tree = await readSshdConfigTree(h);
  if ('error' in tree)
    return {
      present: true,
      permitRootLogin: null,
      passwordAuthentication: null,
      reason: joinReasons([why, tree.error]),
    };
  return {
    present: true,
    ...effectiveSshdSettings(tree.directives),
    reason: joinReasons([
      why,
      `values read from ${SSH_PATHS.config} and its Include files, not sshd's effective settings`,
    ]),
  };
}
