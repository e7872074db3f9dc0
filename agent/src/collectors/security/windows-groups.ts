// The parts of the Windows security script's document (windows-script.ts) as the report's
// groups. Pure: one function per group, the part in, the group out, with the reason a fact
// is unknown in words a technician understands. A part that failed is passed in as its
// PartFailure; the reader (windows.ts) decides about fallbacks before calling these.
import type {
  AntimalwareProduct,
  EncryptedVolume,
  FirewallProduct,
  SecuritySection,
} from '@vcio/shared';
import { psDateToIso } from '../patches/windows.js';
import { uniqueServices, type ListeningSocket } from './listening.js';
import { asArray, record } from '../json-document.js';
import { isAccessDenied, partFailure, str, type PartFailure } from './windows-script.js';

type Group<K extends keyof SecuritySection> = SecuritySection[K];

const why = (text: string): string => text.slice(0, 512);

/** A value that is true/false, 'True'/'False', or 1/0 (an enum or a DWORD). */
function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1' || (typeof value === 'string' && /^true$/i.test(value)))
    return true;
  if (value === 0 || value === '0' || (typeof value === 'string' && /^false$/i.test(value)))
    return false;
  return null;
}

/** An enum by its name or its number (PowerShell 5.1's ConvertTo-Json writes numbers). */
function enumName(value: unknown, byNumber: readonly string[]): string | null {
  if (typeof value === 'number') return byNumber[value] ?? null;
  const s = str(value);
  if (s !== null && /^\d+$/.test(s)) return byNumber[Number(s)] ?? null;
  return s;
}

// ---------------------------------------------------------------------------------------
// firewall

/** GpoBoolean: False 0, True 1, NotConfigured 2. */
const GPO_BOOLEAN = ['False', 'True', 'NotConfigured'];
/** NetSecurity Action: NotConfigured 0, Allow 2, Block 4. */
const FIREWALL_ACTION = ['NotConfigured', '', 'Allow', '', 'Block'];

/**
 * Get-NetFirewallProfile -PolicyStore ActiveStore, one product per profile. NotConfigured
 * means no policy sets the value and Windows applies its default (the firewall on,
 * inbound blocked, as Set-NetFirewallProfile documents): reported as that default, and
 * the detail says so.
 */
export function firewallFromProfiles(part: unknown): Group<'firewall'> {
  const products: FirewallProduct[] = [];
  for (const item of asArray(part)) {
    const p = record(item);
    const name = str(p.Name);
    if (name === null) continue;
    const enabled = enumName(p.Enabled, GPO_BOOLEAN);
    const inbound = enumName(p.DefaultInboundAction, FIREWALL_ACTION);
    const notes: string[] = [];
    if (enabled === 'NotConfigured') notes.push('state not configured: Windows default (on)');
    if (inbound === 'NotConfigured')
      notes.push('inbound action not configured: Windows default (block)');
    products.push({
      name: 'windows-firewall',
      profile: name.toLowerCase().slice(0, 32),
      enabled: enabled === 'NotConfigured' ? true : bool(enabled),
      defaultInbound:
        inbound === 'Allow'
          ? 'allow'
          : inbound === 'Block' || inbound === 'NotConfigured'
            ? 'block'
            : null,
      detail: notes.length > 0 ? notes.join('; ') : null,
    });
  }
  return firewallFromProducts(products.slice(0, 16), 'Get-NetFirewallProfile');
}

/** The group from per-profile products: enabled only when every profile is. */
export function firewallFromProducts(
  products: FirewallProduct[],
  source: string,
): Group<'firewall'> {
  if (products.length === 0)
    return { enabled: null, products: [], reason: why(`${source} listed no firewall profile`) };
  const states = products.map((p) => p.enabled);
  const enabled = states.includes(false) ? false : states.includes(null) ? null : true;
  const unknown = products.filter((p) => p.enabled === null).map((p) => p.profile ?? '?');
  return {
    enabled,
    products,
    reason:
      unknown.length === 0
        ? null
        : why(`${source}: the state of the ${unknown.join(', ')} profile(s) was not understood`),
  };
}

// ---------------------------------------------------------------------------------------
// encryption

