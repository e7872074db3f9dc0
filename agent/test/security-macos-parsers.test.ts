import t from 'tap';
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
} from '../src/collectors/security/macos-text.js';
import { readFixture } from './helpers/fixtures.js';

const mac = (name: string): string => readFixture(`security/macos/${name}`);

t.test('socketfilterfw: global state, stealth mode (real captures, macOS 26)', async (t) => {
  t.equal(parseFirewallGlobalState(mac('socketfilterfw/1.txt')), 0);
  t.equal(parseStealthMode(mac('socketfilterfw/3.txt')), false);
});

t.test(
  'socketfilterfw: the other wordings (test strings, as quoted by published tools)',
  async (t) => {
    t.equal(parseFirewallGlobalState('Firewall is enabled. (State = 1)'), 1);
    t.equal(
      parseFirewallGlobalState(
        'Firewall is blocking all non-essential incoming connections. (State = 2)',
      ),
      2,
    );
    t.equal(parseFirewallGlobalState('Firewall is enabled.'), 1, 'without the number');
    t.equal(parseFirewallGlobalState('Firewall is disabled.'), 0);
    t.equal(
      parseFirewallGlobalState('Firewall is blocking all non-essential incoming connections.'),
      2,
    );
    t.equal(parseFirewallGlobalState('socketfilterfw: must be root'), null);
    t.equal(parseStealthMode('Firewall stealth mode is on'), true);
    t.equal(parseStealthMode('Stealth mode enabled'), true);
    t.equal(parseStealthMode('Stealth mode disabled'), false);
    t.equal(parseStealthMode(''), null);
    t.equal(parseBlockAll('Block all DISABLED! \n'), false);
    t.equal(parseBlockAll('Block all ENABLED!'), true);
    t.equal(parseBlockAll('Firewall has block all state set to enabled.'), true);
    t.equal(parseBlockAll('Firewall has block all state set to disabled.'), false);
    t.equal(parseBlockAll('?'), null);
  },
);

t.test('fdesetup status: On, Off with deferred enablement (real, admin-transcribed)', async (t) => {
  t.same(parseFdesetupStatus(mac('fdesetup-status/3.txt')), {
    on: true,
    encrypted: true,
    percentEncrypted: null,
  });
  t.same(parseFdesetupStatus(mac('fdesetup-status/1.txt')), {
    on: false,
    encrypted: false,
    percentEncrypted: null,
  });
});

t.test(
  'fdesetup status: conversions in progress (test strings: no real capture found)',
  async (t) => {
    t.same(
      parseFdesetupStatus('FileVault is On.\nEncryption in progress: Percent completed = 45\n'),
      {
        on: true,
        encrypted: false,
        percentEncrypted: 45,
      },
    );
    t.same(
      parseFdesetupStatus('Decryption in progress: Percent completed = 12.5'),
      {
        on: false,
        encrypted: false,
        percentEncrypted: 87.5,
      },
      'while decrypting, what is left encrypted',
    );
    t.same(parseFdesetupStatus('Error: unknown'), {
      on: null,
      encrypted: null,
      percentEncrypted: null,
    });
  },
);

t.test(
  'XProtect: Info.plist version and the install history (synthetic: no real capture)',
  async (t) => {
    t.equal(parseInfoPlistVersion(mac('xprotect/synthetic-info-plist.xml')), '5287');
    t.equal(parseInfoPlistVersion('bplist00\u0000\u0001'), null, 'a binary plist is not read');
    t.equal(parseInfoPlistVersion('<key>CFBundleShortVersionString</key><string></string>'), null);
    t.same(
      parseXProtectInstallHistory(mac('install-history/synthetic-xprotect-updates.json')),
      {
        version: '5287',
        installedAt: '2025-01-28T22:41:56.000Z',
      },
      'the latest XProtectPlistConfigData, not XProtectPayloads',
    );
  },
);

