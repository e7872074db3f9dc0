// Identity checks (CIS 5.2, 5.4, 4.7): who can log in and with what rights: SSH root and
// password logins, the number of local administrators, the guest account.
import { defineCheck, fail, notApplicable, partial, pass, unknown } from '../evaluation.js';
import type { Check, Evaluation, HostPostureInput } from '../types.js';
import type { SecuritySection } from '../../report/security.js';

const ALL = ['linux', 'windows', 'darwin'] as const;

/** The SSH facts when an SSH server is present, or what stops the check. */
function sshServer(input: HostPostureInput): SecuritySection['ssh'] | Evaluation {
  const ssh = input.sections.security?.ssh;
  if (!ssh) return unknown('security: section not reported');
  if (ssh.present === false) return notApplicable('no SSH server installed');
  if (ssh.present === null)
    return unknown(`security.ssh: ${ssh.reason ?? 'presence not readable'}`);
  return ssh;
}

export const sshRootLogin = defineCheck(
  {
    id: 'identity-ssh-root-login',
    title: 'SSH allows root login',
    category: 'identity',
    weight: 7,
    cis: ['5.4'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Set PermitRootLogin no in /etc/ssh/sshd_config (or a file in sshd_config.d), check with sshd -T | grep permitrootlogin, then systemctl reload ssh(d). Administrators log in as themselves and use sudo.',
  },
  (input) => {
    const ssh = sshServer(input);
    if ('status' in ssh) return ssh;
    const value = ssh.permitRootLogin?.toLowerCase() ?? null;
    if (value === null)
      return unknown(`security.ssh: ${ssh.reason ?? 'permitrootlogin not readable'}`);
    if (value === 'no') return pass('PermitRootLogin no');
    if (value === 'yes') return fail('PermitRootLogin yes');
    // prohibit-password / without-password / forced-commands-only: root with a key only.
    return partial(0.5, `PermitRootLogin ${value}: root may log in with a key`);
  },
);

export const sshPasswordAuth = defineCheck(
  {
    id: 'identity-ssh-password-auth',
    title: 'SSH allows password authentication',
    category: 'identity',
    weight: 6,
    cis: ['5.2'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Set PasswordAuthentication no (and KbdInteractiveAuthentication no) in sshd_config once every user has a key, check with sshd -T, then reload sshd. Windows OpenSSH: the same in %ProgramData%\\ssh\\sshd_config.',
  },
  (input) => {
    const ssh = sshServer(input);
    if ('status' in ssh) return ssh;
    if (ssh.passwordAuthentication === null)
      return unknown(`security.ssh: ${ssh.reason ?? 'passwordauthentication not readable'}`);
    return ssh.passwordAuthentication
      ? fail('PasswordAuthentication yes')
      : pass('PasswordAuthentication no');
  },
);

export const tooManyAdmins = defineCheck(
  {
    id: 'identity-too-many-admins',
    title: 'Too many local administrators',
    category: 'identity',
    weight: 6,
    cis: ['5.4'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Remove administrator rights from accounts that do not need them: Windows: Remove-LocalGroupMember -Group Administrators -Member <user> (or LAPS plus a standard user); Linux: gpasswd -d <user> sudo|wheel; macOS: dseditgroup -o edit -d <user> -t user admin.',
  },
  (input, thresholds) => {
    const admins = input.sections.security?.administrators;
    if (!admins) return unknown('security: section not reported');
    if (admins.reason !== null) return unknown(`security.administrators: ${admins.reason}`);
    const n = admins.members.length;
    const evidence = `${n} administrator(s) in ${admins.groups.join(', ') || 'no group read'}: ${admins.members.join(', ')}`;
    return n > thresholds.maxAdmins
      ? fail(`${evidence} (more than ${thresholds.maxAdmins})`)
      : pass(evidence);
  },
);

export const guestEnabled = defineCheck(
  {
    id: 'identity-guest-enabled',
    title: 'Guest account enabled',
    category: 'identity',
    weight: 5,
    cis: ['4.7'],
    platforms: ['windows', 'darwin'],
    severity: 'medium',
    remediation:
      'Disable the guest account: Windows: Disable-LocalUser -Name Guest; macOS: System Settings > Users & Groups > Guest User off (or sysadminctl -guestAccount off).',
  },
  (input) => {
    const guest = input.sections.security?.guest;
    if (!guest) return unknown('security: section not reported');
    if (guest.enabled === null)
      return unknown(`security.guest: ${guest.reason ?? 'state not readable'}`);
    return guest.enabled ? fail('guest account enabled') : pass('guest account disabled');
  },
);

export const identityChecks: readonly Check[] = [
  sshRootLogin,
  sshPasswordAuth,
  tooManyAdmins,
  guestEnabled,
];
