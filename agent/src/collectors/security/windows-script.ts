// The one PowerShell script the Windows security reader runs, and the reading of the JSON
// document it prints.
//
// Every part sits in its own try/catch: a part that fails (Get-BitLockerVolume as a
// standard user: access denied; SecurityCenter2 on Windows Server: invalid namespace)
// becomes {"Error": message, "Type": exception type} for that part only, and the rest of
// the document is still read. Enum values are cast to their names ([string]) and dates
// written as ISO 8601 by the script itself; the parsers still accept the numbers and the
// '/Date(ms)/' strings Windows PowerShell 5.1's ConvertTo-Json writes without the casts.
//
// Like the patches script (patches/windows.ts), it is one line of statements joined by
// '; ', with no double quotes and no '#' comments: it travels as one -Command argument.
import { parseJsonObject, record } from '../json-document.js';
//
// Parts (top-level keys of the document):
//   Firewall            Get-NetFirewallProfile -PolicyStore ActiveStore (effective, GPO included)
//   BitLocker           Get-BitLockerVolume                         (needs administrator)
//   Defender            Get-MpComputerStatus
//   SecurityCenter      root/SecurityCenter2 AntiVirusProduct      (absent on Windows Server)
//   UpdatePolicy        HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate(\AU)
//   UpdateService       Get-Service wuauserv StartType
//   ProductType         Win32_OperatingSystem.ProductType (1 workstation, 2 DC, 3 server)
//   Tcp, Udp            Get-NetTCPConnection -State Listen, Get-NetUDPEndpoint (names from
//                       Get-Process)
//   Ssh                 Get-Service sshd (OpenSSH Server)
//   AdministratorsGroup Get-LocalGroup -SID S-1-5-32-544 (its localised name)
//   Administrators      Get-LocalGroupMember -SID S-1-5-32-544
//   Guest               Get-LocalUser whose SID ends in -501
//   SecureBoot          Confirm-SecureBootUEFI                      (needs administrator)
//   SecureBootRegistry  UEFISecureBootEnabled in
//                       HKLM:\SYSTEM\CurrentControlSet\Control\SecureBoot\State
const SCRIPT_STATEMENTS = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8',
  "function Iso($d) { if ($d -is [datetime] -and $d.Year -gt 1601) { $d.ToUniversalTime().ToString('o') } else { $null } }",
  'function Fail($e) { [ordered]@{ Error = [string]$e.Exception.Message; Type = $e.Exception.GetType().FullName } }',
  // Get-NetTCPConnection / Get-NetUDPEndpoint report "no matching objects" as an error.
  "function NoneFound($e) { $e.CategoryInfo.Category -eq 'ObjectNotFound' }",
  '$r = [ordered]@{}',
  'try { $r.Firewall = @(Get-NetFirewallProfile -PolicyStore ActiveStore | ForEach-Object { [ordered]@{ Name = [string]$_.Name; Enabled = [string]$_.Enabled; DefaultInboundAction = [string]$_.DefaultInboundAction } }) } catch { $r.Firewall = Fail $_ }',
  'try { $r.BitLocker = @(Get-BitLockerVolume | ForEach-Object { [ordered]@{ MountPoint = [string]$_.MountPoint; VolumeType = [string]$_.VolumeType; ProtectionStatus = [string]$_.ProtectionStatus; VolumeStatus = [string]$_.VolumeStatus; EncryptionMethod = [string]$_.EncryptionMethod; EncryptionPercentage = $_.EncryptionPercentage } }) } catch { $r.BitLocker = Fail $_ }',
  'try { $s = Get-MpComputerStatus; $r.Defender = [ordered]@{ AMServiceEnabled = $s.AMServiceEnabled; AntivirusEnabled = $s.AntivirusEnabled; RealTimeProtectionEnabled = $s.RealTimeProtectionEnabled; ' +
    'AntivirusSignatureVersion = [string]$s.AntivirusSignatureVersion; AntivirusSignatureLastUpdated = (Iso $s.AntivirusSignatureLastUpdated); AntivirusSignatureAge = $s.AntivirusSignatureAge; ' +
    'DefenderSignaturesOutOfDate = $s.DefenderSignaturesOutOfDate; AMRunningMode = [string]$s.AMRunningMode } } catch { $r.Defender = Fail $_ }',
  'try { $r.SecurityCenter = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | ForEach-Object { [ordered]@{ DisplayName = [string]$_.displayName; ProductState = [long]$_.productState } }) } catch { $r.SecurityCenter = Fail $_ }',
  "try { $k = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate'; $au = Get-ItemProperty -LiteralPath ($k + '\\AU') -ErrorAction SilentlyContinue; $wu = Get-ItemProperty -LiteralPath $k -ErrorAction SilentlyContinue; " +
    '$r.UpdatePolicy = [ordered]@{ PolicyKey = $null -ne $au; NoAutoUpdate = $au.NoAutoUpdate; AUOptions = $au.AUOptions; UseWUServer = $au.UseWUServer; WUServer = [string]$wu.WUServer } } catch { $r.UpdatePolicy = Fail $_ }',
  'try { $r.UpdateService = [string](Get-Service -Name wuauserv).StartType } catch { $r.UpdateService = Fail $_ }',
  'try { $r.ProductType = [int](Get-CimInstance -ClassName Win32_OperatingSystem).ProductType } catch { $r.ProductType = Fail $_ }',
  '$names = @{}',
  'try { foreach ($p in Get-Process) { $names[[int]$p.Id] = $p.ProcessName } } catch { }',
  'try { $r.Tcp = @(Get-NetTCPConnection -State Listen | ForEach-Object { [ordered]@{ LocalAddress = [string]$_.LocalAddress; LocalPort = [int]$_.LocalPort; OwningProcess = [int]$_.OwningProcess; Process = $names[[int]$_.OwningProcess] } }) } catch { if (NoneFound $_) { $r.Tcp = @() } else { $r.Tcp = Fail $_ } }',
  'try { $r.Udp = @(Get-NetUDPEndpoint | ForEach-Object { [ordered]@{ LocalAddress = [string]$_.LocalAddress; LocalPort = [int]$_.LocalPort; OwningProcess = [int]$_.OwningProcess; Process = $names[[int]$_.OwningProcess] } }) } catch { if (NoneFound $_) { $r.Udp = @() } else { $r.Udp = Fail $_ } }',
  'try { $svc = Get-Service -Name sshd -ErrorAction SilentlyContinue; if ($svc) { $r.Ssh = [ordered]@{ Installed = $true; Status = [string]$svc.Status; StartType = [string]$svc.StartType } } else { $r.Ssh = [ordered]@{ Installed = $false } } } catch { $r.Ssh = Fail $_ }',
  "try { $r.AdministratorsGroup = [string](Get-LocalGroup -SID 'S-1-5-32-544').Name } catch { $r.AdministratorsGroup = Fail $_ }",
  "try { $r.Administrators = @(Get-LocalGroupMember -SID 'S-1-5-32-544' | ForEach-Object { [ordered]@{ Name = [string]$_.Name; ObjectClass = [string]$_.ObjectClass; PrincipalSource = [string]$_.PrincipalSource } }) } catch { $r.Administrators = Fail $_ }",
  "try { $g = @(Get-LocalUser | Where-Object { $_.SID.Value -like 'S-1-5-21-*-501' }); if ($g.Count -gt 0) { $r.Guest = [ordered]@{ Found = $true; Name = [string]$g[0].Name; Enabled = [bool]$g[0].Enabled } } else { $r.Guest = [ordered]@{ Found = $false } } } catch { $r.Guest = Fail $_ }",
  'try { $r.SecureBoot = [ordered]@{ Enabled = [bool](Confirm-SecureBootUEFI) } } catch { $r.SecureBoot = Fail $_ }',
  "try { $sb = Get-ItemProperty -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State' -ErrorAction SilentlyContinue; $r.SecureBootRegistry = [ordered]@{ UEFISecureBootEnabled = $sb.UEFISecureBootEnabled } } catch { $r.SecureBootRegistry = Fail $_ }",
  '$r | ConvertTo-Json -Depth 5 -Compress',
];

