// Linux: a systemd system service, /etc/systemd/system/vcio-agent.service.
//
// systemd is the one service manager on every distribution the agent supports (Debian,
// Ubuntu, RHEL and its rebuilds, SUSE, Amazon Linux). On a machine without it (a container,
// Alpine with OpenRC, WSL without systemd) `install` says so and exits 9 rather than
// installing something that never starts.
import { defaultStateDir } from '../state.js';
import { runArguments, type ServiceLayout, type ServiceManager } from './manager.js';
import { exists, hostPath, type ServiceSystem } from './system.js';

export const SYSTEMD_UNIT = 'vcio-agent.service';

/** An argument in a systemd command line: quoted when it needs to be (systemd.syntax). */
function unitArg(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)
    ? arg
    : `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The unit file. Every hardening line says why it is there and why not stricter. */
export function systemdUnit(layout: ServiceLayout): string {
  const exec = [layout.binary, ...runArguments(layout)].map(unitArg).join(' ');
  return `# vcio-agent: written by \`vcio-agent install\`; running install again rewrites it.
[Unit]
Description=vcio agent (inventory, patches, security settings and performance for a vcio collector)
Documentation=https://github.com/vcio/vcio#deploying-the-agent
# The agent keeps reports on disk while the network is down, so it need not wait for it;
# ordering after network-online only makes the first report leave sooner after boot.
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=${exec}
# SIGTERM asks the agent to finish the request on the wire and stop (it exits within
# seconds); the default 90 s stop timeout is only a backstop.
KillMode=mixed
Restart=on-failure
RestartSec=30
# A crash loop (e.g. damaged credentials) retries every 30 s forever rather than giving up:
# an unattended machine has nobody to reset a failed unit.
StartLimitIntervalSec=0
# About 7 MiB less resident memory for a process that sleeps between reports (V8's young
# generation kept small); the single executable honours NODE_OPTIONS like node does.
Environment=NODE_OPTIONS=--max-semi-space-size=1
# Runs as root: the facts it reports need it (firewall rules, disk encryption, sshd's
# effective settings, local administrators, the package managers' databases). The lines
# below take away what it does not need instead.
#
# The whole file system read-only except the state directory, where the agent writes its
# credentials and outbox. It still reads /etc, /usr and the package databases, and runs
# apt, dnf, rpm, zypper, lsblk and ss in list-only modes. dnf and zypper take lock files and
# write their logs even when only listing (dnf -C check-update): their cache, lock and log
# places stay writable ("-": only where they exist).
ProtectSystem=strict
ReadWritePaths=${unitArg(layout.stateDir)}
ReadWritePaths=-/var/cache/dnf -/var/cache/yum -/var/lib/dnf -/var/log -/run
# Home directories are read, never written: read-only rather than hidden, so software
# installed in users' homes stays visible to the inventory.
ProtectHome=read-only
# Its own /tmp: nothing it starts can plant or read files in the shared one.
PrivateTmp=yes
# Neither the agent nor a command it runs can gain privileges (setuid binaries, file
# capabilities) beyond what it started with.
NoNewPrivileges=yes
RestrictSUIDSGID=yes
# It loads no kernel modules and changes no sysctl or cgroup; /proc, /proc/sys and /sys
# stay readable (performance and inventory come from them).
ProtectKernelModules=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
LockPersonality=yes
# Not set, on purpose: PrivateDevices (lsblk and dmidecode read block devices and
# /dev/mem for disk encryption and hardware facts), PrivateNetwork or IPAddressDeny (it
# must reach the collector), MemoryDenyWriteExecute (V8 compiles code at run time).
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}

export const linuxSystemd: ServiceManager = {
  kind: 'systemd',
  layout: (env, stateDir) => ({
    binary: '/opt/vcio/vcio-agent',
    stateDir: stateDir ?? defaultStateDir('linux', env),
    definition: `/etc/systemd/system/${SYSTEMD_UNIT}`,
  }),
  async unsupportedReason(system: ServiceSystem) {
    // sd_booted(3): systemd is the init system exactly when this directory exists.
    if (await exists(hostPath(system, '/run/systemd/system'))) return undefined;
    return 'systemd is not running on this machine (no /run/systemd/system): vcio-agent installs as a systemd service only. Run `vcio-agent run` under your own service manager instead.';
  },
  definition: systemdUnit,
  stop: () => [{ command: 'systemctl', args: ['stop', SYSTEMD_UNIT], mayFail: true }],
  start: () => [
    { command: 'systemctl', args: ['daemon-reload'] },
    { command: 'systemctl', args: ['enable', SYSTEMD_UNIT] },
    { command: 'systemctl', args: ['restart', SYSTEMD_UNIT] },
  ],
  remove: () => [
    { command: 'systemctl', args: ['disable', SYSTEMD_UNIT], mayFail: true },
    // after the unit file is gone: systemd forgets it
    { command: 'systemctl', args: ['daemon-reload'], mayFail: true },
    { command: 'systemctl', args: ['reset-failed', SYSTEMD_UNIT], mayFail: true },
  ],
  async state(system) {
    const result = await system.run('systemctl', ['is-active', SYSTEMD_UNIT]);
    const word = result.stdout.trim();
    if (result.code === 127 || word === '')
      return { running: null, detail: 'systemctl not available' };
    return { running: word === 'active', detail: `systemd: ${word}` };
  },
};
