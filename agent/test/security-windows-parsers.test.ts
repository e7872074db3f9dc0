import t from 'tap';
import {
  parseManageBdeStatus,
  parseNetLocalgroup,
  parseNetshAdvfirewall,
  netshFirewallProducts,
  parseW32tmStatus,
  w32tmSynchronized,
  W32TM_LOCAL_CLOCK_REFID,
} from '../src/collectors/security/windows-text.js';
import {
  antimalwareFromParts,
  automaticUpdatesFromParts,
  decodeProductState,
  encryptionFromBitLocker,
  firewallFromProducts,
  firewallFromProfiles,
  guestFromPart,
  listeningFromParts,
  secureBootFromParts,
  administratorMembers,
  administratorsGroupName,
  bitLockerReason,
} from '../src/collectors/security/windows-groups.js';
import { asArray } from '../src/collectors/json-document.js';
import {
  isAccessDenied,
  isCommandMissing,
  parseSecurityScriptOutput,
  partFailure,
  str,
  WINDOWS_SECURITY_SCRIPT,
} from '../src/collectors/security/windows-script.js';
import { readFixture } from './helpers/fixtures.js';

const win = (name: string): string => readFixture(`security/windows/${name}`);
const doc = (name: string): Record<string, unknown> =>
  parseSecurityScriptOutput(win(`security-json/${name}`));

// ---------------------------------------------------------------------------------------
// netsh advfirewall (real captures)

t.test(
  'netsh show allprofiles: three profiles, all OFF, inbound blocked (real capture 3)',
  async (t) => {
    const profiles = parseNetshAdvfirewall(win('netsh-advfirewall/3.txt'));
    t.same(
      profiles.map((p) => [p.profile, p.enabled, p.defaultInbound]),
      [
        ['domain', false, 'block'],
        ['private', false, 'block'],
        ['public', false, 'block'],
      ],
      'the Public block is cut after LocalConSecRules in the capture and still read',
    );
    t.equal(profiles[0]!.policy, 'BlockInbound,AllowOutbound');
    const group = firewallFromProducts(netshFirewallProducts(profiles), 'netsh advfirewall');
    t.equal(group.enabled, false, 'a profile that is off makes the firewall off');
    t.equal(group.reason, null);
    t.equal(group.products[0]!.detail, 'netsh: BlockInbound,AllowOutbound');
  },
);

t.test('netsh show currentprofile: one Domain block ending in Ok. (real capture 1)', async (t) => {
  const profiles = parseNetshAdvfirewall(win('netsh-advfirewall/1.txt'));
  t.equal(profiles.length, 1);
  t.match(profiles[0], { profile: 'domain', enabled: false, defaultInbound: 'block' });
});

t.test('netsh with CRLF and localised headers and state words', async (t) => {
  const crlf = win('netsh-advfirewall/3.txt').replace(/\n/g, '\r\n');
  t.equal(parseNetshAdvfirewall(crlf).length, 3, 'CRLF line ends');
  // The same capture with its headers and state translated (what a localised netsh does):
  // profiles are then known by position, an unknown state word is unknown, not off.
  const localised = win('netsh-advfirewall/3.txt')
    .replace('Domain Profile Settings:', 'Domänenprofil-Einstellungen:')
    .replace('Private Profile Settings:', 'Privates Profil-Einstellungen:')
    .replace('Public Profile Settings:', 'Öffentliches Profil-Einstellungen:')
    .replace(/^State(\s+)OFF$/gm, 'Status$1AUS');
  const profiles = parseNetshAdvfirewall(localised);
  t.same(
    profiles.map((p) => [p.profile, p.enabled, p.defaultInbound]),
    [
      ['domain', null, 'block'],
      ['private', null, 'block'],
      ['public', null, 'block'],
    ],
  );
  const group = firewallFromProducts(netshFirewallProducts(profiles), 'netsh advfirewall');
  t.equal(group.enabled, null, 'unknown states: firewall state unknown, never "off"');
  t.match(group.reason, /domain, private, public profile\(s\) was not understood/);
  const one = parseNetshAdvfirewall(localised.split('Privates Profil')[0]!);
  t.equal(one[0]!.profile, null, 'a lone non-English header has no position to go by');
  t.same(parseNetshAdvfirewall('The requested operation requires elevation.'), []);
  t.match(firewallFromProducts([], 'netsh advfirewall').reason, /listed no firewall profile/);
});