/** BitLockerVolumeType: OperatingSystem 0, Data 1. */
const VOLUME_TYPE = ['OperatingSystem', 'Data'];
/** BitLocker VolumeStatus, in enum order. */
const VOLUME_STATUS = [
  'FullyDecrypted',
  'FullyEncrypted',
  'EncryptionInProgress',
  'DecryptionInProgress',
  'EncryptionPaused',
  'DecryptionPaused',
];
/** BitLocker ProtectionStatus: Off 0, On 1, Unknown 2 (a locked volume). */
const PROTECTION_STATUS = ['Off', 'On', 'Unknown'];
/** EncryptionMethod, as Win32_EncryptableVolume numbers it. */
const ENCRYPTION_METHOD = [
  'None',
  'Aes128Diffuser',
  'Aes256Diffuser',
  'Aes128',
  'Aes256',
  'Hardware',
  'XtsAes128',
  'XtsAes256',
];
/**
 * The cmdlet's method names as manage-bde -status spells them, so a volume reads the same
 * whichever of the two answered (the fallback parser keeps manage-bde's text).
 */
const METHOD_AS_MANAGE_BDE: Readonly<Record<string, string>> = {
  Aes128Diffuser: 'AES 128 with Diffuser',
  Aes256Diffuser: 'AES 256 with Diffuser',
  Aes128: 'AES 128',
  Aes256: 'AES 256',
  Hardware: 'Hardware Encryption',
  XtsAes128: 'XTS-AES 128',
  XtsAes256: 'XTS-AES 256',
};

function toVolume(item: unknown): EncryptedVolume | null {
  const v = record(item);
  const mount = str(v.MountPoint);
  const type = enumName(v.VolumeType, VOLUME_TYPE);
  const status = enumName(v.VolumeStatus, VOLUME_STATUS);
  const protection = enumName(v.ProtectionStatus, PROTECTION_STATUS);
  const method = enumName(v.EncryptionMethod, ENCRYPTION_METHOD);
  const pct = typeof v.EncryptionPercentage === 'number' ? v.EncryptionPercentage : null;
  if (mount === null && status === null) return null;
  return {
    mount: mount?.slice(0, 256) ?? null,
    device: null,
    system: type === null ? null : type === 'OperatingSystem',
    // Encrypting, decrypting or paused: not (yet) encrypted; percentEncrypted says how far.
    encrypted:
      status === 'FullyEncrypted'
        ? true
        : status === null
          ? null
          : VOLUME_STATUS.includes(status)
            ? false
            : null,
    method:
      method === null || method === 'None'
        ? null
        : (METHOD_AS_MANAGE_BDE[method] ?? method).slice(0, 64),
    protectionOn: protection === 'On' ? true : protection === 'Off' ? false : null,
    percentEncrypted: pct !== null && pct >= 0 && pct <= 100 ? pct : null,
  };
}

export function encryptionFromBitLocker(part: unknown): Group<'encryption'> {
  const volumes = asArray(part)
    .map(toVolume)
    .filter((v): v is EncryptedVolume => v !== null)
    .slice(0, 64);
  return { volumes, reason: null };
}

/** Why BitLocker could not be read, for a technician. */
export function bitLockerReason(failure: PartFailure): string {
  if (isAccessDenied(failure))
    return why(`Get-BitLockerVolume needs administrator rights (${failure.error})`);
  return why(`Get-BitLockerVolume failed: ${failure.error}`);
}

// ---------------------------------------------------------------------------------------
// antimalware

/**
 * Windows Security Center's productState, as decoded by everyone who has looked (it is
 * not documented): bits 12-15 the scanner state (0 off, 1 on, 2 snoozed, 3 expired),
 * bits 4-7 the signatures (0 up to date, 1 out of date), bits 8-11 the owner (1 Windows).
 * Sources: the PowerShell team's "Identifying Antivirus Engine State" tip (Idera
 * PowerTips, 2020) and neophob.com's "WMI query Windows SecurityCenter2" (2010), which
 * agree. Snoozed and expired products do not protect: enabled false.
 */
export function decodeProductState(state: number): { enabled: boolean; upToDate: boolean | null } {
  const scanner = (state >> 12) & 0xf;
  const signatures = (state >> 4) & 0xf;
  return {
    enabled: scanner === 1,
    upToDate: signatures === 0 ? true : signatures === 1 ? false : null,
  };
}

function defenderProduct(part: Record<string, unknown>): AntimalwareProduct {
  const service = bool(part.AMServiceEnabled);
  const antivirus = bool(part.AntivirusEnabled);
  // Passive (another product is the active antivirus) and EDR block mode: Defender is
  // installed and updated but does not protect in real time.
  const passive = /passive|edr block/i.test(str(part.AMRunningMode) ?? '');
  const enabled =
    passive || service === false || antivirus === false
      ? false
      : service === true && antivirus === true
        ? true
        : null;
  const outOfDate = bool(part.DefenderSignaturesOutOfDate);
  return {
    name: 'Microsoft Defender Antivirus',
    enabled,
    realTimeProtection: bool(part.RealTimeProtectionEnabled),
    signatureVersion: str(part.AntivirusSignatureVersion)?.slice(0, 64) ?? null,
    signaturesUpdatedAt: psDateToIso(part.AntivirusSignatureLastUpdated),
    upToDate: outOfDate === null ? null : !outOfDate,
  };
}

