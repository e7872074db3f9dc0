// Collector `security`: firewall, disk encryption, anti-malware, automatic updates,
// listening services, the SSH server's effective settings, local administrators, guest
// account, secure boot and time synchronisation.
//
// Platforms: linux.ts, windows.ts, macos.ts (each file's header says what it runs and the
//   privileges it needs). A fact the agent cannot read is null with a reason, never false.
// Cadence: hourly.
import type { Collector } from '../types.js';
import { collectLinuxSecurity } from './linux.js';
import { collectMacosSecurity } from './macos.js';
import { collectWindowsSecurity } from './windows.js';

export function createSecurityCollector(): Collector<'security'> {
  return {
    name: 'security',
    cadenceSeconds: 3600,
    platforms: ['linux', 'win32', 'darwin'],
    timeoutSeconds: 300,
    async collect(ctx) {
      const { platform } = ctx.host;
      if (platform === 'win32') return collectWindowsSecurity(ctx);
      if (platform === 'darwin') return collectMacosSecurity(ctx);
      return collectLinuxSecurity(ctx);
    },
  };
}