// ---------------------------------------------------------------------------------------
// manage-bde -status (real captures)

t.test(
  'manage-bde: one OS volume, used space encrypted, protection on (real capture 3)',
  async (t) => {
    t.same(parseManageBdeStatus(win('manage-bde-status/3.txt')), [
      {
        mount: 'C:',
        device: null,
        system: true,
        encrypted: true,
        method: 'XTS-AES 128',
        protectionOn: true,
        percentEncrypted: 100,
      },
    ]);
  },
);

t.test(
  'manage-bde: decimal comma, empty label, a decrypted data volume (real capture 5)',
  async (t) => {
    const [c, d] = parseManageBdeStatus(win('manage-bde-status/5.txt'));
    t.same(
      c,
      {
        mount: 'C:',
        device: null,
        system: true,
        encrypted: true,
        method: 'XTS-AES 128',
        protectionOn: false,
        percentEncrypted: 100,
      },
      'device encryption not finished: encrypted, protection off',
    );
    t.same(d, {
      mount: 'D:',
      device: null,
      system: false,
      encrypted: false,
      method: null,
      protectionOn: false,
      percentEncrypted: 0,
    });
  },
);

t.test(
  'manage-bde: a pasted property block without its Volume header (real capture 1)',
  async (t) => {
    t.same(parseManageBdeStatus(win('manage-bde-status/1.txt')), [
      {
        mount: null,
        device: null,
        system: null,
        encrypted: true,
        method: 'XTS-AES 128',
        protectionOn: false,
        percentEncrypted: 100,
      },
    ]);
  },
);

t.test(
  'manage-bde: conversions in progress are not yet encrypted; odd values are unknown',
  async (t) => {
    const v = parseManageBdeStatus(
      [
        'Volume E: [Backup]',
        '[Data Volume]',
        '    Conversion Status:    Encryption in Progress',
        '    Percentage Encrypted: 42,5%',
        '    Protection Status:    Protection Off (1 reboots left)',
        'Volume F: []',
        '    Conversion Status:    Something New',
        '    Percentage Encrypted: 250%',
        '    Protection Status:    Protection Unknown',
      ].join('\r\n'),
    );
    t.match(v[0], {
      mount: 'E:',
      system: false,
      encrypted: false,
      percentEncrypted: 42.5,
      protectionOn: false,
    });
    t.match(v[1], {
      mount: 'F:',
      system: null,
      encrypted: null,
      percentEncrypted: null,
      protectionOn: null,
    });
    t.same(parseManageBdeStatus('ERROR: An attempt to access a required resource was denied.'), []);
  },
);

// ---------------------------------------------------------------------------------------
// net localgroup administrators (real captures)

t.test(
  'net localgroup: members between the dashes and the completion line (real captures)',
  async (t) => {
    t.same(parseNetLocalgroup(win('net-localgroup-admins/1.txt')), {
      group: 'administrators',
      members: ['Administrator', 'ilfserveradm', 'INLANEFREIGHT\\Domain Admins'],
    });
    t.same(parseNetLocalgroup(win('net-localgroup-admins/3.txt').replace(/\n/g, '\r\n')), {
      group: 'administrators',
      members: ['Administrator', 'hacklab\\Domain Admins', 'hacklab\\m3g9tr0n', 'vs2022'],
    });
    const german = win('net-localgroup-admins/3.txt').replace(
      'The command completed successfully.',
      'Der Befehl wurde erfolgreich ausgeführt.',
    );
    t.same(
      parseNetLocalgroup(german).members,
      ['Administrator', 'hacklab\\Domain Admins', 'hacklab\\m3g9tr0n', 'vs2022'],
      'a translated completion line is still dropped',
    );
    t.same(parseNetLocalgroup('System error 1376 has occurred.'), { group: null, members: [] });
  },
);

// ---------------------------------------------------------------------------------------
// w32tm /query /status (real captures, English and localised)