/**
 * Defender from Get-MpComputerStatus (the richer answer) and every product Windows
 * Security Center knows (third-party antivirus included). Defender's own Security Center
 * entry only fills in its up-to-date verdict. Security Center does not exist on Windows
 * Server (ProductType 2 or 3): its absence there is not a gap.
 */
export function antimalwareFromParts(
  defenderPart: unknown,
  securityCenterPart: unknown,
  productType: number | null,
): Group<'antimalware'> {
  const products: AntimalwareProduct[] = [];
  const reasons: string[] = [];
  const defenderFailed = partFailure(defenderPart);
  const defender = defenderFailed ? null : defenderProduct(record(defenderPart));
  if (defender) products.push(defender);
  else if (defenderFailed) reasons.push(`Get-MpComputerStatus failed: ${defenderFailed.error}`);

  const wscFailed = partFailure(securityCenterPart);
  if (wscFailed) {
    const server = productType === 2 || productType === 3;
    if (!server || products.length === 0)
      reasons.push(
        server
          ? 'Windows Security Center does not exist on Windows Server'
          : `Windows Security Center (root/SecurityCenter2) not readable: ${wscFailed.error}`,
      );
  } else {
    for (const item of asArray(securityCenterPart)) {
      const p = record(item);
      const name = str(p.DisplayName);
      const state = typeof p.ProductState === 'number' ? decodeProductState(p.ProductState) : null;
      if (name === null) continue;
      if (defender && /defender/i.test(name)) {
        if (defender.upToDate === null && state) defender.upToDate = state.upToDate;
        continue;
      }
      products.push({
        name: name.slice(0, 128),
        enabled: state?.enabled ?? null,
        realTimeProtection: null,
        signatureVersion: null,
        signaturesUpdatedAt: null,
        upToDate: state?.upToDate ?? null,
      });
    }
  }
  return {
    products: products.slice(0, 16),
    reason: reasons.length ? why(reasons.join('; ')) : null,
  };
}

// ---------------------------------------------------------------------------------------
// automatic updates

const AU_OPTIONS: Readonly<Record<number, { installs: boolean | null; text: string }>> = {
  2: { installs: false, text: 'notify before downloading' },
  3: { installs: false, text: 'download automatically, notify to install' },
  4: { installs: true, text: 'download and install on a schedule' },
  5: { installs: null, text: 'local administrators choose the setting' },
  7: { installs: false, text: 'download automatically, notify to install and to restart' },
};

function integer(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

/**
 * The Windows Update policy (HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU:
 * NoAutoUpdate, AUOptions), the Windows Update service's start type, and the Windows
 * default when no policy is set: Windows 10/11 install updates on their own; on Windows
 * Server that depends on local settings not read here.
 */
export function automaticUpdatesFromParts(
  policyPart: unknown,
  servicePart: unknown,
  productType: number | null,
): Group<'automaticUpdates'> {
  const failed = partFailure(policyPart);
  if (failed)
    return {
      enabled: null,
      mechanism: null,
      installsAutomatically: null,
      detail: null,
      reason: why(`Windows Update policy not readable: ${failed.error}`),
    };
  const policy = record(policyPart);
  const wsus =
    integer(policy.UseWUServer) === 1 && str(policy.WUServer)
      ? `; updates from WSUS ${str(policy.WUServer)}`
      : '';
  const detail = (text: string): string => `${text}${wsus}`.slice(0, 512);

  if (str(servicePart)?.toLowerCase() === 'disabled')
    return {
      enabled: false,
      mechanism: 'windows-update',
      installsAutomatically: false,
      detail: detail('the Windows Update service (wuauserv) is disabled'),
      reason: null,
    };
  if (integer(policy.NoAutoUpdate) === 1)
    return {
      enabled: false,
      mechanism: 'windows-update-policy',
      installsAutomatically: false,
      detail: detail('policy: NoAutoUpdate=1 (automatic updates off)'),
      reason: null,
    };
  const options = integer(policy.AUOptions);
  if (options !== null) {
    const known = AU_OPTIONS[options];
    return {
      enabled: true,
      mechanism: 'windows-update-policy',
      installsAutomatically: known?.installs ?? null,
      detail: detail(`policy: AUOptions=${options}${known ? ` (${known.text})` : ''}`),
      reason:
        known === undefined
          ? why(`policy AUOptions=${options} is not a documented value`)
          : known.installs === null
            ? 'AUOptions=5 lets a local administrator choose; that choice is not read'
            : null,
    };
  }
  if (productType === 1)
    return {
      enabled: true,
      mechanism: 'windows-update',
      installsAutomatically: true,
      detail: detail('no policy: Windows default'),
      reason: null,
    };
  return {
    enabled: true,
    mechanism: 'windows-update',
    installsAutomatically: null,
    detail: detail(productType === null ? 'no policy' : 'no policy: Windows Server default'),
    reason:
      productType === null
        ? 'no Windows Update policy, and whether this is Windows Server (where the default differs) could not be read'
        : 'no Windows Update policy: on Windows Server whether updates install on their own depends on local settings not read',
  };
}

// ---------------------------------------------------------------------------------------
// listening services

function sockets(part: unknown, protocol: 'tcp' | 'udp'): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const item of asArray(part)) {
    const s = record(item);
    const address = str(s.LocalAddress);
    const port = integer(s.LocalPort);
    if (address === null || port === null || port < 0 || port > 65535) continue;
    const pid = integer(s.OwningProcess);
    out.push({
      protocol,
      address,
      port,
      process: str(s.Process),
      pid: pid !== null && pid >= 0 ? pid : null,
    });
  }
  return out;
}

