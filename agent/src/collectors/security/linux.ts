// Collector `security`, Linux side: firewall, disk encryption, anti-malware, automatic
// updates, listening sockets, the SSH server, local administrators, guest account, Secure
// Boot and time synchronisation. One module per group, each with pure parsers tested on
// recorded output:
//
//   linux-firewall.ts    ufw status verbose; firewall-cmd --state / --list-all;
//                        nft list ruleset; iptables -S            (root for all but --state)
//   linux-encryption.ts  lsblk --version; lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINT(S)
//                        (tree form on util-linux < 2.27)                    (no privileges)
//   linux-antimalware.ts clamscan --version; mdatp health --output json;
//                        systemctl is-active <units>; presence of CrowdStrike/SentinelOne
//   linux-updates.ts     apt-config dump (unattended-upgrades), dnf-automatic timers and
//                        automatic.conf, yum-cron                       (files, no root)
//   linux-listening.ts   ss -tulpn                  (process names of others need root)
//   linux-ssh.ts         sshd -T (root), else /etc/ssh/sshd_config and its Includes
//   linux-accounts.ts    /etc/group, /etc/passwd, /etc/sudoers (+ includes; root),
//                        LightDM configuration
//   linux-boot.ts        the SecureBoot EFI variable, else mokutil --sb-state
//   linux-time.ts        timedatectl show|status|timesync-status; chronyc -n tracking;
//                        ntpq -pn
// Platform: Linux (Debian/Ubuntu, RHEL/Fedora and derivatives; SUSE partly).
// Runs: the commands above, one after another, each with LANG=C/LC_ALL=C, an argument
//   array (no shell), a 15 s timeout (30 s for mdatp and clamscan) and bounded output; a
//   directory listing is `ls -1A -- DIR` (HostAccess has no readdir). A tool that is not
//   installed is skipped, never an error.
// Time: about a second on a typical server (each command answers in milliseconds).
// Privileges: runs as any user. Without root, the firewall rules, sshd's effective
//   settings, sudoers and the process owning each socket are unknown: those facts are null
//   with a reason ("'nft list ruleset' needs root (exit 1: ...)"), never false.
// Verified on a Debian 12 container (non-systemd, no firewall tools) by the live test; the
//   other paths on recorded outputs only: NOT verified on a real RHEL, Fedora or SUSE
//   machine, nor with mdatp, CrowdStrike or SentinelOne installed.
import type { SecuritySection } from '@vcio/shared';
import { errorMessage } from '../../errors.js';
import type { CollectContext } from '../types.js';
import { readLinuxAdministrators, readLinuxGuest } from './linux-accounts.js';
import { readLinuxAntimalware } from './linux-antimalware.js';
import { readLinuxSecureBoot } from './linux-boot.js';
import { readLinuxEncryption } from './linux-encryption.js';
import { readLinuxFirewall } from './linux-firewall.js';
import { readLinuxListening } from './linux-listening.js';
import { linuxSecurityHost, type LinuxSecurityHost } from './linux-run.js';
import { readLinuxSsh } from './linux-ssh.js';
import { readLinuxTimeSync } from './linux-time.js';
import { readLinuxAutomaticUpdates } from './linux-updates.js';
import { unknownSecurity } from './unknown.js';

type Group = keyof SecuritySection;

/**
 * Reads one group; a reader that throws (a bug, an unexpected answer) leaves that group
 * unknown with the error as its reason instead of losing the whole section.
 */
async function readGroup<K extends Group>(
  ctx: CollectContext,
  group: K,
  fallback: SecuritySection[K],
  read: () => Promise<SecuritySection[K]>,
): Promise<SecuritySection[K]> {
  try {
    return await read();
  } catch (err) {
    ctx.logger.warn({ err, group }, 'security: reading a group failed');
    return { ...fallback, reason: `could not be read: ${errorMessage(err)}`.slice(0, 512) };
  }
}

export async function collectLinuxSecurity(ctx: CollectContext): Promise<SecuritySection> {
  const h: LinuxSecurityHost = linuxSecurityHost(ctx.host);
  const unknown = unknownSecurity('not read');
  const started = h.now().getTime();
  // One group after another: the agent must stay light, and these are quick.
  const section: SecuritySection = {
    firewall: await readGroup(ctx, 'firewall', unknown.firewall, () => readLinuxFirewall(h)),
    encryption: await readGroup(ctx, 'encryption', unknown.encryption, () =>
      readLinuxEncryption(h),
    ),
    antimalware: await readGroup(ctx, 'antimalware', unknown.antimalware, () =>
      readLinuxAntimalware(h),
    ),
    automaticUpdates: await readGroup(ctx, 'automaticUpdates', unknown.automaticUpdates, () =>
      readLinuxAutomaticUpdates(h),
    ),
    listening: await readGroup(ctx, 'listening', unknown.listening, () => readLinuxListening(h)),
    ssh: await readGroup(ctx, 'ssh', unknown.ssh, () => readLinuxSsh(h)),
    administrators: await readGroup(ctx, 'administrators', unknown.administrators, () =>
      readLinuxAdministrators(h),
    ),
    guest: await readGroup(ctx, 'guest', unknown.guest, () => readLinuxGuest(h)),
    secureBoot: await readGroup(ctx, 'secureBoot', unknown.secureBoot, () =>
      readLinuxSecureBoot(h),
    ),
    timeSync: await readGroup(ctx, 'timeSync', unknown.timeSync, () => readLinuxTimeSync(h)),
  };
  ctx.logger.debug({ durationMs: h.now().getTime() - started }, 'security: Linux read');
  return section;
}
