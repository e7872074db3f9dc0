// Collector `patches`: pending updates, the last successful install and pending reboots,
// from whatever package manager or update service this machine has.
//
// Platforms and what runs (details in each file's header):
//   Linux   apt.ts, dnf.ts (dnf or yum), zypper.ts via linux.ts: apt list --upgradable,
//           dnf -C check-update + updateinfo + needs-restarting -r, zypper list-patches;
//           /var/run/reboot-required; never refreshes package lists itself.
//   Windows windows.ts: the Windows Update Agent COM API through PowerShell, pending-reboot
//           registry keys, Get-HotFix as a fallback for the last install.
//   macOS   macos.ts: softwareupdate --list.
// Time: seconds on Linux; a Windows Update search or softwareupdate can take minutes, so
//   the default cadence is every 6 hours and the timeout 15 minutes.
// Privileges: none required to read; run as root/SYSTEM for the fullest answers.
// A source that cannot answer is reported with ok: false and its error, never as
// "0 pending".
import type { Collector } from '../types.js';
import { collectLinuxPatches, linuxPatchDeps } from './linux.js';
import { collectMacosPatches, macosPatchDeps } from './macos.js';
import { collectWindowsPatches, windowsPatchDeps } from './windows.js';

export function createPatchesCollector(): Collector<'patches'> {
  return {
    name: 'patches',
    cadenceSeconds: 6 * 3600,
    platforms: ['linux', 'win32', 'darwin'],
    timeoutSeconds: 900,
    async collect(ctx) {
      const { host } = ctx;
      if (host.platform === 'win32') return collectWindowsPatches(ctx, windowsPatchDeps(host));
      if (host.platform === 'darwin') return collectMacosPatches(ctx, macosPatchDeps(host));
      return collectLinuxPatches(ctx, linuxPatchDeps(host));
    },
  };
}
