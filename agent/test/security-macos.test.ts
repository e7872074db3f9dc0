import { SecuritySection } from '@vcio/shared';
import t from 'tap';
import {
  collectMacosSecurity,
  DEFAULTS,
  DSCL,
  DSCL_ADMIN_ARGS,
  FDESETUP,
  ID,
  INSTALL_HISTORY_ARGS,
  LAUNCHCTL,
  LOGINWINDOW_PREFS,
  LS,
  LSOF,
  LSOF_TCP_ARGS,
  LSOF_UDP_ARGS,
  MDATP,
  NTP_CONF,
  NVRAM,
  SECURE_BOOT_POLICY_VAR,
  SOCKETFILTERFW,
  SOFTWARE_UPDATE_MANAGED,
  SOFTWARE_UPDATE_PREFS,
  SSHD_CONFIG,
  SYSCTL,
  SYSTEM_PROFILER,
  SYSTEM_PROFILER_TIMEOUT_MS,
  SYSTEMSETUP,
  TOOL_TIMEOUT_MS,
  XPROTECT_PLISTS,
} from '../src/collectors/security/macos.js';
import { createSecurityCollector } from '../src/collectors/security/index.js';
import type { CollectContext } from '../src/collectors/types.js';
import { CommandStartError, type CommandResult, type RunOptions } from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const mac = (name: string): string => readFixture(`security/macos/${name}`);
const cmd = (file: string, args: readonly string[]): string => [file, ...args].join(' ');
const NOW = new Date('2026-01-05T10:00:00Z');

type Answer = CommandResult | Error;

