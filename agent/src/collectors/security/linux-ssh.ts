// The SSH server on Linux: installed or not, and its effective PermitRootLogin and
// PasswordAuthentication.
//
//   present: an sshd binary (/usr/sbin/sshd, /usr/bin/sshd on Arch)
//   `sshd -T` -> parseSshdT: the effective settings, as sshd itself resolves them. It
//     loads the host keys, so it needs root ("sshd: no hostkeys available -- exiting.").
//   When it fails: /etc/ssh/sshd_config and its Include files, read by sshd-config.ts as
//     sshd reads them (first value wins; conditional Match blocks not counted; OpenSSH's
//     defaults for what no file sets), and the reason says the values come from the files,
//     not from sshd. On RHEL the file is 0600: a non-root agent gets null with the reason.
//     Include directories are listed with `ls -1A` through ctx.host.
import {
  cap,
  failureReason,
  joinReasons,
  succeeded,
  textLines,
  type LinuxSecurityHost,
} from './linux-run.js';
import {
  normalisePermitRootLogin,
  POSIX_SSHD_CONFIG,
  readSshdConfig,
  sshdFlag,
  type SshdConfigAccess,
  type SshdSettings,
} from './sshd-config.js';

/** `sshd -T`: "keyword value" lines, keywords in lower case. */
export function parseSshdT(text: string): SshdSettings {
  const values = new Map<string, string>();
  for (const line of textLines(text)) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (m && !values.has(cap(m, 1).toLowerCase()))
      values.set(cap(m, 1).toLowerCase(), cap(m, 2).trim());
  }
  return {
    permitRootLogin: normalisePermitRootLogin(values.get('permitrootlogin')),
    passwordAuthentication: sshdFlag(values.get('passwordauthentication')),
  };
}

/**
 * sshd_config's files through the Linux host: reads in LinuxSecurityHost's words, and an
 * Include directory's names from `ls -1A` ([] when the directory does not exist; why not
 * when ls fails, as a directory the agent cannot list may hold a setting).
 */
export function linuxSshdConfigAccess(h: LinuxSecurityHost): SshdConfigAccess {
  return {
    read: (path) => h.read(path),
    async listDir(dir) {
      if (!(await h.exists(dir))) return [];
      const ls = (await h.locate('ls')) ?? '/bin/ls';
      const ran = await h.run(ls, ['-1A', '--', dir]);
      if (!succeeded(ran)) return { error: failureReason(ran) };
      return textLines(ran.result.stdout).map((l) => l.trim());
    },
  };
}

export interface SshGroup extends SshdSettings {
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
  const config = await readSshdConfig(linuxSshdConfigAccess(h), POSIX_SSHD_CONFIG);
  const fromFiles = config.permitRootLogin !== null || config.passwordAuthentication !== null;
  return {
    present: true,
    permitRootLogin: config.permitRootLogin,
    passwordAuthentication: config.passwordAuthentication,
    reason: joinReasons([
      failureReason(ran),
      config.reason,
      fromFiles
        ? `values read from ${POSIX_SSHD_CONFIG.config} and its Include files, not sshd's effective settings`
        : null,
    ]),
  };
}