t.test('w32tm: synced to time.windows.com, verbose offset (real capture, Checkmk)', async (t) => {
  const s = parseW32tmStatus(win('w32tm-status/checkmk-en-synced-verbose.txt'));
  t.same(s, {
    leapIndicator: 0,
    stratum: 4,
    referenceId: 0x14653909,
    source: 'time.windows.com',
    phaseOffset: -0.0038147,
  });
  t.equal(w32tmSynchronized(s), true);
});

t.test('w32tm: service started, never synced: Local CMOS Clock (real captures)', async (t) => {
  const s = parseW32tmStatus(win('w32tm-status/checkmk-en-not-synced-verbose.txt'));
  t.match(s, {
    leapIndicator: 3,
    stratum: 0,
    referenceId: 0,
    source: 'Local CMOS Clock',
    phaseOffset: 0,
  });
  t.equal(w32tmSynchronized(s), false);
  const cmos = parseW32tmStatus(win('w32tm-status/set-ntpconfig-local-cmos.txt'));
  t.equal(cmos.referenceId, W32TM_LOCAL_CLOCK_REFID, "ReferenceId 'LOCL'");
  t.equal(cmos.leapIndicator, 0, 'leap indicator says no warning...');
  t.equal(w32tmSynchronized(cmos), false, '...but following its own clock is not synchronised');
  t.equal(cmos.phaseOffset, null, 'no offset without /verbose');
});

t.test('w32tm: synced without /verbose, Hyper-V time provider (real captures)', async (t) => {
  const nist = parseW32tmStatus(win('w32tm-status/set-ntpconfig-nist.txt'));
  t.match(nist, { source: 'time.nist.gov', stratum: 2, phaseOffset: null });
  t.equal(w32tmSynchronized(nist), true);
  const vm = parseW32tmStatus(win('w32tm-status/checkmk-en-hyperv-verbose.txt'));
  t.match(vm, { source: 'VM IC Time Synchronization Provider', phaseOffset: 0.0000869 });
  t.equal(w32tmSynchronized(vm), true, 'the host clock through Hyper-V is a source');
});

t.test(
  'w32tm: French, Chinese and German (wrapped) outputs read by position (real captures)',
  async (t) => {
    t.same(parseW32tmStatus(win('w32tm-status/checkmk-fr-synced-verbose.txt')), {
      leapIndicator: 0,
      stratum: 4,
      referenceId: 0x564d5450,
      source: 'VM IC Time Synchronization Provider',
      phaseOffset: 0.0015321,
    });
    t.same(parseW32tmStatus(win('w32tm-status/checkmk-zh-synced-verbose.txt')), {
      leapIndicator: 0,
      stratum: 2,
      referenceId: 0x81861b7b,
      source: 'time.facebook.com',
      phaseOffset: 0.0000012,
    });
    const de = parseW32tmStatus(win('w32tm-status/checkmk-de-wrapped-verbose.txt'));
    t.same(de, {
      leapIndicator: 0,
      stratum: 3,
      referenceId: 0xac689ab6,
      source: 'de.pool.ntp.org',
      phaseOffset: -0.0003717,
    });
    t.equal(w32tmSynchronized(de), true);
  },
);

t.test('w32tm: an error message is not a status', async (t) => {
  const s = parseW32tmStatus(win('w32tm-status/pactus-service-not-started.txt'));
  t.same(s, {
    leapIndicator: null,
    stratum: null,
    referenceId: null,
    source: null,
    phaseOffset: null,
  });
  t.equal(w32tmSynchronized(s), null);
  t.equal(parseW32tmStatus('').leapIndicator, null);
});

// ---------------------------------------------------------------------------------------
// The script and its document

