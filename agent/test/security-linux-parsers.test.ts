// The Linux security parsers on recorded outputs (agent/test/fixtures/security/linux,
// SOURCES.md says where each came from). Inputs written in this file are named synthetic.
import t from 'tap';
import {
  lightdmAllowGuest,
  isLoginShell,
  membersOf,
  parseGroupFile,
  parsePasswdFile,
  parseSudoers,
} from '../src/collectors/security/linux-accounts.js';
import {
  anyActive,
  parseClamavVersion,
  parseCtime,
  parseMdatpHealth,
  parseSystemctlIsActive,
} from '../src/collectors/security/linux-antimalware.js';
import {
  parseEfiSecureBootVar,
  parseMokutilSbState,
} from '../src/collectors/security/linux-boot.js';
import {
  encryptedVolumes,
  encryptionFromDevices,
  lsblkArgs,
  parseLsblkJson,
  parseLsblkTree,
  parseLsblkVersion,
} from '../src/collectors/security/linux-encryption.js';
import {
  firewalldInbound,
  parseFirewallCmdListAll,
  parseIptablesS,
  parseNftRuleset,
  parseUfwStatus,
} from '../src/collectors/security/linux-firewall.js';
import { parseSs, parseSsEndpoint } from '../src/collectors/security/linux-listening.js';
import { parseSshdT } from '../src/collectors/security/linux-ssh.js';
import {
  parseChronycTracking,
  parseDurationSeconds,
  parseNtpqPeers,
  parseTimedatectlShow,
  parseTimedatectlStatus,
  parseTimesyncStatus,
  timedatectlFromShow,
} from '../src/collectors/security/linux-time.js';
import { parseAptConf, parseIni, periodicOn } from '../src/collectors/security/linux-updates.js';
import { readFixture } from './helpers/fixtures.js';

const fx = (path: string): string => readFixture(`security/linux/${path}`);

t.test(
  'ufw status verbose: active with rules, inactive, active without a rule table',
  async (t) => {
    t.same(parseUfwStatus(fx('ufw-status/1.txt')), {
      active: true,
      defaultInbound: 'block',
      rules: 15,
    });
    t.same(parseUfwStatus(fx('ufw-status/3.txt')), {
      active: false,
      defaultInbound: null,
      rules: 0,
    });
    t.same(parseUfwStatus(fx('ufw-status/5.txt')), {
      active: true,
      defaultInbound: 'block',
      rules: 0,
    });
    t.equal(parseUfwStatus('ERROR: You need to be root to run this script'), null, 'not a status');
    t.same(
      parseUfwStatus('Status: active\nDefault: allow (incoming), allow (outgoing)\n'),
      { active: true, defaultInbound: 'allow', rules: 0 },
      'synthetic: allow (incoming) is allow',
    );
    t.equal(
      parseUfwStatus('Status: active\nDefault: weird (incoming)\n')?.defaultInbound,
      null,
      'synthetic: an unknown verdict stays unknown',
    );
  },
);

t.test('firewall-cmd --list-all: zone, target, services; the target decides inbound', async (t) => {
  t.same(parseFirewallCmdListAll(fx('firewalld/1.txt')), {
    zone: 'public',
    target: 'default',
    services: ['cockpit', 'dhcpv6-client', 'ssh'],
    ports: [],
  });
  t.equal(firewalldInbound('default'), 'block', '"default" rejects unsolicited traffic');
  t.equal(firewalldInbound('%%REJECT%%'), 'block');
  t.equal(firewalldInbound('DROP'), 'block');
  t.equal(firewalldInbound('ACCEPT'), 'allow');
  t.equal(firewalldInbound(null), null);
});

