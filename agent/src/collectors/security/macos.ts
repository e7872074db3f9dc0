// Security settings on macOS: the Application Firewall, FileVault, XProtect (and Microsoft
// Defender for Endpoint when installed), Software Update settings, listening ports, Remote
// Login and the SSH server's settings, the admin group, the Guest account, Secure Boot and
// network time.
//
// Platform: macOS 11 and later (Intel and Apple silicon). NOT verified on a real Mac: none
//   was available when this was written. Parsers are tested on published real captures
//   where they exist, otherwise on inputs labelled synthetic (fixtures' SOURCES.md).
// Runs (all in parallel, each with a timeout; none needs a network):
//   /usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate, --getstealthmode,
//     --getblockall
//   /usr/bin/fdesetup status
//   /usr/sbin/system_profiler -json SPInstallHistoryDataType (XProtect's last update; 1-10 s)
//   /usr/local/bin/mdatp health                          (only when that file exists)
//   /usr/bin/defaults read /Library/Preferences/com.apple.SoftwareUpdate
//   /usr/bin/defaults read "/Library/Managed Preferences/com.apple.SoftwareUpdate"
//                                                        (only when a profile set it)
//   /usr/sbin/lsof -nP -iTCP -sTCP:LISTEN, /usr/sbin/lsof -nP -iUDP, /usr/bin/id -u
//   /bin/launchctl print-disabled system                 (Remote Login: com.openssh.sshd)
//   /bin/ls -1 <dir>                                     (an sshd_config Include directory)
//   /usr/bin/dscl . -read /Groups/admin GroupMembership
//   /usr/bin/defaults read /Library/Preferences/com.apple.loginwindow GuestEnabled
//   /usr/sbin/sysctl -n hw.optional.arm64, then on Intel only
//     /usr/sbin/nvram 94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy
//   /usr/sbin/systemsetup -getusingnetworktime
// Reads: XProtect.bundle/Contents/Info.plist (/Library/Apple/System/Library/CoreServices,
//   older macOS /System/Library/CoreServices), /etc/ssh/sshd_config and its includes,
//   /etc/ntp.conf.
// Time: a few seconds; system_profiler is the slowest (timeout 120 s, others 30 s).
// Privileges: as a standard user everything is read except: lsof sees only the agent
//   user's own sockets (the reason says so), and systemsetup refuses (timeSync.synchronized
//   unknown). As root (the LaunchDaemon) everything is read.
// Choices, each stated where it is made:
//   - ssh.present is Remote Login (sshd enabled in launchd, or something listening on TCP
//     22), not "the sshd binary exists": every Mac has the binary, so that would say nothing.
//   - XProtect cannot be switched off (SIP protects it): reported enabled. Its signature
//     version is the bundle's; the update time is the last XProtectPlistConfigData install
//     in the install history. On macOS 15+ XProtect may also update outside the install
//     history: that time can then be older than the real last update.
//   - Secure Boot: Apple silicon always verifies its boot chain (reported true; the
//     security level, Full/Reduced/Permissive, needs `bputil` as root and is not read).
//     Intel Macs with a T2 chip have AppleSecureBootPolicy in NVRAM (%00 none = false,
//     %01 medium and %02 full = true); without the value the answer is unknown.
//   - timeSync.synchronized is System Settings' "Set time and date automatically" (the
//     setting, not a measured state); offsetSeconds is null with that reason, as measuring
//     it would take sntp and a network round trip.
import type { AntimalwareProduct, SecuritySection } from '@vcio/shared';
import { errorMessage } from '../../errors.js';
import {
  CommandStartError,
  commandFailure,
  describeCommand,
  type CommandResult,
} from '../../exec.js';
import type { HostAccess } from '../../host.js';
import type { CollectContext } from '../types.js';
import { uniqueServices } from './listening.js';
import {
  isDefaultsMissing,
  isSystemsetupRefused,
  mdatpProduct,
  parseAppleSecureBootPolicy,
  parseBlockAll,
  parseDefaultsDomain,
  parseDsclGroupMembership,
  parseFdesetupStatus,
  parseFirewallGlobalState,
  parseInfoPlistVersion,
  parseLaunchdDisabled,
  parseLsofSockets,
  parseMdatpHealth,
  parseNetworkTime,
  parseNtpConfServer,
  parseStealthMode,
  parseXProtectInstallHistory,
  plistBool,
} from './macos-text.js';
import { hostFileReader, POSIX_SSHD_CONFIG, readSshdConfig } from './sshd-config.js';

