// Encryption checks (CIS 3.6, 3.11): whether the system volume and every fixed volume are
// encrypted and, on Windows, whether BitLocker protection is actually on.
import type { EncryptedVolume } from '../../report/security.js';
import {
  byShare,
  defineCheck,
  fail,
  notApplicable,
  partial,
  pass,
  unknown,
} from '../evaluation.js';
import type { Check, Evaluation, HostPostureInput } from '../types.js';

const ALL = ['linux', 'windows', 'darwin'] as const;

function volumes(input: HostPostureInput): EncryptedVolume[] | Evaluation {
  const group = input.sections.security?.encryption;
  if (!group) return unknown('security: section not reported');
  if (group.volumes.length === 0)
    return unknown(`security.encryption: ${group.reason ?? 'no volume reported'}`);
  return group.volumes;
}

const label = (v: EncryptedVolume): string => v.mount ?? v.device ?? 'a volume';

function systemVolume(input: HostPostureInput): EncryptedVolume | Evaluation {
  const all = volumes(input);
  if (!Array.isArray(all)) return all;
  const system = all.find((v) => v.system === true);
  if (!system) return unknown('security.encryption: no volume is marked as the system volume');
  return system;
}

export const osDiskNotEncrypted = defineCheck(
  {
    id: 'encryption-os-disk',
    title: 'Operating system disk not encrypted',
    category: 'encryption',
    weight: 8,
    cis: ['3.6', '3.11'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Windows: enable BitLocker on C: (manage-bde -on C: -RecoveryPassword, escrow the key to Entra ID/AD or your RMM). macOS: turn on FileVault (fdesetup enable) and escrow the recovery key. Linux: LUKS needs a reinstall or an offline cryptsetup reencrypt; plan it with the client.',
  },
  (input) => {
    const system = systemVolume(input);
    if ('status' in system) return system;
    const method = system.method ? ` (${system.method})` : '';
    if (system.encrypted === null)
      return unknown(`security.encryption: state of ${label(system)} not readable`);
    if (!system.encrypted) return fail(`${label(system)} not encrypted`);
    const pct = system.percentEncrypted;
    if (pct !== null && pct < 100)
      return partial(pct / 100, `${label(system)} ${pct}% encrypted${method}`);
    return pass(`${label(system)} encrypted${method}`);
  },
);

export const fixedVolumesNotEncrypted = defineCheck(
  {
    id: 'encryption-all-fixed-volumes',
    title: 'Not every fixed volume encrypted',
    category: 'encryption',
    weight: 5,
    cis: ['3.11'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Encrypt the data volumes listed: Windows: manage-bde -on D: and turn on auto-unlock (manage-bde -autounlock -enable D:); Linux: move the data to a LUKS volume; macOS: external APFS volumes can be encrypted in Disk Utility.',
  },
  (input) => {
    const all = volumes(input);
    if (!Array.isArray(all)) return all;
    const unread = all.filter((v) => v.encrypted === null);
    if (unread.length > 0)
      return unknown(`security.encryption: state of ${unread.map(label).join(', ')} not readable`);
    const plain = all.filter((v) => v.encrypted === false);
    const evidence = plain.length
      ? `not encrypted: ${plain.map(label).join(', ')}`
      : `all ${all.length} volume(s) encrypted`;
    return byShare(all.length - plain.length, all.length, evidence);
  },
);

export const bitlockerSuspended = defineCheck(
  {
    id: 'encryption-bitlocker-suspended',
    title: 'BitLocker protection suspended',
    category: 'encryption',
    weight: 6,
    cis: ['3.6'],
    platforms: ['windows'],
    severity: 'high',
    remediation:
      'Resume BitLocker protection (Resume-BitLocker -MountPoint C: or manage-bde -protectors -enable C:); while suspended the key sits in clear on the disk. Find what suspended it (firmware update, a script with -RebootCount 0).',
  },
  (input) => {
    const system = systemVolume(input);
    if ('status' in system) return system;
    if (system.encrypted !== true)
      return notApplicable(`${label(system)} not encrypted (see encryption-os-disk)`);
    if (system.protectionOn === null)
      return unknown(`security.encryption: protection state of ${label(system)} not readable`);
    return system.protectionOn
      ? pass(`BitLocker protection on for ${label(system)}`)
      : fail(`BitLocker protection suspended on ${label(system)}`);
  },
);

export const encryptionChecks: readonly Check[] = [
  osDiskNotEncrypted,
  fixedVolumesNotEncrypted,
  bitlockerSuspended,
];