t.test('nft list ruleset: input base chains with policy and filtering rules', async (t) => {
  t.same(parseNftRuleset(fx('nft/1.txt')), [
    {
      family: 'ip',
      table: 'filter',
      chain: 'INPUT',
      policy: 'accept',
      rules: 1,
      filteringRules: 1,
    },
  ]);
  t.same(
    parseNftRuleset(fx('nft/recorded-debian12-container-root-empty.txt')),
    [],
    'empty ruleset',
  );
  const synthetic = [
    'table inet filter {',
    '\tset blocked {',
    '\t\ttype ipv4_addr',
    '\t\telements = { 192.0.2.1, 192.0.2.2 }',
    '\t}',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy drop;',
    '\t\tct state established,related accept',
    '\t\ttcp dport { 22, 80 } accept',
    '\t}',
    '\tchain output {',
    '\t\ttype filter hook output priority filter; policy accept;',
    '\t}',
    '}',
  ].join('\n');
  t.same(
    parseNftRuleset(synthetic),
    [
      {
        family: 'inet',
        table: 'filter',
        chain: 'input',
        policy: 'drop',
        rules: 2,
        filteringRules: 0,
      },
    ],
    'synthetic: a named set is skipped, policy drop read, output chain ignored',
  );
});

t.test('iptables -S: INPUT policy, rules, and rules that filter', async (t) => {
  t.same(parseIptablesS(fx('iptables-S/raspberry-pi-drop.txt')), {
    policy: 'DROP',
    rules: 3,
    filteringRules: 0,
  });
  t.same(parseIptablesS(fx('iptables-S/tailscale-drop-jump.txt')), {
    policy: 'DROP',
    rules: 1,
    filteringRules: 1,
  });
  t.same(parseIptablesS(fx('iptables-S/recorded-debian12-container-root.txt')), {
    policy: 'ACCEPT',
    rules: 0,
    filteringRules: 0,
  });
  t.same(parseIptablesS(''), { policy: null, rules: 0, filteringRules: 0 });
});