t.test('install history without XProtect (real entries, reordered by their author)', async (t) => {
  t.equal(parseXProtectInstallHistory(mac('install-history/lab-mac-reordered.json')), null);
  t.equal(parseXProtectInstallHistory('{}'), null);
  t.same(
    parseXProtectInstallHistory(
      '{"SPInstallHistoryDataType":[{"_name":"XProtectPlistConfigData","install_date":"junk"},{"_name":"XProtectPlistConfigData","install_date":"2024-01-01T00:00:00Z"}]}',
    ),
    { version: null, installedAt: '2024-01-01T00:00:00.000Z' },
  );
  t.throws(() => parseXProtectInstallHistory('system_profiler: error'));
});

t.test(
  'mdatp health: Defender for Endpoint on macOS (real, Microsoft documentation)',
  async (t) => {
    const health = parseMdatpHealth(mac('mdatp-health/msdocs-macos-101.70.19.txt'));
    t.equal(health.get('definitions_version'), '1.369.896.0', 'quotes removed');
    t.equal(health.get('health_issues'), '[]');
    t.same(
      mdatpProduct(health, new Date('2022-07-06T13:02:03Z')),
      {
        name: 'Microsoft Defender for Endpoint',
        enabled: true,
        realTimeProtection: true,
        signatureVersion: '1.369.896.0',
        signaturesUpdatedAt: '2022-07-06T12:57:03.000Z',
        upToDate: true,
      },
      'updated 5 minutes before now',
    );
    const passive = new Map([
      ['passive_mode_enabled', 'true'],
      ['definitions_status', 'outdated'],
      ['definitions_updated_minutes_ago', 'x'],
    ]);
    t.match(mdatpProduct(passive, new Date()), {
      enabled: false,
      realTimeProtection: null,
      signatureVersion: null,
      signaturesUpdatedAt: null,
      upToDate: false,
    });
    t.match(mdatpProduct(new Map([['healthy', 'false']]), new Date()), {
      enabled: null,
      upToDate: null,
    });
    t.equal(mdatpProduct(new Map(), new Date()), null);
  },
);

t.test(
  'defaults read com.apple.SoftwareUpdate: top-level keys, nested dictionaries skipped (real capture)',
  async (t) => {
    const prefs = parseDefaultsDomain(mac('defaults-softwareupdate/sequoia-macbook-trimmed.txt'));
    t.same(Object.fromEntries(prefs), {
      AutomaticCheckEnabled: '1',
      AutomaticDownload: '1',
      AutomaticallyInstallMacOSUpdates: '1',
      CriticalUpdateInstall: '1',
      LastRecommendedUpdatesAvailable: '1',
    });
    const quoted = parseDefaultsDomain(
      '{\n    LastAttemptSystemVersion = "14.4.1 (23E224)";\n    "Odd Key" = 0;\n    List =     (\n        a,\n        "b)"\n    );\n    After = 1;\n}\n',
    );
    t.same(Object.fromEntries(quoted), {
      LastAttemptSystemVersion: '14.4.1 (23E224)',
      'Odd Key': '0',
      After: '1',
    });
    t.equal(plistBool('1'), true);
    t.equal(plistBool(' true\n'), true);
    t.equal(plistBool('0'), false);
    t.equal(plistBool('NO'), false);
    t.equal(plistBool('2'), null);
    t.equal(plistBool(undefined), null);
    t.ok(
      isDefaultsMissing(
        'The domain/default pair of (/Library/Preferences/com.apple.loginwindow, GuestEnabled) does not exist',
      ),
    );
    t.notOk(isDefaultsMissing('1'));
  },
);

