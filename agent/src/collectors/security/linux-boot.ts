// Secure Boot on Linux.
//
//   In a container (/.dockerenv, /run/.containerenv, /run/systemd/container): unknown, the
//     boot is the host's.
//   UEFI boot (/sys/firmware/efi exists): the SecureBoot EFI variable (world-readable in
//     efivarfs; 4 attribute bytes, then 1 = on, 0 = off) -> parseEfiSecureBootVar; when it
//     cannot be read, `mokutil --sb-state` -> parseMokutilSbState.
//   No /sys/firmware/efi but the firmware is visible (/sys/firmware/acpi, dmi or
//     devicetree): booted without UEFI (legacy BIOS, U-Boot), where Secure Boot does not
//     exist: enabled false, reason null. Secure Boot is then not protecting the boot, which
//     is what the posture check asks; the technician sees "off" and can tell BIOS machines
//     apart by their age.
//   /sys/firmware empty or missing: unknown ("firmware not visible").
// Privileges: none.
import {
  bounded,
  cap,
  failureReason,
  succeeded,
  textLines,
  type LinuxSecurityHost,
} from './linux-run.js';

export const BOOT_PATHS = {
  containerMarkers: ['/.dockerenv', '/run/.containerenv'],
  systemdContainer: '/run/systemd/container',
  efi: '/sys/firmware/efi',
  secureBootVar: '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c',
  firmwareWithoutEfi: ['/sys/firmware/acpi', '/sys/firmware/dmi', '/sys/firmware/devicetree'],
};

/**
 * The SecureBoot variable as read through HostAccess (text): its fifth byte. Bytes below
 * 0x80 decode one character each, so the index holds. null when it is too short or odd.
 */
export function parseEfiSecureBootVar(text: string): boolean | null {
  if (text.length < 5) return null;
  const value = text.charCodeAt(4);
  return value === 1 ? true : value === 0 ? false : null;
}

/** `mokutil --sb-state`: "SecureBoot enabled" / "SecureBoot disabled". */
export function parseMokutilSbState(text: string): boolean | null {
  for (const line of textLines(text)) {
    const m = /^SecureBoot (enabled|disabled)\b/i.exec(line.trim());
    if (m) return cap(m, 1).toLowerCase() === 'enabled';
  }
  return null;
}

/** Why this looks like a container, or null. */
export async function containerMarker(h: LinuxSecurityHost): Promise<string | null> {
  for (const marker of BOOT_PATHS.containerMarkers) if (await h.exists(marker)) return marker;
  const systemd = await h.readOptional(BOOT_PATHS.systemdContainer);
  // The file holds one word (docker, lxc, podman); bounded so that odd content cannot push
  // the reason past the contract's 512 characters (found by test/parser-fuzz).
  return systemd === null
    ? null
    : `${BOOT_PATHS.systemdContainer}: ${bounded(systemd, 64) ?? 'yes'}`;
}

export interface SecureBootGroup {
  enabled: boolean | null;
  reason: string | null;
}

export async function readLinuxSecureBoot(h: LinuxSecurityHost): Promise<SecureBootGroup> {
  const container = await containerMarker(h);
  if (container !== null)
    return {
      enabled: null,
      reason: `running in a container (${container}): Secure Boot is the host's`,
    };
  if (await h.exists(BOOT_PATHS.efi)) {
    const text = await h.readOptional(BOOT_PATHS.secureBootVar);
    const fromVar = text === null ? null : parseEfiSecureBootVar(text);
    if (fromVar !== null) return { enabled: fromVar, reason: null };
    const mokutil = await h.locate('mokutil');
    if (mokutil === null)
      return {
        enabled: null,
        reason: 'the SecureBoot EFI variable is not readable and mokutil is not installed',
      };
    const ran = await h.run(mokutil, ['--sb-state']);
    // mokutil writes its answer to stdout and "EFI variables are not supported" to stderr
    const state = parseMokutilSbState(
      ran.kind === 'done' ? `${ran.result.stdout}\n${ran.result.stderr}` : '',
    );
    if (state !== null) return { enabled: state, reason: null };
    return {
      enabled: null,
      reason: succeeded(ran) ? `'${ran.command}' gave no state` : failureReason(ran),
    };
  }
  for (const path of BOOT_PATHS.firmwareWithoutEfi)
    if (await h.exists(path)) return { enabled: false, reason: null };
  return { enabled: null, reason: 'firmware not visible (/sys/firmware is empty: container?)' };
}