export const TOOL_TIMEOUT_MS = 30_000;
export const SYSTEM_PROFILER_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export const SOCKETFILTERFW = '/usr/libexec/ApplicationFirewall/socketfilterfw';
export const FDESETUP = '/usr/bin/fdesetup';
export const SYSTEM_PROFILER = '/usr/sbin/system_profiler';
export const INSTALL_HISTORY_ARGS = ['-json', 'SPInstallHistoryDataType'] as const;
export const MDATP = '/usr/local/bin/mdatp';
export const DEFAULTS = '/usr/bin/defaults';
export const SOFTWARE_UPDATE_PREFS = '/Library/Preferences/com.apple.SoftwareUpdate';
export const SOFTWARE_UPDATE_MANAGED = '/Library/Managed Preferences/com.apple.SoftwareUpdate';
export const LOGINWINDOW_PREFS = '/Library/Preferences/com.apple.loginwindow';
export const LSOF = '/usr/sbin/lsof';
export const LSOF_TCP_ARGS = ['-nP', '-iTCP', '-sTCP:LISTEN'] as const;
export const LSOF_UDP_ARGS = ['-nP', '-iUDP'] as const;
export const ID = '/usr/bin/id';
export const LAUNCHCTL = '/bin/launchctl';
export const LS = '/bin/ls';
export const DSCL = '/usr/bin/dscl';
export const DSCL_ADMIN_ARGS = ['.', '-read', '/Groups/admin', 'GroupMembership'] as const;
export const SYSCTL = '/usr/sbin/sysctl';
export const NVRAM = '/usr/sbin/nvram';
export const SECURE_BOOT_POLICY_VAR = '94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy';
export const SYSTEMSETUP = '/usr/sbin/systemsetup';
export const SSHD_CONFIG = '/etc/ssh/sshd_config';
export const NTP_CONF = '/etc/ntp.conf';
export const XPROTECT_PLISTS = [
  '/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist',
  '/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist',
] as const;

type Ran =
  | { ok: true; command: string; result: CommandResult }
  | { ok: false; command: string; error: string };

const why = (text: string): string => text.slice(0, 512);

