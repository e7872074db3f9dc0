// Security settings on Windows: firewall profiles, BitLocker, Defender and the antivirus
// Windows Security Center knows, the Windows Update policy, listening ports, OpenSSH
// Server, local administrators, the Guest account, Secure Boot and the time service.
//
// Platform: Windows 10/11 and Windows Server 2016+ with Windows PowerShell 5.1 (present on
//   all of them). NOT verified on a real Windows machine: none was available when this was
//   written. The script's JSON is tested on synthetic documents filled with values from
//   real captures; the fallback parsers on published real outputs.
// Runs:
//   - `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command <script>`
//     (WINDOWS_SECURITY_SCRIPT, windows-script.ts), which prints ONE JSON document;
//   - `w32tm.exe /query /status /verbose` (time synchronisation; in parallel);
//   - `%ProgramData%\ssh\sshd_config` read as a file when OpenSSH Server is installed;
//   - only when the script's part failed: `netsh.exe advfirewall show allprofiles`
//     (Get-NetFirewallProfile needs the NetSecurity module and a working CIM repository:
//     absent on Windows 7 / Server 2008 R2 even with PowerShell 5.1, and a broken WMI
//     repository is common on neglected machines; netsh needs neither and no admin
//     rights, which is why that fallback is kept), `manage-bde.exe -status` (the
//     BitLocker module missing; not when access was denied, as manage-bde needs the same
//     rights), `net.exe localgroup <Administrators>` (Get-LocalGroupMember fails on domain
//     controllers and on groups holding orphaned or Azure AD SIDs, a known defect).
//   Tools are started by full path under %SystemRoot%\System32 (Sysnative from a 32-bit
//   agent), so nothing earlier on PATH stands in for them.
// Time: PowerShell starts in about a second; the CIM queries take a few seconds in all.
//   Timeouts: 120 s for the script, 30 s for each tool.
// Privileges: everything is read as a standard user except Get-BitLockerVolume (and
//   manage-bde) and Confirm-SecureBootUEFI, which need administrator rights. As a standard
//   user encryption is unknown with that reason, and Secure Boot is read from the registry
//   value SecureBoot\State\UEFISecureBootEnabled instead. As SYSTEM (the service)
//   everything is readable. The text fallbacks are localised; what they print in another
//   language than English is read by position where possible and otherwise left unknown.
// Choices: a legacy-BIOS machine (Confirm-SecureBootUEFI: 'not supported on this
//   platform') reports secureBoot false, not unknown: it has no Secure Boot. OpenSSH on
//   Windows has no root account, so ssh.permitRootLogin is always null there; ssh.present
//   means the OpenSSH Server service is installed, whether or not it runs.
import { win32 } from 'node:path';
import type { SecuritySection } from '@vcio/shared';
import { errorMessage } from '../../errors.js';
import {
  CommandStartError,
  commandFailure,
  describeCommand,
  type CommandResult,
} from '../../exec.js';
import type { HostAccess } from '../../host.js';
import { powershellArgs, powershellPath } from '../patches/windows.js';
import type { CollectContext } from '../types.js';
import { hostFileReader, readSshdConfig, windowsSshdConfig } from './sshd-config.js';
import {
  administratorMembers,
  administratorsGroupName,
  antimalwareFromParts,
  automaticUpdatesFromParts,
  bitLockerReason,
  encryptionFromBitLocker,
  firewallFromProducts,
  firewallFromProfiles,
  guestFromPart,
  listeningFromParts,
  secureBootFromParts,
} from './windows-groups.js';
import { record } from '../json-document.js';
import {
  isAccessDenied,
  parseSecurityScriptOutput,
  partFailure,
  WINDOWS_SECURITY_SCRIPT,
} from './windows-script.js';
import {
  netshFirewallProducts,
  parseManageBdeStatus,
  parseNetLocalgroup,
  parseNetshAdvfirewall,
  parseW32tmStatus,
  w32tmSynchronized,
} from './windows-text.js';

export const SECURITY_SCRIPT_TIMEOUT_MS = 120_000;
export const TOOL_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export const W32TM_ARGS = ['/query', '/status', '/verbose'] as const;
export const NETSH_ARGS = ['advfirewall', 'show', 'allprofiles'] as const;
export const MANAGE_BDE_ARGS = ['-status'] as const;

/** A tool in System32 by full path; Sysnative from a 32-bit agent on 64-bit Windows. */
export function system32Tool(env: NodeJS.ProcessEnv, exe: string): string {
  const root = env.SystemRoot || env.windir || 'C:\\Windows';
  return win32.join(root, env.PROCESSOR_ARCHITEW6432 ? 'Sysnative' : 'System32', exe);
}