t.test('lsblk version and the command line chosen for it', async (t) => {
  t.same(parseLsblkVersion(fx('lsblk-crypt/recorded-debian12-container-version.txt')), [2, 38]);
  t.equal(parseLsblkVersion('busybox'), null);
  t.same(lsblkArgs([2, 38]).args, ['--json', '-p', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINTS']);
  t.same(lsblkArgs([2, 33]).args, ['--json', '-p', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT']);
  t.same(lsblkArgs([3, 0]).json, true);
  t.same(lsblkArgs([2, 23]), { args: ['-p', '-o', 'NAME,TYPE,MOUNTPOINT'], json: false });
  t.same(
    lsblkArgs(null).args,
    ['--json', '-p', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT'],
    'unknown: JSON first',
  );
});

t.test('lsblk tree, CentOS 7 LVM without encryption (negative sample)', async (t) => {
  const volumes = encryptedVolumes(parseLsblkTree(fx('lsblk-crypt/1.txt')));
  t.same(
    volumes.map((v) => [v.mount, v.device, v.system, v.encrypted, v.method]),
    [
      ['/boot', 'sda1', false, false, null],
      ['/', 'centos-root', true, false, null],
    ],
    '[SWAP] and the empty sr0 are not volumes',
  );
});

t.test('lsblk tree in ASCII glyphs: LUKS+LVM root is encrypted, /boot is not', async (t) => {
  const roots = parseLsblkTree(fx('lsblk-crypt/3.txt'));
  t.equal(roots.length, 3, 'the missing disk line leaves the partitions at the top');
  t.same(
    encryptedVolumes(roots).map((v) => [v.mount, v.device, v.system, v.encrypted, v.method]),
    [
      ['/boot/efi', 'nvme0n1p1', false, false, null],
      ['/boot', 'nvme0n1p2', false, false, null],
      ['/', 'vgubuntu-root', true, true, 'dm-crypt'],
    ],
  );
});

t.test('lsblk tree, Debian 12 with two LUKS volumes and MOUNTPOINTS', async (t) => {
  t.same(
    encryptedVolumes(parseLsblkTree(fx('lsblk-crypt/5.txt'))).map((v) => [v.mount, v.encrypted]),
    [
      ['/boot/efi', false],
      ['/', true],
      ['/home', true],
    ],
  );
});

t.test('lsblk tree recorded here: FSTYPE blank, mount point still found', async (t) => {
  const roots = parseLsblkTree(fx('lsblk-crypt/recorded-debian12-container-tree.txt'));
  t.same(
    roots.map((d) => [d.name, d.type, d.fstype, d.mountpoints]),
    [
      ['/dev/zram0', 'disk', null, []],
      ['/dev/vda', 'disk', null, ['/']],
    ],
  );
  t.same(parseLsblkTree(''), []);
  t.same(parseLsblkTree('NAME MOUNTPOINT\nsda /\n'), [], 'no TYPE column: nothing to go by');
  const synthetic = 'NAME TYPE MOUNTPOINTS\nsda  disk /srv\n          /mnt\n';
  t.same(
    parseLsblkTree(synthetic)[0]?.mountpoints,
    ['/srv', '/mnt'],
    'synthetic: continuation line',
  );
});

t.test(
  'lsblk JSON: NixOS crypt inside LVM is LUKS; no / means the system volume is unknown',
  async (t) => {
    const roots = parseLsblkJson(fx('lsblk-crypt/7.txt'));
    const group = encryptionFromDevices(roots);
    t.same(
      group.volumes.map((v) => [v.mount, v.device, v.system, v.encrypted, v.method]),
      [
        ['/boot', '/dev/nvme0n1p1', false, false, null],
        ['/etc/NetworkManager/system-connections', '/dev/mapper/cryptroot', false, true, 'LUKS'],
      ],
      'erofs loop image and unmounted disks left out',
    );
    t.match(group.reason, /'\/' is not on a block device/);
  },
);

t.test('lsblk JSON recorded here: / on /dev/vda, not encrypted', async (t) => {
  const group = encryptionFromDevices(
    parseLsblkJson(fx('lsblk-crypt/recorded-debian12-container-json.txt')),
  );
  t.same(group, {
    volumes: [
      {
        mount: '/',
        device: '/dev/vda',
        system: true,
        encrypted: false,
        method: null,
        protectionOn: null,
        percentEncrypted: null,
      },
    ],
    reason: null,
  });
  t.throws(() => parseLsblkJson('{}'), /blockdevices/);
  t.same(encryptionFromDevices([]).reason, 'no block devices visible (container?)');
  t.same(
    encryptionFromDevices(
      parseLsblkJson('{"blockdevices":[{"name":"sda","type":"disk","mountpoint":null}]}'),
    ).reason,
    'no mounted block device visible (container?)',
    'synthetic: a disk with nothing mounted',
  );
  const verity = parseLsblkJson(
    JSON.stringify({
      blockdevices: [
        {
          name: 'vda2',
          type: 'part',
          fstype: 'DM_verity_hash',
          children: [{ name: 'usr', type: 'crypt', fstype: 'erofs', mountpoints: ['/usr'] }],
        },
        {
          name: 'vda3',
          type: 'part',
          fstype: null,
          children: [{ name: 'plain', type: 'crypt', fstype: 'ext4', mountpoints: ['/', null] }],
        },
      ],
    }),
  );
  t.same(
    encryptedVolumes(verity).map((v) => [v.mount, v.encrypted, v.method]),
    [['/', true, 'dm-crypt']],
    'synthetic: dm-verity is not encryption (and its erofs image is skipped); plain dm-crypt is',
  );
});

t.test('ClamAV version line: signature version and date, or none without a database', async (t) => {
  t.same(parseClamavVersion(fx('clamscan-version/recorded-debian12-container-no-database.txt')), {
    engine: '1.4.3',
    signatureVersion: null,
    signaturesUpdatedAt: null,
  });
  t.same(parseClamavVersion(fx('clamscan-version/synthetic-with-database.txt')), {
    engine: '1.0.9',
    signatureVersion: '27825',
    signaturesUpdatedAt: new Date(2025, 10, 19, 10, 10, 2).toISOString(),
  });
  t.equal(parseClamavVersion('command not found'), null);
  t.equal(parseCtime('Fri Jan  9 08:26:02 2026'), new Date(2026, 0, 9, 8, 26, 2).toISOString());
  t.equal(parseCtime('Fri Foo  9 08:26:02 2026'), null);
  t.equal(parseCtime('yesterday'), null);
});

t.test('mdatp health --output json (Defender 101.23062, passive mode)', async (t) => {
  t.same(parseMdatpHealth(fx('mdatp/health-json-101.23062.0010-glpi-agent.json')), {
    enabled: false,
    realTimeProtection: false,
    signatureVersion: '1.395.30.0',
    signaturesUpdatedAt: new Date(1691587153787).toISOString(),
    upToDate: true,
  });
  t.same(
    parseMdatpHealth(
      '{"healthy":true,"realTimeProtectionEnabled":true,"definitionsStatus":{"$type":"outdated"}}',
    ),
    {
      enabled: true,
      realTimeProtection: true,
      signatureVersion: null,
      signaturesUpdatedAt: null,
      upToDate: false,
    },
    'synthetic: older plain booleans, no passive-mode field, outdated definitions',
  );
  t.same(parseMdatpHealth('{}').enabled, null);
  t.throws(() => parseMdatpHealth('not json'));
});

t.test('systemctl is-active lines per unit', async (t) => {
  const units = ['a', 'b'];
  const states = parseSystemctlIsActive(units, 'inactive\nactive\n');
  t.same(
    [...(states ?? [])],
    [
      ['a', 'inactive'],
      ['b', 'active'],
    ],
  );
  t.equal(anyActive(states, ['b']), true);
  t.equal(anyActive(states, ['a']), false);
  t.equal(anyActive(null, ['a']), null);
  t.equal(parseSystemctlIsActive(units, ''), null, 'no systemd: no lines');
  t.equal(
    parseSystemctlIsActive(
      ['a'],
      fx('systemctl/recorded-debian12-container-no-systemd-stderr.txt'),
    ),
    null,
    'an error message is not a state',
  );
});

t.test('apt.conf syntax and apt-config dump', async (t) => {
  const enabled = parseAptConf(
    fx('apt-config-dump/recorded-debian12-container-unattended-upgrades.txt'),
  );
  t.equal(enabled.get('apt::periodic::unattended-upgrade'), '1');
  t.equal(enabled.get('apt::periodic::update-package-lists'), '1');
  t.notOk(enabled.has('unattended-upgrade::origins-pattern::'), 'list items are not values');
  const plain = parseAptConf(fx('apt-config-dump/recorded-debian12-container.txt'));
  t.equal(plain.get('apt::periodic::unattended-upgrade'), undefined);
  t.equal(plain.get('apt::architecture'), 'amd64');
  const file = parseAptConf(fx('etc/20auto-upgrades-debian12-unattended-upgrades-2.9.1.txt'));
  t.equal(file.get('apt::periodic::unattended-upgrade'), '1');
  const nested = parseAptConf(
    [
      '// synthetic',
      '/* block',
      '   comment */',
      '# hash comment',
      'APT {',
      '  Periodic {',
      '    Unattended-Upgrade "0";',
      '    Update-Package-Lists "1"; // trailing',
      '  };',
      '};',
      'APT::Periodic::Unattended-Upgrade "always";',
      'Unattended-Upgrade::Origins-Pattern { "a"; "b"; };',
      '"Quoted::Key" "v";',
      'Unterminated "x',
    ].join('\n'),
  );
  t.equal(
    nested.get('apt::periodic::unattended-upgrade'),
    'always',
    'synthetic: later wins, nesting read',
  );
  t.equal(nested.get('apt::periodic::update-package-lists'), '1');
  t.equal(nested.get('quoted::key'), 'v');
  t.equal(nested.get('unterminated'), 'x');
  t.ok(periodicOn('1'));
  t.ok(periodicOn('always'));
  t.ok(periodicOn('7d'));
  t.notOk(periodicOn('0'));
  t.notOk(periodicOn(''));
  t.notOk(periodicOn(undefined));
  t.notOk(periodicOn('never'));
});

t.test('INI files (dnf automatic.conf, yum-cron.conf)', async (t) => {
  const ini = parseIni(
    '# synthetic\n[commands]\napply_updates = yes\n; note\nupgrade_type: security\n[emitters]\n[Commands]\nx=1\n',
  );
  t.equal(ini.get('commands')?.get('apply_updates'), 'yes');
  t.equal(ini.get('commands')?.get('upgrade_type'), 'security');
  t.equal(ini.get('commands')?.get('x'), '1', 'section names are case-insensitive and merge');
});

t.test('ss -tulpn: sockets, addresses in every form, processes', async (t) => {
  const sockets = parseSs(fx('ss-listening/1.txt'));
  t.equal(sockets.length, 73);
  t.same(
    sockets.find((s) => s.port === 22),
    { protocol: 'tcp', address: '0.0.0.0', port: 22, process: 'sshd', pid: 1998 },
  );
  t.same(
    sockets.find((s) => s.port === 53 && s.protocol === 'udp' && s.address.includes('%')),
    {
      protocol: 'udp',
      address: '127.0.0.53%lo',
      port: 53,
      process: 'systemd-resolve',
      pid: 1117,
    },
  );
  t.same(sockets.find((s) => s.port === 67)?.address, '0.0.0.0%virbr0');
  t.same(
    sockets[0],
    { protocol: 'udp', address: '0.0.0.0', port: 4789, process: null, pid: null },
    'no users: kernel socket',
  );
  const azure = parseSs(fx('ss-listening/3.txt'));
  t.same(
    azure.filter((s) => s.port === 22),
    [
      { protocol: 'tcp', address: '0.0.0.0', port: 22, process: 'sshd', pid: 119489 },
      { protocol: 'tcp', address: '::', port: 22, process: 'sshd', pid: 119489 },
    ],
    'the first of two users (socket activation) is the process',
  );
  t.same(azure.find((s) => s.port === 323 && s.address === '::1')?.process, 'chronyd');
  t.same(parseSs(fx('ss-listening/recorded-debian12-container.txt')), [
    { protocol: 'tcp', address: '0.0.0.0', port: 2024, process: null, pid: null },
  ]);
  t.same(parseSsEndpoint('*:22'), { address: '*', port: 22 });
  t.same(parseSsEndpoint(':::22'), { address: '::', port: 22 }, 'old ss, IPv6 any');
  t.same(parseSsEndpoint('[fe80::1]%eth0:546'), { address: 'fe80::1%eth0', port: 546 });
  t.equal(parseSsEndpoint('0.0.0.0:*'), null);
  t.equal(parseSsEndpoint('1.2.3.4:70000'), null);
});

t.test(
  'sshd -T: permitrootlogin and passwordauthentication, old spelling normalised',
  async (t) => {
    t.same(parseSshdT(fx('sshd-T/1.txt')), {
      permitRootLogin: 'yes',
      passwordAuthentication: true,
    });
    t.same(parseSshdT(fx('sshd-T/3.txt')), {
      permitRootLogin: 'prohibit-password',
      passwordAuthentication: false,
    });
    t.same(parseSshdT(''), { permitRootLogin: null, passwordAuthentication: null });
  },
);

t.test('/etc/group and /etc/passwd recorded here; members of the admin groups', async (t) => {
  const groups = parseGroupFile(fx('etc/group-debian12-container.txt'));
  t.same(
    groups.find((g) => g.name === 'sudo'),
    { name: 'sudo', gid: 27, members: [] },
  );
  t.same(groups.find((g) => g.name === 'ssl-cert')?.members, ['postgres']);
  const users = parsePasswdFile(fx('etc/passwd-debian12-container.txt'));
  t.same(
    users.find((u) => u.name === 'cloudsdk'),
    { name: 'cloudsdk', uid: 1000, gid: 1000, shell: '/bin/bash' },
  );
  t.same(membersOf(['sudo', 'ssl-cert', 'nosuch'], groups, users), ['postgres']);
  t.same(
    membersOf(['cloudsdk'], groups, users),
    ['cloudsdk'],
    'a user whose primary group it is counts as a member',
  );
  t.same(parseGroupFile('+::::\n# c\nbad\nwheel:x:10:alice, bob\n'), [
    { name: 'wheel', gid: 10, members: ['alice', 'bob'] },
  ]);
  t.same(parsePasswdFile('short:x\n'), []);
  t.ok(isLoginShell('/bin/bash'));
  t.notOk(isLoginShell('/usr/sbin/nologin'));
  t.notOk(isLoginShell('/bin/false'));
  t.notOk(isLoginShell('/bin/sync'));
  t.notOk(isLoginShell(''));
});

t.test('sudoers: Debian 12 default grants %sudo and root; includes, aliases, runas', async (t) => {
  t.same(parseSudoers(fx('etc/sudoers-debian12-sudo-1.9.13p3.txt')), {
    users: ['root'],
    groups: ['sudo'],
    includeDirs: ['/etc/sudoers.d'],
    includeFiles: [],
  });
  const synthetic = parseSudoers(
    [
      'User_Alias ADMINS = carol, %ops : OTHERS = dave',
      'ADMINS ALL = (ALL) NOPASSWD: ALL',
      'alice, bob ALL=(ALL:ALL) \\',
      '    ALL',
      'erin ALL=(:ALL) ALL',
      'frank ALL=(postgres) ALL',
      'gina ALL=/usr/bin/systemctl restart nginx',
      '!harry ALL=ALL',
      '%:nonunix ALL=ALL',
      'ivan ALL=(root) ALL # comment',
      '#1000 ALL=(ALL) ALL',
      'Defaults env_reset',
      '#include /etc/sudoers.local',
    ].join('\n'),
  );
  t.same(
    synthetic,
    {
      users: ['carol', 'alice', 'bob', 'ivan', '#1000'],
      groups: ['ops'],
      includeDirs: [],
      includeFiles: ['/etc/sudoers.local'],
    },
    'synthetic: alias expanded, continuation joined, group-only and other runas users left out',
  );
});

t.test('LightDM allow-guest: Debian default does not set it; later files win', async (t) => {
  t.equal(lightdmAllowGuest([fx('etc/lightdm.conf-debian12-lightdm-1.26.0.txt')]), null);
  t.equal(
    lightdmAllowGuest(['[Seat:*]\nallow-guest=true\n', '[SeatDefaults]\nallow-guest=false\n']),
    false,
    'synthetic: the later file wins',
  );
  t.equal(
    lightdmAllowGuest(['[Other]\nallow-guest=true\n']),
    null,
    'synthetic: other sections ignored',
  );
});

t.test('Secure Boot: EFI variable bytes and mokutil', async (t) => {
  t.equal(parseEfiSecureBootVar('\x06\x00\x00\x00\x01'), true, 'synthetic: attributes then 1');
  t.equal(parseEfiSecureBootVar('\x06\x00\x00\x00\x00'), false);
  t.equal(parseEfiSecureBootVar('\x06\x00\x00\x00\x07'), null);
  t.equal(parseEfiSecureBootVar('\x06'), null);
  t.equal(parseMokutilSbState('SecureBoot enabled\n'), true, 'synthetic');
  t.equal(
    parseMokutilSbState('SecureBoot disabled\nPlatform is in Setup Mode\n'),
    false,
    'synthetic',
  );
  t.equal(parseMokutilSbState(fx('mokutil/recorded-debian12-container-stderr.txt')), null);
});

t.test('timedatectl show and status in three generations of labels', async (t) => {
  t.same(timedatectlFromShow(parseTimedatectlShow(fx('timedatectl/show-rhel-tutorial.txt'))), {
    synchronized: true,
    ntpEnabled: true,
    timesyncd: false,
  });
  t.same(parseTimedatectlStatus(fx('timedatectl/status-ubuntu-18.04-jc.txt')), {
    synchronized: true,
    ntpEnabled: true,
    timesyncd: true,
  });
  t.same(parseTimedatectlStatus(fx('timedatectl/status-centos-7.7-jc.txt')), {
    synchronized: true,
    ntpEnabled: true,
    timesyncd: false,
  });
  t.same(parseTimedatectlStatus(fx('timedatectl/status-ntp-service-vagrant.txt')), {
    synchronized: true,
    ntpEnabled: true,
    timesyncd: false,
  });
  t.same(parseTimedatectlStatus('NTP service: inactive\nSystem clock synchronized: no\n'), {
    synchronized: false,
    ntpEnabled: false,
    timesyncd: false,
  });
  t.same(parseTimedatectlStatus('NTP service: n/a\n').ntpEnabled, null);
});

t.test('chronyc tracking: synchronised with source and offset, or not', async (t) => {
  t.same(parseChronycTracking(fx('chronyc-tracking/centos-7.4-amazon-time-sync.txt')), {
    synchronized: true,
    source: '169.254.169.123',
    offsetSeconds: 0.000000031,
  });
  t.same(parseChronycTracking(fx('chronyc-tracking/centos-7.4-slow.txt')), {
    synchronized: true,
    source: 'pyramid.latt.net',
    offsetSeconds: 0.000031625,
  });
  t.same(parseChronycTracking(fx('chronyc-tracking/centos-7.4-not-synchronised.txt')), {
    synchronized: false,
    source: null,
    offsetSeconds: null,
  });
  t.equal(
    parseChronycTracking(fx('chronyc-tracking/recorded-debian12-container-no-daemon.txt')),
    null,
  );
  t.same(
    parseChronycTracking('Reference ID    : 7F7F0101\nLeap status     : Normal\n')?.source,
    '7F7F0101',
    'synthetic: a reference id without a name',
  );
});

t.test('ntpq -p: the system peer and its offset', async (t) => {
  t.same(parseNtpqPeers(fx('ntpq/p-centos7-jst.txt')), {
    synchronized: true,
    source: 'ntp3.jst.mfeed.',
    offsetSeconds: 0.001033,
  });
  t.same(parseNtpqPeers(fx('ntpq/np-rhel6-local-clock.txt')), {
    synchronized: true,
    source: '127.127.1.0',
    offsetSeconds: 0,
  });
  t.same(
    parseNtpqPeers(fx('ntpq/np-rhel6-local-clock.txt').replace('*127', ' 127')),
    { synchronized: false, source: null, offsetSeconds: null },
    'no selected peer: not synchronised',
  );
  t.equal(parseNtpqPeers('ntpq: read: Connection refused'), null);
});

t.test('timedatectl timesync-status: server and offset', async (t) => {
  t.same(parseTimesyncStatus(fx('timedatectl/timesync-status-jc.txt')), {
    synchronized: null,
    source: 'time.google.com',
    offsetSeconds: 0.005224,
  });
  t.same(parseTimesyncStatus('').source, null);
  t.equal(parseDurationSeconds('+120us'), 0.00012);
  t.equal(parseDurationSeconds('2min'), 120);
  t.equal(parseDurationSeconds('soon'), null);
});

t.test('synthetic edge cases of the parsers', async (t) => {
  t.same(
    parseGroupFile('sudo:x:27\n'),
    [{ name: 'sudo', gid: 27, members: [] }],
    'no member field',
  );
  t.same(parsePasswdFile('alice:x:abc:1000::/home/alice:/bin/bash\n'), [], 'non-numeric uid');
  t.same(
    parseLsblkJson('{"blockdevices":[{"mountpoint":"/"}]}')[0],
    { name: '?', type: '', fstype: null, mountpoints: ['/'], children: [] },
    'a device without name or type',
  );
  t.same(parseLsblkTree('TYPE MOUNTPOINT\ndisk /\n'), [], 'no NAME column');
  t.same(
    parseUfwStatus(
      'Status: active\n\nTo  Action  From\n--  ------  ----\n22  ALLOW IN  Anywhere\n',
    ),
    {
      active: true,
      defaultInbound: null,
      rules: 1,
    },
  );
  t.same(parseFirewallCmdListAll(''), { zone: null, target: null, services: [], ports: [] });
  t.same(parseFirewallCmdListAll('public\n  odd line\n  ports: 22/tcp 80/tcp\n').ports, [
    '22/tcp',
    '80/tcp',
  ]);
  t.same(parseIptablesS('-P INPUT ACCEPT\n-A INPUT -p tcp --dport 22\n'), {
    policy: 'ACCEPT',
    rules: 1,
    filteringRules: 0,
  });
  t.same(parseSs('tcp LISTEN 0 128 garbage *:*\n'), [], 'a local address without a port');
  t.same(parseSshdT('passwordauthentication maybe\n').passwordAuthentication, null);
  t.same(timedatectlFromShow(parseTimedatectlShow('NTP=maybe\n=x\n')), {
    synchronized: null,
    ntpEnabled: null,
    timesyncd: false,
  });
  t.same(parseTimedatectlStatus('no colon here\n').synchronized, null);
  t.same(parseChronycTracking('Leap status     : Normal\n'), {
    synchronized: true,
    source: null,
    offsetSeconds: null,
  });
  t.equal(parseDurationSeconds('1.2.3ms'), null);
  t.equal(parseTimesyncStatus('Server: 192.0.2.1\n').source, '192.0.2.1');
  const eof = parseAptConf('A::B "1"; // no newline at the end');
  t.equal(eof.get('a::b'), '1');
  t.equal(parseAptConf('A::B "1"; # hash at the end').get('a::b'), '1');
  t.equal(parseAptConf('A::B "1"; /* never closed').get('a::b'), '1');
});