t.test(
  'the script travels as one argument: one line, no double quotes, every part guarded',
  async (t) => {
    t.notMatch(WINDOWS_SECURITY_SCRIPT, /["\r\n]/);
    t.notMatch(WINDOWS_SECURITY_SCRIPT, /(^|;\s*)#/, 'no comment would swallow the rest');
    for (const key of [
      'Firewall',
      'BitLocker',
      'Defender',
      'SecurityCenter',
      'UpdatePolicy',
      'UpdateService',
      'ProductType',
      'Tcp',
      'Udp',
      'Ssh',
      'AdministratorsGroup',
      'Administrators',
      'Guest',
      'SecureBoot',
      'SecureBootRegistry',
    ])
      t.match(
        WINDOWS_SECURITY_SCRIPT,
        new RegExp(`\\$r\\.${key} = Fail \\$_`),
        `${key} fails alone`,
      );
    t.match(
      WINDOWS_SECURITY_SCRIPT,
      /S-1-5-32-544/,
      'the Administrators group by SID, not by name',
    );
    t.match(WINDOWS_SECURITY_SCRIPT, /ConvertTo-Json -Depth 5 -Compress$/);
  },
);

t.test(
  'script output: BOM, a warning line before the document, and what is not JSON',
  async (t) => {
    t.same(parseSecurityScriptOutput('\uFEFF{"ProductType":1}\r\n'), { ProductType: 1 });
    t.same(parseSecurityScriptOutput('WARNING: profile\r\n{"ProductType":3}'), { ProductType: 3 });
    t.throws(() => parseSecurityScriptOutput('  '), /no output from the security script/);
    t.throws(() => parseSecurityScriptOutput('Access is denied.'), /not JSON: 'Access is denied.'/);
    t.throws(() => parseSecurityScriptOutput('[1,2]'), /not a JSON object/);
    t.throws(() => parseSecurityScriptOutput('{oops}'), /not JSON/);
  },
);

t.test('part failures, access denied, missing cmdlets', async (t) => {
  t.equal(partFailure([{ Name: 'Domain' }]), null);
  t.equal(partFailure(null), null);
  const denied = partFailure({
    Error: 'Access denied ',
    Type: 'Microsoft.Management.Infrastructure.CimException',
  })!;
  t.same(denied, {
    error: 'Access denied',
    type: 'Microsoft.Management.Infrastructure.CimException',
  });
  t.ok(isAccessDenied(denied));
  t.ok(isAccessDenied({ error: 'x', type: 'System.UnauthorizedAccessException' }));
  t.ok(isAccessDenied({ error: 'HRESULT 0x80070005', type: null }));
  t.notOk(isAccessDenied({ error: 'Invalid namespace', type: null }));
  t.ok(
    isCommandMissing({ error: 'x', type: 'System.Management.Automation.CommandNotFoundException' }),
  );
  t.notOk(isCommandMissing({ error: 'x', type: null }));
  t.same(partFailure({ Error: null }), { error: 'unknown error', type: null });
  t.same(asArray(undefined), []);
  t.same(asArray({ a: 1 }), [{ a: 1 }], 'a single object written instead of a one-element array');
  t.equal(str(7), '7');
  t.equal(str('  '), null);
});

// ---------------------------------------------------------------------------------------
// Document parts to groups (synthetic documents filled with values from real captures)

t.test(
  'synthetic admin document: firewall, BitLocker, Defender as the captures show them',
  async (t) => {
    const d = doc('synthetic-admin-workstation.json');
    const firewall = firewallFromProfiles(d.Firewall);
    t.equal(firewall.enabled, false);
    t.same(
      firewall.products.map((p) => [p.profile, p.enabled, p.defaultInbound, p.detail]),
      [
        ['domain', false, 'block', null],
        ['private', false, 'block', null],
        ['public', false, 'block', null],
      ],
    );
    t.same(encryptionFromBitLocker(d.BitLocker), {
      volumes: [
        {
          mount: 'C:',
          device: null,
          system: true,
          encrypted: true,
          method: 'XTS-AES 128',
          protectionOn: true,
          percentEncrypted: 100,
        },
        {
          mount: 'D:',
          device: null,
          system: false,
          encrypted: false,
          method: null,
          protectionOn: false,
          percentEncrypted: 0,
        },
      ],
      reason: null,
    });
    const am = antimalwareFromParts(d.Defender, d.SecurityCenter, 1);
    t.same(
      am,
      {
        products: [
          {
            name: 'Microsoft Defender Antivirus',
            enabled: true,
            realTimeProtection: true,
            signatureVersion: '1.305.2574.0',
            signaturesUpdatedAt: '2019-11-21T18:54:43.000Z',
            upToDate: true,
          },
        ],
        reason: null,
      },
      "Defender's Security Center entry (397568 = on, up to date) only gives the verdict",
    );
  },
);

t.test('synthetic documents: the values come from the real captures they cite', async (t) => {
  // Get-MpComputerStatus capture 3 (list format) against the synthetic Defender part.
  const list = new Map(
    win('get-mpcomputerstatus/3.txt')
      .split(/\r?\n/)
      .map((l) => /^(\w+)\s+:\s?(.*?)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  const defender = doc('synthetic-admin-workstation.json').Defender as Record<string, unknown>;
  t.equal(String(defender.AMServiceEnabled), list.get('AMServiceEnabled')!.toLowerCase());
  t.equal(String(defender.AntivirusEnabled), list.get('AntivirusEnabled')!.toLowerCase());
  t.equal(
    String(defender.RealTimeProtectionEnabled),
    list.get('RealTimeProtectionEnabled')!.toLowerCase(),
  );
  t.equal(defender.AntivirusSignatureVersion, list.get('AntivirusSignatureVersion'));
  t.equal(list.get('AntivirusSignatureLastUpdated'), '11/21/2019 6:54:43 PM');
  t.equal(
    defender.AntivirusSignatureLastUpdated,
    '2019-11-21T18:54:43.0000000Z',
    'the same wall time, as UTC',
  );
  const server = doc('synthetic-server-ps51-quirks.json').Defender as Record<string, unknown>;
  const list1 = win('get-mpcomputerstatus/1.txt');
  t.match(list1, /AntivirusSignatureVersion\s+: 1\.323\.392\.0/);
  t.equal(server.AntivirusSignatureVersion, '1.323.392.0');
  t.equal(
    server.AntivirusSignatureLastUpdated,
    `/Date(${Date.UTC(2020, 8, 2, 11, 31, 51)})/`,
    '9/2/2020 11:31:51 AM',
  );

  // The Get-BitLockerVolume table (capture 7) against the PS 5.1 document's enum numbers.
  const row = win('manage-bde-status/7.txt').split(/\r?\n/)[3]!.trim().split(/\s+/);
  t.same(row, ['OperatingSystem', 'C:', '475.69', 'FullyDecrypted', '0', '{}', 'Off']);
  t.same(
    encryptionFromBitLocker(doc('synthetic-server-ps51-quirks.json').BitLocker).volumes,
    [
      {
        mount: 'C:',
        device: null,
        system: true,
        encrypted: false,
        method: null,
        protectionOn: false,
        percentEncrypted: 0,
      },
    ],
    'VolumeType 0, VolumeStatus 0, ProtectionStatus 0 read as OperatingSystem, FullyDecrypted, Off',
  );

  // net localgroup capture 3 against the Get-LocalGroupMember names.
  const members = administratorMembers(doc('synthetic-admin-workstation.json').Administrators);
  const net = parseNetLocalgroup(win('net-localgroup-admins/3.txt')).members;
  t.same(
    members.map((m) => m.replace(/^WIN10\\/, '')),
    net,
    'local accounts carry the computer name WIN10',
  );
});

t.test(
  'PowerShell 5.1 quirks (synthetic document): enum numbers, NotConfigured, single objects, /Date()/',
  async (t) => {
    const d = doc('synthetic-server-ps51-quirks.json');
    const firewall = firewallFromProfiles(d.Firewall);
    t.same(
      firewall.products.map((p) => [p.profile, p.enabled, p.defaultInbound]),
      [
        ['domain', true, 'block'],
        ['private', true, 'block'],
        ['public', true, 'allow'],
      ],
    );
    t.equal(firewall.enabled, true);
    t.equal(firewall.products[1]!.detail, 'inbound action not configured: Windows default (block)');
    t.equal(firewall.products[2]!.detail, 'state not configured: Windows default (on)');
    const am = antimalwareFromParts(d.Defender, d.SecurityCenter, d.ProductType as number);
    t.equal(am.products[0]!.signaturesUpdatedAt, '2020-09-02T11:31:51.000Z', '/Date(ms)/');
    t.equal(am.reason, null, 'no Security Center on Windows Server is not a gap');
    const listening = listeningFromParts(d.Tcp, d.Udp);
    t.same(
      listening.services,
      [
        {
          protocol: 'tcp',
          address: '0.0.0.0',
          port: 5985,
          process: 'System',
          pid: 4,
          exposed: true,
          risk: 'winrm',
        },
      ],
      'a single listener written as an object',
    );
    t.same(
      secureBootFromParts(d.SecureBoot, d.SecureBootRegistry),
      { enabled: false, reason: null },
      'legacy BIOS: no Secure Boot',
    );
    t.same(automaticUpdatesFromParts(d.UpdatePolicy, d.UpdateService, 3), {
      enabled: true,
      mechanism: 'windows-update',
      installsAutomatically: null,
      detail: 'no policy: Windows Server default',
      reason:
        'no Windows Update policy: on Windows Server whether updates install on their own depends on local settings not read',
    });
  },
);

t.test('firewall: odd profile values are unknown, not off', async (t) => {
  const g = firewallFromProfiles([
    { Name: 'Domain', Enabled: 'True', DefaultInboundAction: 'Block' },
    { Name: 'Private', Enabled: 7, DefaultInboundAction: 9 },
    { Enabled: 'True' },
  ]);
  t.equal(g.products.length, 2, 'a profile without a name is skipped');
  t.match(g.products[1], { profile: 'private', enabled: null, defaultInbound: null });
  t.equal(g.enabled, null);
  t.match(firewallFromProfiles([{ Name: 'Domain', Enabled: '0' }]), { enabled: false });
  t.match(firewallFromProfiles([{ Name: 'Domain', Enabled: '1' }]), { enabled: true });
});

t.test(
  'BitLocker: in-progress and unknown states, odd percentages, entries without data',
  async (t) => {
    const e = encryptionFromBitLocker([
      {
        MountPoint: 'E:',
        VolumeType: 'Data',
        VolumeStatus: 'EncryptionInProgress',
        ProtectionStatus: 'Unknown',
        EncryptionMethod: 'XtsAes256',
        EncryptionPercentage: 37.5,
      },
      {
        MountPoint: 'F:',
        VolumeType: 'Removable',
        VolumeStatus: 'Mystery',
        EncryptionPercentage: 120,
      },
      { VolumeType: 'Data' },
      { MountPoint: 'G:', VolumeStatus: 3, EncryptionMethod: 7 },
    ]);
    t.match(e.volumes[0], {
      mount: 'E:',
      system: false,
      encrypted: false,
      method: 'XTS-AES 256',
      protectionOn: null,
      percentEncrypted: 37.5,
    });
    t.match(e.volumes[1], { mount: 'F:', system: false, encrypted: null, percentEncrypted: null });
    t.match(e.volumes[2], {
      mount: 'G:',
      system: null,
      encrypted: false,
      method: 'XTS-AES 256',
      protectionOn: null,
    });
    t.equal(e.volumes.length, 3);
    t.equal(
      bitLockerReason({ error: 'Access denied', type: null }),
      'Get-BitLockerVolume needs administrator rights (Access denied)',
    );
    t.equal(bitLockerReason({ error: 'boom', type: null }), 'Get-BitLockerVolume failed: boom');
  },
);

t.test('Security Center productState decoding (PowerShell team tip, neophob.com)', async (t) => {
  t.same(
    decodeProductState(397568),
    { enabled: true, upToDate: true },
    '0x061100 Defender on, up to date',
  );
  t.same(decodeProductState(393472), { enabled: false, upToDate: true }, '0x060100 off');
  t.same(
    decodeProductState(397584),
    { enabled: true, upToDate: false },
    '0x061110 on, out of date',
  );
  t.same(decodeProductState(266240), { enabled: true, upToDate: true }, '0x041000 third party on');
  t.same(
    decodeProductState(0x042000),
    { enabled: false, upToDate: true },
    'snoozed does not protect',
  );
  t.same(decodeProductState(0x041020), { enabled: true, upToDate: null });
});

t.test(
  'antimalware (synthetic document): third-party products, passive Defender, failures on workstations and servers',
  async (t) => {
    const d = doc('synthetic-standard-user.json');
    const am = antimalwareFromParts(
      {
        ...(d.Defender as object),
        AMRunningMode: 'Passive Mode',
        DefenderSignaturesOutOfDate: true,
      },
      d.SecurityCenter,
      1,
    );
    t.same(
      am.products.map((p) => [p.name, p.enabled, p.upToDate]),
      [
        ['Microsoft Defender Antivirus', false, false],
        ['Symantec Endpoint Protection', true, true],
      ],
    );
    t.equal(am.reason, null);

    const noDefender = antimalwareFromParts(
      { Error: 'Operation failed with the following error: 0x800106ba' },
      d.SecurityCenter,
      1,
    );
    t.same(
      noDefender.products.map((p) => p.name),
      ['Windows Defender', 'Symantec Endpoint Protection'],
    );
    t.match(noDefender.reason, /Get-MpComputerStatus failed: Operation failed/);

    const noWsc = antimalwareFromParts(d.Defender, { Error: 'Invalid namespace' }, 1);
    t.match(
      noWsc.reason,
      /Windows Security Center \(root\/SecurityCenter2\) not readable: Invalid namespace/,
    );
    const nothingOnServer = antimalwareFromParts({ Error: 'x' }, { Error: 'Invalid namespace' }, 2);
    t.same(nothingOnServer.products, []);
    t.match(nothingOnServer.reason, /Windows Security Center does not exist on Windows Server/);

    const odd = antimalwareFromParts(
      { AMServiceEnabled: 'yes', AntivirusEnabled: true, AntivirusSignatureLastUpdated: null },
      [{ DisplayName: 'Thing AV' }, { ProductState: 1 }],
      null,
    );
    t.match(odd.products[0], {
      enabled: null,
      realTimeProtection: null,
      signatureVersion: null,
      signaturesUpdatedAt: null,
      upToDate: null,
    });
    t.match(odd.products[1], { name: 'Thing AV', enabled: null, upToDate: null });
    t.equal(odd.products.length, 2);
    t.match(
      antimalwareFromParts({ AMServiceEnabled: false, AntivirusEnabled: true }, [], 1).products[0],
      { enabled: false },
    );
  },
);

t.test(
  'automatic updates (test values, one synthetic document): policies, the service, WSUS and the defaults',
  async (t) => {
    const base = { PolicyKey: true, NoAutoUpdate: 0, UseWUServer: null, WUServer: '' };
    const au = (AUOptions: number | null, type: number | null = 1) =>
      automaticUpdatesFromParts({ ...base, AUOptions }, 'Manual', type);
    t.same(au(4), {
      enabled: true,
      mechanism: 'windows-update-policy',
      installsAutomatically: true,
      detail: 'policy: AUOptions=4 (download and install on a schedule)',
      reason: null,
    });
    t.match(au(2), { enabled: true, installsAutomatically: false });
    t.match(au(3), { installsAutomatically: false });
    t.match(au(7), { installsAutomatically: false });
    t.match(au(5), { installsAutomatically: null, reason: /local administrator choose/ });
    t.match(au(9), {
      installsAutomatically: null,
      reason: /AUOptions=9 is not a documented value/,
    });
    t.same(au(null), {
      enabled: true,
      mechanism: 'windows-update',
      installsAutomatically: true,
      detail: 'no policy: Windows default',
      reason: null,
    });
    t.match(au(null, null), {
      installsAutomatically: null,
      detail: 'no policy',
      reason: /could not be read/,
    });
    t.match(automaticUpdatesFromParts({ ...base, NoAutoUpdate: 1, AUOptions: 4 }, 'Manual', 1), {
      enabled: false,
      installsAutomatically: false,
      detail: 'policy: NoAutoUpdate=1 (automatic updates off)',
    });
    t.match(automaticUpdatesFromParts({ ...base, AUOptions: 4 }, 'Disabled', 1), {
      enabled: false,
      mechanism: 'windows-update',
      detail: 'the Windows Update service (wuauserv) is disabled',
    });
    const user = doc('synthetic-standard-user.json');
    t.equal(
      automaticUpdatesFromParts(user.UpdatePolicy, user.UpdateService, 1).detail,
      'policy: AUOptions=3 (download automatically, notify to install); updates from WSUS http://wsus.hacklab.local:8530',
    );
    t.same(
      automaticUpdatesFromParts(
        { Error: 'Requested registry access is not allowed.' },
        'Manual',
        1,
      ),
      {
        enabled: null,
        mechanism: null,
        installsAutomatically: null,
        detail: null,
        reason: 'Windows Update policy not readable: Requested registry access is not allowed.',
      },
    );
  },
);

t.test(
  'listening (synthetic document): sockets to services, bad rows skipped, failures named',
  async (t) => {
    const d = doc('synthetic-admin-workstation.json');
    const l = listeningFromParts(d.Tcp, d.Udp);
    t.equal(l.reason, null);
    t.equal(l.services.length, 10, 'the repeated 0.0.0.0:135 row counted once');
    t.same(
      l.services.find((s) => s.port === 3389),
      {
        protocol: 'tcp',
        address: '0.0.0.0',
        port: 3389,
        process: 'svchost',
        pid: 1320,
        exposed: true,
        risk: 'rdp',
      },
    );
    t.match(
      l.services.find((s) => s.port === 5939),
      { exposed: false, risk: null },
    );
    t.match(
      l.services.find((s) => s.protocol === 'udp' && s.port === 137),
      { risk: 'netbios', exposed: true },
    );
    t.match(
      l.services.find((s) => s.port === 1900),
      { process: null, exposed: false },
    );
    const bad = listeningFromParts(
      [
        { LocalAddress: '0.0.0.0', LocalPort: 70000 },
        { LocalPort: 1 },
        { LocalAddress: '::', LocalPort: 80, OwningProcess: -1 },
      ],
      { Error: 'Access denied' },
    );
    t.same(
      bad.services.map((s) => [s.port, s.pid]),
      [[80, null]],
    );
    t.equal(bad.reason, 'Get-NetUDPEndpoint failed: Access denied');
    t.equal(listeningFromParts({ Error: 'x' }, []).reason, 'Get-NetTCPConnection failed: x');
  },
);

t.test('guest, administrators, secure boot from their parts', async (t) => {
  t.same(guestFromPart({ Found: true, Name: 'Guest', Enabled: false }), {
    enabled: false,
    reason: null,
  });
  t.same(guestFromPart({ Found: true, Name: 'Gast', Enabled: true }), {
    enabled: true,
    reason: null,
  });
  t.match(guestFromPart({ Found: false }), { enabled: null, reason: /built-in Guest SID/ });
  t.match(guestFromPart({ Found: true, Enabled: 'maybe' }), {
    enabled: null,
    reason: /not understood/,
  });
  t.match(guestFromPart({ Error: 'x' }), { enabled: null, reason: 'Get-LocalUser failed: x' });

  t.equal(administratorsGroupName('Administratoren'), 'Administratoren');
  t.equal(administratorsGroupName({ Error: 'x' }), null);
  t.same(administratorMembers({ Name: 'PC\\Admin' }), ['PC\\Admin']);

  t.same(secureBootFromParts({ Enabled: true }, {}), { enabled: true, reason: null });
  t.same(secureBootFromParts({ Enabled: false }, {}), { enabled: false, reason: null });
  t.match(secureBootFromParts({}, {}), { enabled: null, reason: /no answer/ });
  const denied = { Error: 'Access was denied.', Type: 'System.UnauthorizedAccessException' };
  t.same(
    secureBootFromParts(denied, { UEFISecureBootEnabled: 1 }),
    { enabled: true, reason: null },
    'the registry stands in',
  );
  t.same(secureBootFromParts(denied, { UEFISecureBootEnabled: 0 }), {
    enabled: false,
    reason: null,
  });
  t.match(secureBootFromParts(denied, { UEFISecureBootEnabled: null }), {
    enabled: null,
    reason:
      /needs administrator rights \(Access was denied\.\) and the SecureBoot\\State registry value is absent/,
  });
  t.match(secureBootFromParts({ Error: 'Something else' }, { Error: 'y' }), {
    enabled: null,
    reason: 'Confirm-SecureBootUEFI failed: Something else',
  });
  t.same(secureBootFromParts({ Error: 'Cmdlet not supported on this platform: 0xC0000002' }, {}), {
    enabled: false,
    reason: null,
  });
});