export function listeningFromParts(tcpPart: unknown, udpPart: unknown): Group<'listening'> {
  const reasons: string[] = [];
  const tcpFailed = partFailure(tcpPart);
  const udpFailed = partFailure(udpPart);
  if (tcpFailed) reasons.push(`Get-NetTCPConnection failed: ${tcpFailed.error}`);
  if (udpFailed) reasons.push(`Get-NetUDPEndpoint failed: ${udpFailed.error}`);
  return {
    services: uniqueServices([
      ...(tcpFailed ? [] : sockets(tcpPart, 'tcp')),
      ...(udpFailed ? [] : sockets(udpPart, 'udp')),
    ]),
    reason: reasons.length ? why(reasons.join('; ')) : null,
  };
}

// ---------------------------------------------------------------------------------------
// administrators, guest, secure boot

/** The Administrators group's (localised) name, or null when it could not be read. */
export function administratorsGroupName(part: unknown): string | null {
  return partFailure(part) ? null : str(part);
}

/** Member names as Get-LocalGroupMember gives them: COMPUTER\user, DOMAIN\group, AzureAD\user. */
export function administratorMembers(part: unknown): string[] {
  return asArray(part)
    .map((m) => str(record(m).Name))
    .filter((n): n is string => n !== null)
    .map((n) => n.slice(0, 256))
    .slice(0, 256);
}

export function guestFromPart(part: unknown): Group<'guest'> {
  const failed = partFailure(part);
  if (failed) return { enabled: null, reason: why(`Get-LocalUser failed: ${failed.error}`) };
  const g = record(part);
  if (g.Found !== true)
    return {
      enabled: null,
      reason: 'no local account with the built-in Guest SID (-501) was found',
    };
  const enabled = bool(g.Enabled);
  return {
    enabled,
    reason: enabled === null ? 'the Guest account state was not understood' : null,
  };
}

/**
 * Confirm-SecureBootUEFI: true/false on UEFI firmware. On legacy BIOS firmware it throws
 * PlatformNotSupportedException ('Cmdlet not supported on this platform'): such a machine
 * has no Secure Boot, so that is false, not unknown. It needs administrator rights; as a
 * standard user the registry value UEFISecureBootEnabled (readable by everyone) stands in.
 */
export function secureBootFromParts(
  cmdletPart: unknown,
  registryPart: unknown,
): Group<'secureBoot'> {
  const failed = partFailure(cmdletPart);
  if (!failed) {
    const enabled = bool(record(cmdletPart).Enabled);
    return { enabled, reason: enabled === null ? 'Confirm-SecureBootUEFI gave no answer' : null };
  }
  if (
    /PlatformNotSupported/i.test(failed.type ?? '') ||
    /not supported on this platform/i.test(failed.error)
  )
    return { enabled: false, reason: null };
  const registry = partFailure(registryPart)
    ? null
    : bool(record(registryPart).UEFISecureBootEnabled);
  if (registry !== null) return { enabled: registry, reason: null };
  return {
    enabled: null,
    reason: why(
      isAccessDenied(failed)
        ? `Confirm-SecureBootUEFI needs administrator rights (${failed.error}) and the SecureBoot\\State registry value is absent`
        : `Confirm-SecureBootUEFI failed: ${failed.error}`,
    ),
  };
}