t.test(
  'lsof: listeners from a recorded run (dev container) and a macOS launchd capture',
  async (t) => {
    t.same(parseLsofSockets(mac('lsof/recorded-debian12-container-tcp-listen.txt')), [
      { protocol: 'tcp', address: '0.0.0.0', port: 18080, process: 'node', pid: 22461 },
      { protocol: 'tcp', address: '::1', port: 18081, process: 'node', pid: 22461 },
      { protocol: 'tcp', address: '::', port: 18083, process: 'node', pid: 22461 },
    ]);
    t.same(
      parseLsofSockets(mac('lsof/recorded-debian12-container-udp.txt')),
      [
        { protocol: 'udp', address: '0.0.0.0', port: 18082, process: 'node', pid: 22461 },
        { protocol: 'udp', address: '::1', port: 18084, process: 'node', pid: 22461 },
      ],
      'the connected 127.0.0.1:47338->127.0.0.1:53 socket is not a listener',
    );
    t.same(
      parseLsofSockets(mac('lsof/macos-grep-listen-launchd.txt')).map((s) => [
        s.process,
        s.address,
        s.port,
      ]),
      [
        ['launchd', '::', 5900],
        ['launchd', '::', 22],
        ['launchd', '0.0.0.0', 22],
      ],
      'Remote Login and Screen Sharing sockets held by launchd',
    );
    t.same(
      parseLsofSockets(
        'Google Ch  812 alice   41u  IPv4 0x1      0t0  UDP *:*\nGoogle Ch  812 alice   42u  IPv4 0x2      0t0  UDP 192.168.1.5:5353\nrapportd 465 alice 4u IPv4 0x3 0t0 TCP 10.0.0.2:49152->10.0.0.3:22 (ESTABLISHED)\n',
      ),
      [{ protocol: 'udp', address: '192.168.1.5', port: 5353, process: 'Google Ch', pid: 812 }],
      'a command with a space; unbound and connected sockets skipped',
    );
    t.same(parseLsofSockets('x 1 u 1u IPv4 0x1 0t0 TCP *:80 (CLOSED)'), [], 'not listening');
  },
);

t.test(
  'launchctl print-disabled: Remote Login enabled (real grep of a macOS 26 VM) and the old dialect',
  async (t) => {
    t.equal(
      parseLaunchdDisabled(
        mac('launchctl-print-disabled/tahoe-vm-grep-sshd.txt'),
        'com.openssh.sshd',
      ),
      false,
    );
    const old =
      'disabled services = {\n\t"com.apple.ftpd" => true\n\t"com.openssh.sshd" => false\n}';
    t.equal(parseLaunchdDisabled(old, 'com.openssh.sshd'), false, '=> false: not disabled');
    t.equal(parseLaunchdDisabled(old, 'com.apple.ftpd'), true, '=> true: disabled');
    t.equal(parseLaunchdDisabled('\t\t"com.openssh.sshd" => disabled', 'com.openssh.sshd'), true);
    t.equal(parseLaunchdDisabled(old, 'com.apple.screensharing'), null, 'no override listed');
    t.equal(parseLaunchdDisabled('"com.openssh.sshd" => maybe', 'com.openssh.sshd'), null);
  },
);

t.test('dscl admin membership (real captures: attribute alone, whole record)', async (t) => {
  t.same(parseDsclGroupMembership(mac('dscl/sequoia-15.6.1-groupmembership.txt')), [
    'root',
    'williamj',
  ]);
  t.same(parseDsclGroupMembership(mac('dscl/read-groups-admin-record.txt')), [
    'root',
    'yayusernameyay',
  ]);
  t.same(parseDsclGroupMembership('GroupMembership:\n root alice\n bob\nPassword: *\n'), [
    'root',
    'alice',
    'bob',
  ]);
  t.same(parseDsclGroupMembership('No such key: GroupMembership'), []);
  t.equal(parseDsclGroupMembership('<dscl_cmd> DS Error: -14009 (eDSUnknownNodeName)'), null);
});

t.test('systemsetup, ntp.conf, nvram (test strings except the nvram capture)', async (t) => {
  t.equal(parseNetworkTime('Network Time: On'), true);
  t.equal(parseNetworkTime('Network Time: Off\n'), false);
  t.equal(parseNetworkTime('garbage'), null);
  t.ok(isSystemsetupRefused('You need administrator access to run this tool... exiting!'));
  t.notOk(isSystemsetupRefused('Network Time: On'));
  t.equal(
    parseNtpConfServer('# ntp.conf\nserver time.apple.com.\nserver other\n'),
    'time.apple.com',
  );
  t.equal(parseNtpConfServer(''), null);
  t.equal(
    parseAppleSecureBootPolicy(mac('nvram/opencore-full-security.txt')),
    2,
    '%02 Full Security',
  );
  t.equal(
    parseAppleSecureBootPolicy('94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy\t%00'),
    0,
  );
  t.equal(
    parseAppleSecureBootPolicy(
      "nvram: Error getting variable - '94b73556-2197-4702-82a8-3e1337dafbfb:AppleSecureBootPolicy': (iokit/common) data was not found",
    ),
    null,
  );
});
