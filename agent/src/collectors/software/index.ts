// Collector `software`: installed software from every package database the machine has.
//
// Platforms and what runs (details in each file's header):
//   Linux   linux.ts: dpkg-query -W -f, rpm -qa --queryformat (whichever exist).
//   Windows windows.ts: the Uninstall keys of HKLM in the 64- and 32-bit registry views and
//           per-machine Windows Installer products, through PowerShell to JSON.
//   macOS   macos.ts: system_profiler -json SPApplicationsDataType, pkgutil receipts,
//           Homebrew (brew info --json=v2 --installed) where present.
// Cadence: hourly. The list is sent whole only when its hash changed since the collector
//   acknowledged it (software-upload.ts, applied when the report is queued).
import type { SoftwareSection } from '@vcio/shared';
import { MAX_SOFTWARE_ITEMS, softwareHash } from '@vcio/shared/agent';
import type { Collector } from '../types.js';
import { readLinuxSoftware } from './linux.js';
import { readMacosSoftware } from './macos.js';
import type { SoftwareRead } from './read.js';
import { readWindowsSoftware } from './windows.js';

export function toSoftwareSection(read: SoftwareRead): SoftwareSection {
  const items = read.items.slice(0, MAX_SOFTWARE_ITEMS);
  return { hash: softwareHash(items), count: items.length, items, sources: read.sources };
}

export function createSoftwareCollector(): Collector<'software'> {
  return {
    name: 'software',
    cadenceSeconds: 3600,
    platforms: ['linux', 'win32', 'darwin'],
    timeoutSeconds: 300,
    async collect(ctx) {
      const { platform } = ctx.host;
      const read =
        platform === 'win32'
          ? await readWindowsSoftware(ctx)
          : platform === 'darwin'
            ? await readMacosSoftware(ctx)
            : await readLinuxSoftware(ctx);
      return toSoftwareSection(read);
    },
  };
}