export const WINDOWS_SECURITY_SCRIPT = SCRIPT_STATEMENTS.join('; ');

/** A part of the document that failed: its message and the .NET exception type. */
export interface PartFailure {
  error: string;
  type: string | null;
}

/** A trimmed non-empty string (numbers as text), or null. */
export function str(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** A part written by the script's Fail function, or null when the part answered. */
export function partFailure(part: unknown): PartFailure | null {
  const r = record(part);
  if (!('Error' in r)) return null;
  return {
    error: (str(r.Error) ?? 'unknown error').replace(/\s+/g, ' ').slice(0, 300),
    type: str(r.Type),
  };
}

/** Access denied, as PowerShell, CIM and .NET word it. */
export function isAccessDenied(failure: PartFailure): boolean {
  return (
    /UnauthorizedAccess/i.test(failure.type ?? '') ||
    /access (is |was )?denied|0x80070005/i.test(failure.error)
  );
}

/** The cmdlet or its module is not on this Windows (Server without the feature, Home...). */
export function isCommandMissing(failure: PartFailure): boolean {
  return /CommandNotFoundException/.test(failure.type ?? '');
}

/**
 * The document the script printed. Throws when the text is not a JSON object: the caller
 * reports every part the script should have read as unknown, with that message.
 */
export function parseSecurityScriptOutput(text: string): Record<string, unknown> {
  return parseJsonObject(text, 'the security script');
}