/** A Mac answering commands by full command line; a command without an answer is not installed. */
function fakeHost(
  answers: Record<string, Answer>,
  files: Record<string, string | Error> = {},
): { host: HostAccess; calls: { command: string; options: RunOptions }[] } {
  const calls: { command: string; options: RunOptions }[] = [];
  const host: HostAccess = {
    platform: 'darwin',
    env: {},
    now: () => NOW,
    exists: async (path) => path in files,
    readFile: async (path) => {
      const f = files[path];
      if (f === undefined)
        throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
      if (f instanceof Error) throw f;
      return f;
    },
    run: async (file, args, options) => {
      const command = cmd(file, args);
      calls.push({ command, options });
      const answer = answers[command];
      if (answer === undefined)
        throw new CommandStartError(command, 'ENOENT', new Error('spawn ENOENT'));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { host, calls };
}

function ctx(host: HostAccess): CollectContext {
  return { logger: captureLogger().logger, signal: new AbortController().signal, host };
}

const ok = commandResult;

/** Groups with a null fact and no reason: must be none. */
function unexplained(section: SecuritySection): string[] {
  return (Object.entries(section) as [string, Record<string, unknown>][])
    .filter(([, group]) => Object.entries(group).some(([k, v]) => k !== 'reason' && v === null))
    .filter(([, group]) => group.reason === null)
    .map(([name]) => name);
}
const GUEST = cmd(DEFAULTS, ['read', LOGINWINDOW_PREFS, 'GuestEnabled']);
const GUEST_MISSING = ok('', {
  exitCode: 1,
  stderr: `\nThe domain/default pair of (${LOGINWINDOW_PREFS}, GuestEnabled) does not exist\n`,
});

/** A Mac as root with every tool answering: real captures where they exist, test strings elsewhere. */
function rootMac(over: Record<string, Answer> = {}): Record<string, Answer> {
  return {
    [cmd(SOCKETFILTERFW, ['--getglobalstate'])]: ok(mac('socketfilterfw/1.txt')),
    [cmd(SOCKETFILTERFW, ['--getstealthmode'])]: ok(mac('socketfilterfw/3.txt')),
    [cmd(SOCKETFILTERFW, ['--getblockall'])]: ok('Block all DISABLED! \n'),
    [cmd(FDESETUP, ['status'])]: ok(mac('fdesetup-status/3.txt')),
    [cmd(SYSTEM_PROFILER, INSTALL_HISTORY_ARGS)]: ok(
      mac('install-history/synthetic-xprotect-updates.json'),
    ),
    [cmd(MDATP, ['health'])]: ok(mac('mdatp-health/msdocs-macos-101.70.19.txt')),
    [cmd(DEFAULTS, ['read', SOFTWARE_UPDATE_PREFS])]: ok(
      mac('defaults-softwareupdate/sequoia-macbook-trimmed.txt'),
    ),
    [cmd(LSOF, LSOF_TCP_ARGS)]: ok(
      `COMMAND     PID USER   FD   TYPE             DEVICE SIZE/OFF NODE NAME\n${mac('lsof/macos-grep-listen-launchd.txt')}`,
    ),
    [cmd(LSOF, LSOF_UDP_ARGS)]: ok('', { exitCode: 1 }),
    [cmd(ID, ['-u'])]: ok('0\n'),
    [cmd(LAUNCHCTL, ['print-disabled', 'system'])]: ok(
      `\tdisabled services = {\n${mac('launchctl-print-disabled/tahoe-vm-grep-sshd.txt')}\t}\n`,
    ),
    [cmd(LS, ['-1', '/etc/ssh/sshd_config.d'])]: ok('100-macos.conf\n'),
    [cmd(DSCL, DSCL_ADMIN_ARGS)]: ok(mac('dscl/sequoia-15.6.1-groupmembership.txt')),
    [GUEST]: GUEST_MISSING,
    [cmd(SYSCTL, ['-n', 'hw.optional.arm64'])]: ok('1\n'),
    [cmd(SYSTEMSETUP, ['-getusingnetworktime'])]: ok('Network Time: On\n'),
    ...over,
  };
}

const ROOT_FILES: Record<string, string> = {
  [XPROTECT_PLISTS[0]]: mac('xprotect/synthetic-info-plist.xml'),
  [MDATP]: '',
  [SSHD_CONFIG]: 'Include /etc/ssh/sshd_config.d/*\n#PasswordAuthentication yes\n',
  '/etc/ssh/sshd_config.d/100-macos.conf': 'UsePAM yes\nPasswordAuthentication no\n',
  [NTP_CONF]: 'server time.apple.com.\n',
};

t.test(
  'root on Apple silicon: a full answer (real captures, synthetic XProtect and sshd_config)',
  async (t) => {
    const { host, calls } = fakeHost(rootMac(), ROOT_FILES);
    const section = await collectMacosSecurity(ctx(host));
    t.same(contractErrors(SecuritySection, section), []);
    t.same(section.firewall, {
      enabled: false,
      products: [
        {
          name: 'macos-application-firewall',
          profile: null,
          enabled: false,
          defaultInbound: 'allow',
          detail: 'State = 0; stealth mode off; block all off',
        },
      ],
      reason: null,
    });
    t.same(section.encryption, {
      volumes: [
        {
          mount: '/',
          device: null,
          system: true,
          encrypted: true,
          method: 'FileVault',
          protectionOn: true,
          percentEncrypted: null,
        },
      ],
      reason: null,
    });
    t.same(section.antimalware, {
      products: [
        {
          name: 'XProtect',
          enabled: true,
          realTimeProtection: null,
          signatureVersion: '5287',
          signaturesUpdatedAt: '2025-01-28T22:41:56.000Z',
          upToDate: null,
        },
        {
          name: 'Microsoft Defender for Endpoint',
          enabled: true,
          realTimeProtection: true,
          signatureVersion: '1.369.896.0',
          signaturesUpdatedAt: '2026-01-05T09:55:00.000Z',
          upToDate: true,
        },
      ],
      reason: null,
    });
    t.same(section.automaticUpdates, {
      enabled: true,
      mechanism: 'softwareupdate',
      installsAutomatically: true,
      detail:
        'AutomaticCheckEnabled=1, AutomaticDownload=1, AutomaticallyInstallMacOSUpdates=1, CriticalUpdateInstall=1',
      reason: null,
    });
    t.same(
      section.listening.services.map((s) => [s.address, s.port, s.process, s.risk]),
      [
        ['::', 5900, 'launchd', 'vnc'],
        ['::', 22, 'launchd', null],
        ['0.0.0.0', 22, 'launchd', null],
      ],
    );
    t.equal(section.listening.reason, null, 'as root lsof sees every socket');
    t.same(section.ssh, {
      present: true,
      permitRootLogin: 'prohibit-password',
      passwordAuthentication: false,
      reason: null,
    });
    t.same(section.administrators, {
      groups: ['admin'],
      members: ['root', 'williamj'],
      reason: null,
    });
    t.same(section.guest, { enabled: false, reason: null }, 'GuestEnabled unset: off');
    t.same(section.secureBoot, { enabled: true, reason: null });
    t.same(section.timeSync, {
      synchronized: true,
      service: 'timed',
      source: 'time.apple.com',
      offsetSeconds: null,
      reason: 'the clock offset is not measured on macOS',
    });
    t.same(unexplained(section), [], 'every unknown fact has a reason');
    t.equal(
      calls.find((c) => c.command.startsWith(SYSTEM_PROFILER))!.options.timeoutMs,
      SYSTEM_PROFILER_TIMEOUT_MS,
    );
    t.equal(calls.find((c) => c.command.startsWith(FDESETUP))!.options.timeoutMs, TOOL_TIMEOUT_MS);
    t.notOk(
      calls.some((c) => c.command.startsWith(NVRAM)),
      'no NVRAM read on Apple silicon',
    );
  },
);

t.test(
  'standard user on an Intel T2 Mac (test strings for systemsetup, sysctl): partial lsof, no systemsetup, with reasons',
  async (t) => {
    const { host } = fakeHost(
      rootMac({
        [cmd(ID, ['-u'])]: ok('501\n'),
        [cmd(SYSTEMSETUP, ['-getusingnetworktime'])]: ok(
          'You need administrator access to run this tool... exiting!\n',
        ),
        [cmd(FDESETUP, ['status'])]: ok(mac('fdesetup-status/1.txt')),
        [cmd(SYSCTL, ['-n', 'hw.optional.arm64'])]: ok('', {
          exitCode: 1,
          stderr: "sysctl: unknown oid 'hw.optional.arm64'",
        }),
        [cmd(NVRAM, [SECURE_BOOT_POLICY_VAR])]: ok(mac('nvram/opencore-full-security.txt')),
        [cmd(LSOF, LSOF_TCP_ARGS)]: ok(mac('lsof/recorded-debian12-container-tcp-listen.txt'), {
          exitCode: 1,
          stderr: 'lsof: WARNING: some files could not be read\n',
        }),
        [cmd(LSOF, LSOF_UDP_ARGS)]: ok(mac('lsof/recorded-debian12-container-udp.txt')),
        [cmd(LAUNCHCTL, ['print-disabled', 'system'])]: ok(
          '\tdisabled services = {\n\t\t"com.apple.ftpd" => disabled\n\t}\n',
        ),
        [GUEST]: ok('1\n'),
      }),
      ROOT_FILES,
    );
    const section = await collectMacosSecurity(ctx(host));
    t.same(contractErrors(SecuritySection, section), []);
    t.match(
      section.encryption.volumes,
      [{ encrypted: false, protectionOn: false }],
      'FileVault off: false is a fact read',
    );
    t.equal(section.listening.services.length, 5, 'exit 1 with rows: lsof warned but answered');
    t.equal(
      section.listening.reason,
      "lsof as a standard user sees only that user's sockets: run the agent as root for all",
    );
    t.same(section.timeSync, {
      synchronized: null,
      service: 'timed',
      source: 'time.apple.com',
      offsetSeconds: null,
      reason: 'systemsetup -getusingnetworktime needs root: run the agent as root',
    });
    t.same(section.secureBoot, { enabled: true, reason: null }, 'AppleSecureBootPolicy %02');
    t.equal(section.ssh.present, false, 'sshd not enabled in launchd and nothing on port 22');
    t.same(section.guest, { enabled: true, reason: null });
    t.same(unexplained(section), [], 'every unknown fact has a reason');
  },
);

t.test('nothing answers: every group unknown with a reason, the section still valid', async (t) => {
  const { host } = fakeHost({});
  const section = await collectMacosSecurity(ctx(host));
  t.same(contractErrors(SecuritySection, section), []);
  t.match(section.firewall, {
    enabled: null,
    reason: /Application Firewall not readable: .*socketfilterfw was not found/,
  });
  t.match(section.encryption, { volumes: [], reason: /FileVault not readable/ });
  t.match(
    section.antimalware.reason,
    /XProtect's last update not read: .*system_profiler was not found; XProtect version not found/,
  );
  t.match(section.antimalware.products, [
    { name: 'XProtect', enabled: true, signatureVersion: null },
  ]);
  t.match(section.automaticUpdates, {
    enabled: null,
    reason: /Software Update settings not readable/,
  });
  t.match(
    section.listening.reason,
    /lsof was not found.*whether the agent runs as root is unknown/,
  );
  t.match(section.ssh, { present: null, reason: /Remote Login state not readable/ });
  t.match(section.administrators, { members: [], reason: /admin group not readable/ });
  t.match(section.guest, { enabled: null, reason: /GuestEnabled not readable/ });
  t.match(section.secureBoot, { enabled: null, reason: /chip could not be read/ });
  t.match(section.timeSync, {
    synchronized: null,
    source: null,
    reason: /network time setting not readable/,
  });
  t.same(unexplained(section), [], 'every unknown fact has a reason');
});

t.test('outputs not understood (test strings) are unknown, not off', async (t) => {
  const { host } = fakeHost(
    rootMac({
      [cmd(SOCKETFILTERFW, ['--getglobalstate'])]: ok('Usage: socketfilterfw ...'),
      [cmd(FDESETUP, ['status'])]: ok('fdesetup: something new'),
      [cmd(SYSTEM_PROFILER, INSTALL_HISTORY_ARGS)]: ok('not json'),
      [cmd(MDATP, ['health'])]: ok('', { exitCode: 1, stderr: 'ERROR: daemon not running' }),
      [cmd(DSCL, DSCL_ADMIN_ARGS)]: ok('<dscl_cmd> DS Error: -14136 (eDSRecordNotFound)'),
      [GUEST]: ok('maybe\n'),
      [cmd(SYSCTL, ['-n', 'hw.optional.arm64'])]: ok('0\n'),
      [cmd(NVRAM, [SECURE_BOOT_POLICY_VAR])]: ok('', {
        exitCode: 1,
        stderr:
          "nvram: Error getting variable - '94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy': (iokit/common) data was not found",
      }),
      [cmd(SYSTEMSETUP, ['-getusingnetworktime'])]: ok('Network Time: ?'),
      [cmd(ID, ['-u'])]: new Error('spawn EAGAIN'),
      [cmd(LAUNCHCTL, ['print-disabled', 'system'])]: ok('', {
        exitCode: 1,
        stderr: 'Unrecognized target',
      }),
    }),
    { [MDATP]: '', [SSHD_CONFIG]: Object.assign(new Error('EACCES'), { code: 'EACCES' }) },
  );
  const section = await collectMacosSecurity(ctx(host));
  t.same(contractErrors(SecuritySection, section), []);
  t.match(section.firewall, { enabled: null, reason: /--getglobalstate not understood: 'Usage/ });
  t.match(section.encryption, { volumes: [], reason: /fdesetup status not understood/ });
  t.match(
    section.antimalware.reason,
    /install history is not JSON.*XProtect version not found.*'mdatp health' gave no answer: .*ERROR: daemon not running/,
  );
  t.match(section.administrators.reason, /dscl output not understood/);
  t.match(section.guest, { enabled: null, reason: /GuestEnabled 'maybe' not understood/ });
  t.match(section.secureBoot, {
    enabled: null,
    reason: /Intel Mac without a readable AppleSecureBootPolicy.*data was not found/,
  });
  t.match(section.timeSync, { synchronized: null, reason: /systemsetup output not understood/ });
  t.match(section.listening.reason, /whether the agent runs as root is unknown/);
  t.match(
    section.ssh,
    {
      present: true,
      permitRootLogin: null,
      passwordAuthentication: null,
      reason: /is not readable by the agent's account/,
    },
    'launchctl failed, but launchd listens on 22: Remote Login is on',
  );
});

t.test(
  'Software Update (real capture and test strings): a configuration profile wins; no settings at all; odd failures',
  async (t) => {
    const managed = fakeHost(
      rootMac({
        [cmd(DEFAULTS, ['read', SOFTWARE_UPDATE_MANAGED])]: ok(
          '{\n    AutomaticallyInstallMacOSUpdates = 0;\n}\n',
        ),
      }),
      { ...ROOT_FILES, [`${SOFTWARE_UPDATE_MANAGED}.plist`]: '' },
    );
    t.match((await collectMacosSecurity(ctx(managed.host))).automaticUpdates, {
      enabled: true,
      installsAutomatically: false,
      detail: /AutomaticallyInstallMacOSUpdates=0 \(managed\)/,
    });
    const none = fakeHost(
      rootMac({
        [cmd(DEFAULTS, ['read', SOFTWARE_UPDATE_PREFS])]: ok('', {
          exitCode: 1,
          stderr: `\nDomain ${SOFTWARE_UPDATE_PREFS} does not exist\n`,
        }),
      }),
      ROOT_FILES,
    );
    t.same((await collectMacosSecurity(ctx(none.host))).automaticUpdates, {
      enabled: true,
      mechanism: 'softwareupdate',
      installsAutomatically: null,
      detail:
        'AutomaticCheckEnabled=unset, AutomaticDownload=unset, AutomaticallyInstallMacOSUpdates=unset, CriticalUpdateInstall=unset',
      reason:
        'AutomaticallyInstallMacOSUpdates is not set: the default differs between macOS versions and is not assumed',
    });
    const off = fakeHost(
      rootMac({
        [cmd(DEFAULTS, ['read', SOFTWARE_UPDATE_PREFS])]: ok(
          '{\n    AutomaticCheckEnabled = 0;\n}\n',
        ),
      }),
      ROOT_FILES,
    );
    t.match((await collectMacosSecurity(ctx(off.host))).automaticUpdates, {
      enabled: false,
      installsAutomatically: false,
      reason: null,
    });
    const broken = fakeHost(
      rootMac({
        [cmd(DEFAULTS, ['read', SOFTWARE_UPDATE_MANAGED])]: ok('', {
          exitCode: 1,
          stderr: 'Could not read',
        }),
      }),
      { ...ROOT_FILES, [`${SOFTWARE_UPDATE_MANAGED}.plist`]: '' },
    );
    t.match((await collectMacosSecurity(ctx(broken.host))).automaticUpdates, {
      enabled: null,
      reason:
        /managed Software Update settings not readable: command .* failed: exit code 1: Could not read/,
    });
  },
);

t.test(
  'firewall variants (test strings), the legacy XProtect location, a missing include directory',
  async (t) => {
    const { host } = fakeHost(
      rootMac({
        [cmd(SOCKETFILTERFW, ['--getglobalstate'])]: ok('Firewall is enabled. (State = 1)\n'),
        [cmd(SOCKETFILTERFW, ['--getstealthmode'])]: ok('Firewall stealth mode is on\n'),
        [cmd(SOCKETFILTERFW, ['--getblockall'])]: ok(
          'Firewall has block all state set to enabled.\n',
        ),
        [cmd(SYSTEM_PROFILER, INSTALL_HISTORY_ARGS)]: ok(
          mac('install-history/lab-mac-reordered.json'),
        ),
        [cmd(LSOF, LSOF_TCP_ARGS)]: commandResult('', { truncated: true }),
        [cmd(LS, ['-1', '/etc/ssh/sshd_config.d'])]: ok('', {
          exitCode: 1,
          stderr: 'ls: /etc/ssh/sshd_config.d: No such file or directory',
        }),
      }),
      {
        [XPROTECT_PLISTS[1]]: mac('xprotect/synthetic-info-plist.xml'),
        [SSHD_CONFIG]: ROOT_FILES[SSHD_CONFIG]!,
      },
    );
    const section = await collectMacosSecurity(ctx(host));
    t.same(contractErrors(SecuritySection, section), []);
    t.match(section.firewall.products[0], {
      enabled: true,
      defaultInbound: 'block',
      detail: 'State = 1; stealth mode on; block all on',
    });
    t.match(section.antimalware, {
      products: [{ name: 'XProtect', signatureVersion: '5287', signaturesUpdatedAt: null }],
      reason: 'the install history holds no XProtect update',
    });
    t.equal(section.antimalware.products.length, 1, 'no mdatp binary: not run');
    t.match(section.listening.reason, /went past/);
    t.match(section.timeSync, {
      synchronized: true,
      source: null,
      reason:
        /^time server not read \(\/etc\/ntp\.conf: ENOENT.*\); the clock offset is not measured on macOS$/,
    });
    t.same(
      section.ssh,
      {
        present: true,
        permitRootLogin: 'prohibit-password',
        passwordAuthentication: true,
        reason: null,
      },
      'a missing include directory matches nothing',
    );

    const emptyNtp = fakeHost(rootMac(), { ...ROOT_FILES, [NTP_CONF]: '# no server\n' });
    t.match(
      (await collectMacosSecurity(ctx(emptyNtp.host))).timeSync.reason,
      /^\/etc\/ntp\.conf names no time server; /,
    );

    const perState1 = fakeHost(
      rootMac({
        [cmd(SOCKETFILTERFW, ['--getglobalstate'])]: ok('Firewall is enabled. (State = 1)\n'),
      }),
      ROOT_FILES,
    );
    t.match(
      (await collectMacosSecurity(ctx(perState1.host))).firewall.products[0],
      { defaultInbound: null },
      'per-application filtering',
    );

    const listingFails = fakeHost(
      rootMac({
        [cmd(LS, ['-1', '/etc/ssh/sshd_config.d'])]: ok('', {
          exitCode: 1,
          stderr: 'ls: Operation not permitted',
        }),
      }),
      ROOT_FILES,
    );
    t.match((await collectMacosSecurity(ctx(listingFails.host))).ssh, {
      passwordAuthentication: null,
      reason: /could not be listed/,
    });
  },
);

t.test('the security collector sends a darwin host to this reader', async (t) => {
  const { host, calls } = fakeHost({});
  const collector = createSecurityCollector();
  t.ok(collector.platforms.includes('darwin'));
  const section = await collector.collect(ctx(host));
  t.same(contractErrors(SecuritySection, section), []);
  t.ok(calls.some((c) => c.command === cmd(FDESETUP, ['status'])));
});