/** Where OpenSSH for Windows keeps its configuration. */
export function sshdConfigPath(env: NodeJS.ProcessEnv): string {
  return win32.join(env.ProgramData || 'C:\\ProgramData', 'ssh', 'sshd_config');
}

type Ran = { ok: true; result: CommandResult } | { ok: false; error: string };

async function run(
  host: HostAccess,
  file: string,
  args: readonly string[],
  timeoutMs: number,
  name = describeCommand(file, args),
): Promise<Ran> {
  try {
    const result = await host.run(file, args, { timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
    if (result.truncated)
      return { ok: false, error: `output of '${name}' went past ${MAX_OUTPUT_BYTES} bytes` };
    return { ok: true, result };
  } catch (err) {
    if (err instanceof CommandStartError && err.code === 'ENOENT')
      return { ok: false, error: `'${file}' was not found` };
    return { ok: false, error: errorMessage(err) };
  }
}

/** A finished run that exited 0, or the one-line failure. */
function succeeded(
  ran: Ran,
  file: string,
  args: readonly string[],
): { stdout: string } | { error: string } {
  if (!ran.ok) return { error: ran.error };
  const failure = commandFailure(file, args, ran.result);
  return failure ? { error: failure } : { stdout: ran.result.stdout };
}

const why = (text: string): string => text.slice(0, 512);

async function firewallFallback(
  host: HostAccess,
  scriptError: string,
): Promise<SecuritySection['firewall']> {
  const netsh = system32Tool(host.env, 'netsh.exe');
  const read = succeeded(await run(host, netsh, NETSH_ARGS, TOOL_TIMEOUT_MS), netsh, NETSH_ARGS);
  if ('stdout' in read) {
    const products = netshFirewallProducts(parseNetshAdvfirewall(read.stdout));
    if (products.length > 0) return firewallFromProducts(products, 'netsh advfirewall');
  }
  const netshError = 'error' in read ? read.error : 'netsh printed no firewall profile';
  return {
    enabled: null,
    products: [],
    reason: why(`Get-NetFirewallProfile failed: ${scriptError}; ${netshError}`),
  };
}

async function encryptionFallback(
  host: HostAccess,
  failure: { error: string; type: string | null },
): Promise<SecuritySection['encryption']> {
  // manage-bde needs the same administrator rights: running it would only fail again.
  if (isAccessDenied(failure)) return { volumes: [], reason: bitLockerReason(failure) };
  const tool = system32Tool(host.env, 'manage-bde.exe');
  const read = succeeded(
    await run(host, tool, MANAGE_BDE_ARGS, TOOL_TIMEOUT_MS),
    tool,
    MANAGE_BDE_ARGS,
  );
  if ('stdout' in read) {
    const volumes = parseManageBdeStatus(read.stdout);
    if (volumes.length > 0) return { volumes, reason: null };
  }
  const toolError = 'error' in read ? read.error : 'manage-bde listed no volume';
  return { volumes: [], reason: why(`${bitLockerReason(failure)}; ${toolError}`) };
}

async function administratorsFallback(
  host: HostAccess,
  groupName: string | null,
  scriptError: string,
): Promise<SecuritySection['administrators']> {
  const name = groupName ?? 'Administrators';
  const net = system32Tool(host.env, 'net.exe');
  const args = ['localgroup', name];
  const read = succeeded(await run(host, net, args, TOOL_TIMEOUT_MS), net, args);
  if ('stdout' in read) {
    const parsed = parseNetLocalgroup(read.stdout);
    return { groups: [name.slice(0, 64)], members: parsed.members, reason: null };
  }
  return {
    groups: [name.slice(0, 64)],
    members: [],
    reason: why(`Get-LocalGroupMember failed: ${scriptError}; ${read.error}`),
  };
}

function timeSyncFromW32tm(ran: Ran, file: string): SecuritySection['timeSync'] {
  const unknown = (reason: string): SecuritySection['timeSync'] => ({
    synchronized: null,
    service: 'w32time',
    source: null,
    offsetSeconds: null,
    reason: why(reason),
  });
  if (!ran.ok) return unknown(`w32tm could not be run: ${ran.error}`);
  const text = `${ran.result.stdout}\n${ran.result.stderr}`;
  if (/0x80070426/.test(text))
    return {
      synchronized: false,
      service: 'w32time',
      source: null,
      offsetSeconds: null,
      reason: 'the Windows Time service (W32Time) is not running',
    };
  const failure = commandFailure(file, W32TM_ARGS, ran.result);
  if (failure)
    return unknown(
      /0x80070005|access is denied/i.test(text)
        ? `w32tm /query /status was refused: access denied (${failure})`
        : failure,
    );
  const status = parseW32tmStatus(ran.result.stdout);
  const synchronized = w32tmSynchronized(status);
  if (synchronized === null) {
    const first = ran.result.stdout.trim().split(/\r?\n/)[0] ?? '';
    return unknown(`w32tm output not understood: '${first.slice(0, 120)}'`);
  }
  return {
    synchronized,
    service: 'w32time',
    source: status.source,
    offsetSeconds: status.phaseOffset === null ? null : Math.abs(status.phaseOffset),
    reason:
      status.source === null
        ? 'w32tm printed no time source'
        : status.phaseOffset === null
          ? 'w32tm printed no phase offset'
          : null,
  };
}

export async function collectWindowsSecurity(ctx: CollectContext): Promise<SecuritySection> {
  const { host } = ctx;
  const ps = powershellPath(host.env);
  const w32tm = system32Tool(host.env, 'w32tm.exe');
  const [scriptRan, timeRan] = await Promise.all([
    run(
      host,
      ps,
      powershellArgs(WINDOWS_SECURITY_SCRIPT),
      SECURITY_SCRIPT_TIMEOUT_MS,
      `${ps} -Command <security script>`,
    ),
    run(host, w32tm, W32TM_ARGS, TOOL_TIMEOUT_MS),
  ]);

  let doc: Record<string, unknown> = {};
  let scriptError: string | null = null;
  const script = succeeded(scriptRan, ps, ['-Command', '<security script>']);
  try {
    if ('error' in script) throw new Error(script.error);
    doc = parseSecurityScriptOutput(script.stdout);
  } catch (err) {
    scriptError = `the PowerShell security script failed: ${errorMessage(err)}`;
    ctx.logger.warn({ error: scriptError }, 'security: PowerShell script failed');
  }
  /** A part of the document; a part the document lacks counts as failed. */
  const part = (key: string): unknown =>
    key in doc ? doc[key] : { Error: scriptError ?? `'${key}' missing from the script output` };
  const productType = typeof doc.ProductType === 'number' ? doc.ProductType : null;

  const firewallFailed = partFailure(part('Firewall'));
  const bitLockerFailed = partFailure(part('BitLocker'));
  const membersFailed = partFailure(part('Administrators'));
  const groupName = administratorsGroupName(part('AdministratorsGroup'));
  const [firewall, encryption, administrators, ssh] = await Promise.all([
    firewallFailed
      ? firewallFallback(host, firewallFailed.error)
      : firewallFromProfiles(part('Firewall')),
    bitLockerFailed
      ? encryptionFallback(host, bitLockerFailed)
      : encryptionFromBitLocker(part('BitLocker')),
    membersFailed
      ? administratorsFallback(host, groupName, membersFailed.error)
      : Promise.resolve({
          groups: [(groupName ?? 'Administrators').slice(0, 64)],
          members: administratorMembers(part('Administrators')),
          reason: null,
        }),
    readSsh(host, part('Ssh')),
  ]);

  return {
    firewall,
    encryption,
    antimalware: antimalwareFromParts(part('Defender'), part('SecurityCenter'), productType),
    automaticUpdates: automaticUpdatesFromParts(
      part('UpdatePolicy'),
      part('UpdateService'),
      productType,
    ),
    listening: listeningFromParts(part('Tcp'), part('Udp')),
    ssh,
    administrators,
    guest: guestFromPart(part('Guest')),
    secureBoot: secureBootFromParts(part('SecureBoot'), part('SecureBootRegistry')),
    timeSync: timeSyncFromW32tm(timeRan, w32tm),
  };
}

async function readSsh(host: HostAccess, sshPart: unknown): Promise<SecuritySection['ssh']> {
  const failed = partFailure(sshPart);
  const none = { present: null, permitRootLogin: null, passwordAuthentication: null };
  if (failed) return { ...none, reason: why(`Get-Service sshd failed: ${failed.error}`) };
  if (record(sshPart).Installed !== true)
    return { ...none, present: false, reason: 'OpenSSH Server is not installed (no sshd service)' };
  // HostAccess lists no directories: an Include naming one file is read, a wildcard one
  // leaves the values unknown with that reason.
  const settings = await readSshdConfig(
    {
      read: hostFileReader(host),
      listDir: async () => ({ error: 'Include is not followed on Windows' }),
    },
    windowsSshdConfig(sshdConfigPath(host.env)),
  );
  return {
    present: true,
    permitRootLogin: null,
    passwordAuthentication: settings.passwordAuthentication,
    // Unknown facts carry a reason, this one included: it does not apply here.
    reason: [settings.reason, 'PermitRootLogin does not apply on Windows (no root account)']
      .filter((r) => r !== null)
      .join('; ')
      .slice(0, 512),
  };
}