function runner(host: HostAccess) {
  return async (
    file: string,
    args: readonly string[],
    timeoutMs = TOOL_TIMEOUT_MS,
  ): Promise<Ran> => {
    const command = describeCommand(file, args);
    try {
      const result = await host.run(file, args, { timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
      if (result.truncated)
        return {
          ok: false,
          command,
          error: `output of '${command}' went past ${MAX_OUTPUT_BYTES} bytes`,
        };
      return { ok: true, command, result };
    } catch (err) {
      if (err instanceof CommandStartError && err.code === 'ENOENT')
        return { ok: false, command, error: `${file} was not found` };
      return { ok: false, command, error: errorMessage(err) };
    }
  };
}

/** stdout of a run that exited 0, or why not. */
function stdoutOf(
  ran: Ran,
  file: string,
  args: readonly string[],
): { text: string } | { error: string } {
  if (!ran.ok) return { error: ran.error };
  const failure = commandFailure(file, args, ran.result);
  return failure ? { error: failure } : { text: ran.result.stdout };
}

async function readText(
  host: HostAccess,
  path: string,
): Promise<{ text: string } | { error: string; missing: boolean }> {
  try {
    return { text: await host.readFile(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      error: `${path}: ${errorMessage(err)}`,
      missing: code === 'ENOENT' || code === 'ENOTDIR',
    };
  }
}

function firewallGroup(global: Ran, stealth: Ran, blockAll: Ran): SecuritySection['firewall'] {
  const read = stdoutOf(global, SOCKETFILTERFW, ['--getglobalstate']);
  if ('error' in read)
    return {
      enabled: null,
      products: [],
      reason: why(`Application Firewall not readable: ${read.error}`),
    };
  const state = parseFirewallGlobalState(read.text);
  if (state === null)
    return {
      enabled: null,
      products: [],
      reason: why(
        `socketfilterfw --getglobalstate not understood: '${read.text.trim().slice(0, 100)}'`,
      ),
    };
  const flag = (ran: Ran, arg: string, parse: (t: string) => boolean | null): boolean | null => {
    const r = stdoutOf(ran, SOCKETFILTERFW, [arg]);
    return 'text' in r ? parse(r.text) : null;
  };
  const stealthOn = flag(stealth, '--getstealthmode', parseStealthMode);
  const blockAllOn = flag(blockAll, '--getblockall', parseBlockAll);
  const onOff = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'on' : 'off');
  return {
    enabled: state > 0,
    products: [
      {
        name: 'macos-application-firewall',
        profile: null,
        enabled: state > 0,
        // State 1 filters per application (signed software allowed, others asked): no
        // single default. Block all (state 2) blocks every non-essential inbound connection.
        defaultInbound: state === 0 ? 'allow' : state === 2 || blockAllOn === true ? 'block' : null,
        detail: `State = ${state}; stealth mode ${onOff(stealthOn)}; block all ${onOff(blockAllOn)}`,
      },
    ],
    reason: null,
  };
}

function encryptionGroup(ran: Ran): SecuritySection['encryption'] {
  const read = stdoutOf(ran, FDESETUP, ['status']);
  if ('error' in read) return { volumes: [], reason: why(`FileVault not readable: ${read.error}`) };
  const status = parseFdesetupStatus(read.text);
  if (status.on === null)
    return {
      volumes: [],
      reason: why(`fdesetup status not understood: '${read.text.trim().slice(0, 100)}'`),
    };
  return {
    volumes: [
      {
        mount: '/',
        device: null,
        system: true,
        encrypted: status.encrypted,
        method: 'FileVault',
        protectionOn: status.on,
        percentEncrypted: status.percentEncrypted,
      },
    ],
    reason: null,
  };
}

async function antimalwareGroup(
  host: HostAccess,
  run: ReturnType<typeof runner>,
): Promise<SecuritySection['antimalware']> {
  const reasons: string[] = [];
  const [history, mdatpPresent, ...plists] = await Promise.all([
    run(SYSTEM_PROFILER, INSTALL_HISTORY_ARGS, SYSTEM_PROFILER_TIMEOUT_MS),
    host.exists(MDATP),
    ...XPROTECT_PLISTS.map((p) => readText(host, p)),
  ]);
  const plist = plists.find((p) => 'text' in p);
  const version = plist && 'text' in plist ? parseInfoPlistVersion(plist.text) : null;

  let installed: ReturnType<typeof parseXProtectInstallHistory> = null;
  const historyRead = stdoutOf(history, SYSTEM_PROFILER, INSTALL_HISTORY_ARGS);
  if ('error' in historyRead) reasons.push(`XProtect's last update not read: ${historyRead.error}`);
  else {
    try {
      installed = parseXProtectInstallHistory(historyRead.text);
      if (installed === null) reasons.push('the install history holds no XProtect update');
    } catch (err) {
      reasons.push(`system_profiler's install history is not JSON: ${errorMessage(err)}`);
    }
  }
  if (version === null && (installed?.version ?? null) === null)
    reasons.push('XProtect version not found');
  const products: AntimalwareProduct[] = [
    {
      name: 'XProtect',
      enabled: true,
      realTimeProtection: null,
      signatureVersion: version ?? installed?.version ?? null,
      signaturesUpdatedAt: installed?.installedAt ?? null,
      upToDate: null,
    },
  ];

  if (mdatpPresent) {
    const read = stdoutOf(await run(MDATP, ['health']), MDATP, ['health']);
    const product = 'text' in read ? mdatpProduct(parseMdatpHealth(read.text), host.now()) : null;
    if (product) products.push(product);
    else
      reasons.push(
        `Microsoft Defender for Endpoint is installed but 'mdatp health' gave no answer${'error' in read ? `: ${read.error}` : ''}`,
      );
  }
  return { products, reason: reasons.length ? why(reasons.join('; ')) : null };
}

const UPDATE_KEYS = [
  'AutomaticCheckEnabled',
  'AutomaticDownload',
  'AutomaticallyInstallMacOSUpdates',
  'CriticalUpdateInstall',
] as const;

function automaticUpdatesGroup(
  local: Ran,
  managed: Ran | null,
): SecuritySection['automaticUpdates'] {
  const unknown = (reason: string): SecuritySection['automaticUpdates'] => ({
    enabled: null,
    mechanism: 'softwareupdate',
    installsAutomatically: null,
    detail: null,
    reason: why(reason),
  });
  const domain = (ran: Ran | null): Map<string, string> | string => {
    if (ran === null) return new Map();
    if (!ran.ok) return ran.error;
    if (ran.result.exitCode !== 0 && isDefaultsMissing(`${ran.result.stdout}${ran.result.stderr}`))
      return new Map();
    const failure = commandFailure(DEFAULTS, ['read'], ran.result);
    return failure ?? parseDefaultsDomain(ran.result.stdout);
  };
  const localPrefs = domain(local);
  const managedPrefs = domain(managed);
  if (typeof localPrefs === 'string')
    return unknown(`Software Update settings not readable: ${localPrefs}`);
  if (typeof managedPrefs === 'string')
    return unknown(`managed Software Update settings not readable: ${managedPrefs}`);
  // A configuration profile's value wins over the local one.
  const value = (key: string): boolean | null =>
    plistBool(managedPrefs.get(key) ?? localPrefs.get(key));
  const shown = UPDATE_KEYS.map((k) => {
    const v = managedPrefs.get(k) ?? localPrefs.get(k);
    return `${k}=${v ?? 'unset'}${managedPrefs.has(k) ? ' (managed)' : ''}`;
  }).join(', ');
  // Unset, macOS checks for updates: that is the System Settings default.
  const enabled = value('AutomaticCheckEnabled') ?? true;
  const installs = enabled ? value('AutomaticallyInstallMacOSUpdates') : false;
  return {
    enabled,
    mechanism: 'softwareupdate',
    installsAutomatically: installs,
    detail: shown.slice(0, 512),
    reason:
      installs === null
        ? 'AutomaticallyInstallMacOSUpdates is not set: the default differs between macOS versions and is not assumed'
        : null,
  };
}

function listeningGroup(tcp: Ran, udp: Ran, uid: Ran): SecuritySection['listening'] {
  const reasons: string[] = [];
  const sockets = (ran: Ran, args: readonly string[]) => {
    // lsof exits 1 when nothing matched, and also when it could not look at some files
    // (its warnings go to stderr) while still listing the rest: both are answers.
    if (ran.ok && ran.result.exitCode === 1 && !ran.result.timedOut)
      return parseLsofSockets(ran.result.stdout);
    const read = stdoutOf(ran, LSOF, args);
    if ('error' in read) {
      reasons.push(read.error);
      return [];
    }
    return parseLsofSockets(read.text);
  };
  const services = uniqueServices([...sockets(tcp, LSOF_TCP_ARGS), ...sockets(udp, LSOF_UDP_ARGS)]);
  const uidRead = stdoutOf(uid, ID, ['-u']);
  const root = 'text' in uidRead ? uidRead.text.trim() === '0' : null;
  if (root === false)
    reasons.push(
      "lsof as a standard user sees only that user's sockets: run the agent as root for all",
    );
  if (root === null)
    reasons.push(
      "whether the agent runs as root is unknown: without root lsof sees only its own user's sockets",
    );
  return { services, reason: reasons.length ? why(reasons.join('; ')) : null };
}

async function sshGroup(
  host: HostAccess,
  run: ReturnType<typeof runner>,
  disabled: Ran,
  listening: SecuritySection['listening'],
): Promise<SecuritySection['ssh']> {
  const settings = await readSshdConfig(
    {
      read: hostFileReader(host),
      listDir: async (dir) => {
        const read = stdoutOf(await run(LS, ['-1', dir]), LS, ['-1', dir]);
        if ('error' in read)
          // A missing include directory matches nothing, as sshd's glob does.
          return /No such file or directory/i.test(read.error) ? [] : { error: read.error };
        return read.text
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
      },
    },
    // Without the file sshd does not start, but macOS ships one: a missing file keeps the
    // defaults, as before (the replay recording in agent/test/replay.test.ts has none).
    { ...POSIX_SSHD_CONFIG, config: SSHD_CONFIG, whenMissing: 'defaults' },
  );
  const read = stdoutOf(disabled, LAUNCHCTL, ['print-disabled', 'system']);
  const onPort22 = listening.services.some((s) => s.protocol === 'tcp' && s.port === 22);
  let present: boolean | null;
  const reasons: string[] = [];
  if ('text' in read)
    present = parseLaunchdDisabled(read.text, 'com.openssh.sshd') === false || onPort22;
  else {
    present = onPort22 ? true : null;
    if (present === null) reasons.push(`Remote Login state not readable: ${read.error}`);
  }
  if (settings.reason) reasons.push(settings.reason);
  return {
    present,
    permitRootLogin: settings.permitRootLogin,
    passwordAuthentication: settings.passwordAuthentication,
    reason: reasons.length ? why(reasons.join('; ')) : null,
  };
}

function administratorsGroup(ran: Ran): SecuritySection['administrators'] {
  const read = stdoutOf(ran, DSCL, DSCL_ADMIN_ARGS);
  const members = 'text' in read ? parseDsclGroupMembership(read.text) : null;
  if (members !== null) return { groups: ['admin'], members, reason: null };
  const error =
    'error' in read
      ? read.error
      : `dscl output not understood: '${read.text.trim().slice(0, 100)}'`;
  return { groups: ['admin'], members: [], reason: why(`admin group not readable: ${error}`) };
}

function guestGroup(ran: Ran): SecuritySection['guest'] {
  if (
    ran.ok &&
    ran.result.exitCode !== 0 &&
    isDefaultsMissing(`${ran.result.stdout}${ran.result.stderr}`)
  )
    return { enabled: false, reason: null }; // GuestEnabled unset: the guest account is off
  const read = stdoutOf(ran, DEFAULTS, ['read', LOGINWINDOW_PREFS, 'GuestEnabled']);
  if ('error' in read)
    return { enabled: null, reason: why(`GuestEnabled not readable: ${read.error}`) };
  const enabled = plistBool(read.text);
  return {
    enabled,
    reason:
      enabled === null
        ? why(`GuestEnabled '${read.text.trim().slice(0, 40)}' not understood`)
        : null,
  };
}

async function secureBootGroup(
  run: ReturnType<typeof runner>,
): Promise<SecuritySection['secureBoot']> {
  const arm = await run(SYSCTL, ['-n', 'hw.optional.arm64']);
  if (arm.ok && arm.result.exitCode === 0 && arm.result.stdout.trim() === '1')
    return { enabled: true, reason: null };
  // Intel reports 0 or 'unknown oid'; anything else from sysctl is not an answer.
  if (!arm.ok)
    return { enabled: null, reason: why(`the Mac's chip could not be read: ${arm.error}`) };
  const nvram = await run(NVRAM, [SECURE_BOOT_POLICY_VAR]);
  const policy =
    nvram.ok && nvram.result.exitCode === 0
      ? parseAppleSecureBootPolicy(nvram.result.stdout)
      : null;
  if (policy !== null) return { enabled: policy > 0, reason: null };
  const said = nvram.ok
    ? (commandFailure(NVRAM, [SECURE_BOOT_POLICY_VAR], nvram.result) ?? nvram.result.stdout.trim())
    : nvram.error;
  return {
    enabled: null,
    reason: why(
      `Intel Mac without a readable AppleSecureBootPolicy (a Mac without a T2 chip has no Secure Boot): ${said.slice(0, 400)}`,
    ),
  };
}

function timeSyncGroup(
  networkTime: Ran,
  ntpConf: { text: string } | { error: string; missing: boolean },
): SecuritySection['timeSync'] {
  const source = 'text' in ntpConf ? parseNtpConfServer(ntpConf.text) : null;
  const base = { service: 'timed', source, offsetSeconds: null };
  const text = networkTime.ok ? `${networkTime.result.stdout}\n${networkTime.result.stderr}` : '';
  if (networkTime.ok && isSystemsetupRefused(text))
    return {
      ...base,
      synchronized: null,
      reason: 'systemsetup -getusingnetworktime needs root: run the agent as root',
    };
  const read = stdoutOf(networkTime, SYSTEMSETUP, ['-getusingnetworktime']);
  if ('error' in read)
    return {
      ...base,
      synchronized: null,
      reason: why(`network time setting not readable: ${read.error}`),
    };
  const synchronized = parseNetworkTime(read.text);
  if (synchronized === null)
    return {
      ...base,
      synchronized,
      reason: why(`systemsetup output not understood: '${read.text.trim().slice(0, 100)}'`),
    };
  // Measuring the offset would take sntp and a network round trip: not done, and said so.
  const unknown = ['the clock offset is not measured on macOS'];
  if (source === null)
    unknown.unshift(
      'text' in ntpConf
        ? `${NTP_CONF} names no time server`
        : `time server not read (${ntpConf.error})`,
    );
  return { ...base, synchronized, reason: why(unknown.join('; ')) };
}

export async function collectMacosSecurity(ctx: CollectContext): Promise<SecuritySection> {
  const { host } = ctx;
  const run = runner(host);
  const managedSet = await host.exists(`${SOFTWARE_UPDATE_MANAGED}.plist`);
  const [
    globalState,
    stealth,
    blockAll,
    fdesetup,
    antimalware,
    updates,
    managedUpdates,
    tcp,
    udp,
    uid,
    disabled,
    admins,
    guest,
    secureBoot,
    networkTime,
    ntpConf,
  ] = await Promise.all([
    run(SOCKETFILTERFW, ['--getglobalstate']),
    run(SOCKETFILTERFW, ['--getstealthmode']),
    run(SOCKETFILTERFW, ['--getblockall']),
    run(FDESETUP, ['status']),
    antimalwareGroup(host, run),
    run(DEFAULTS, ['read', SOFTWARE_UPDATE_PREFS]),
    managedSet ? run(DEFAULTS, ['read', SOFTWARE_UPDATE_MANAGED]) : Promise.resolve(null),
    run(LSOF, LSOF_TCP_ARGS),
    run(LSOF, LSOF_UDP_ARGS),
    run(ID, ['-u']),
    run(LAUNCHCTL, ['print-disabled', 'system']),
    run(DSCL, DSCL_ADMIN_ARGS),
    run(DEFAULTS, ['read', LOGINWINDOW_PREFS, 'GuestEnabled']),
    secureBootGroup(run),
    run(SYSTEMSETUP, ['-getusingnetworktime']),
    readText(host, NTP_CONF),
  ]);
  const listening = listeningGroup(tcp, udp, uid);
  return {
    firewall: firewallGroup(globalState, stealth, blockAll),
    encryption: encryptionGroup(fdesetup),
    antimalware,
    automaticUpdates: automaticUpdatesGroup(updates, managedUpdates),
    listening,
    ssh: await sshGroup(host, run, disabled, listening),
    administrators: administratorsGroup(admins),
    guest: guestGroup(guest),
    secureBoot,
    timeSync: timeSyncGroup(networkTime, ntpConf),
  };
}
