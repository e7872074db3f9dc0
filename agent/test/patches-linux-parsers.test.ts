import t from 'tap';
import {
  parseAptError,
  parseAptHistoryLastInstall,
  parseAptListUpgradable,
  parseNeedrestartBatch,
  parseRebootRequiredPkgs,
} from '../src/collectors/patches/apt.js';
import {
  mergeUpdateinfo,
  parseDnfCheckUpdate,
  parseNeedsRestarting,
  parseUpdateinfoList,
  splitNevra,
} from '../src/collectors/patches/dnf.js';
import {
  graverSeverity,
  normaliseSeverity,
  pendingUpdate,
} from '../src/collectors/patches/linux-common.js';
import { parseZypperListPatches } from '../src/collectors/patches/zypper.js';
import { readFixture } from './helpers/fixtures.js';

const fx = (path: string): string => readFixture(`patches/${path}`);

t.test('apt list --upgradable: Debian 9, one package, N: note skipped', async (t) => {
  const list = parseAptListUpgradable(fx('apt-list-upgradable/1.txt'));
  t.same(list, [
    {
      name: 'libzmq5',
      kb: null,
      currentVersion: '4.2.1-4',
      availableVersion: '4.2.1-4+deb9u1',
      security: false,
      severity: null,
      classification: 'stable',
      advisories: [],
      restartRequired: null,
      releasedAt: null,
    },
  ]);
});

t.test('apt list --upgradable: repeated suites de-duplicated, epochs kept', async (t) => {
  const list = parseAptListUpgradable(fx('apt-list-upgradable/3.txt'));
  t.same(
    list.map((p) => [p.name, p.classification, p.availableVersion, p.currentVersion, p.security]),
    [
      ['heroku', 'stable', '6.15.2-1', '6.14.43-1', false],
      ['resolvconf', 'zesty-updates', '1.79ubuntu4.1', '1.79ubuntu4', false],
      ['squashfs-tools', 'zesty-updates', '1:4.3-3ubuntu2.17.04.1', '1:4.3-3ubuntu2', false],
      ['unattended-upgrades', 'zesty-updates', '0.93.1ubuntu2.4', '0.93.1ubuntu2.3', false],
    ],
  );
});

t.test('apt list --upgradable: -security pockets', async (t) => {
  const bionic = parseAptListUpgradable(fx('apt-list-upgradable/5.txt'));
  t.same(
    bionic.map((p) => [p.name, p.classification, p.security]),
    [
      ['ca-certificates', 'bionic-security,bionic-updates', true],
      ['curl', 'bionic-security,bionic-updates', true],
      ['element-desktop', 'unknown', false],
    ],
  );
  const jammy = parseAptListUpgradable(fx('apt-list-upgradable/7.txt'));
  t.same(
    jammy.map((p) => [p.name, p.availableVersion, p.security]),
    [
      ['libruby3.0', '3.0.2-7ubuntu2.3', true],
      ['ruby3.0', '3.0.2-7ubuntu2.3', true],
      ['update-notifier-common', '3.192.54.3', false],
    ],
  );
});

t.test('apt list --upgradable: focal -updates only, trimmed marker ignored', async (t) => {
  const list = parseAptListUpgradable(fx('apt-list-upgradable/9.txt'));
  t.equal(list.length, 12);
  t.equal(list.filter((p) => p.security).length, 0);
  t.same(list[1], {
    name: 'cloud-init',
    kb: null,
    currentVersion: '20.3-2-g371b392c-0ubuntu1~20.04.1',
    availableVersion: '20.4.1-0ubuntu1~20.04.1',
    security: false,
    severity: null,
    classification: 'focal-updates',
    advisories: [],
    restartRequired: null,
    releasedAt: null,
  });
  t.equal(list[11]?.name, 'lsof');
});

t.test('apt list --upgradable: recorded on this project build machine (apt 2.6)', async (t) => {
  const list = parseAptListUpgradable(fx('apt-list-upgradable/recorded-debian12-container.txt'));
  t.equal(list.length, 106, 'every line but "Listing..."');
  t.same(list[0], {
    name: 'appstream',
    kb: null,
    currentVersion: '0.16.1-2',
    availableVersion: '0.16.1-2+b1',
    security: false,
    severity: null,
    classification: 'oldstable',
    advisories: [],
    restartRequired: null,
    releasedAt: null,
  });
  t.ok(list.every((p) => p.classification === 'oldstable' && p.security === false));
});

t.test('apt list --upgradable: the stderr WARNING and empty output', async (t) => {
  t.same(
    parseAptListUpgradable(
      'WARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\nListing...\n',
    ),
    [],
  );
  t.same(parseAptListUpgradable(''), []);
  t.same(
    parseAptListUpgradable('foo/stable 1.0 amd64').map((p) => [p.name, p.currentVersion]),
    [['foo', null]],
    'no "upgradable from": current version unknown',
  );
  const debianSecurity = parseAptListUpgradable(
    'openssl/jammy-security 3.0.2-0ubuntu1.15 amd64 [upgradable from: 3.0.2-0ubuntu1.14]',
  );
  t.equal(debianSecurity[0]?.security, true, 'the example line of the contract');
});

t.test('apt errors: lock held by unattended-upgrades', async (t) => {
  const message = parseAptError(fx('apt-get-simulate-upgrade/7.txt'));
  t.equal(
    message,
    'apt is locked by another package-manager run (try again later): E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4588 (unattended-upgr)',
  );
  t.equal(
    parseAptError(
      'E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?',
    ),
    'apt is locked by another package-manager run (try again later): E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?',
  );
  t.equal(parseAptError('W: something\nE: other problem'), 'E: other problem');
  t.equal(
    parseAptError(
      'WARNING: apt does not have a stable CLI interface. Use with caution in scripts.',
    ),
    null,
  );
  t.equal(parseAptError(''), null);
});

t.test('reboot-required.pkgs: de-duplicated lines', async (t) => {
  t.same(parseRebootRequiredPkgs(fx('needs-restarting/synthetic-reboot-required-pkgs.txt')), [
    'linux-image-5.15.0-91-generic',
    'linux-base',
  ]);
  t.same(parseRebootRequiredPkgs(''), []);
});

t.test('apt history.log: last install/upgrade, recorded on this machine', async (t) => {
  t.equal(
    parseAptHistoryLastInstall(fx('apt-history-log/recorded-debian12-container.txt')),
    new Date(2026, 9, 16, 23, 4, 1).toISOString(),
  );
  t.equal(parseAptHistoryLastInstall(''), null, 'rotated, empty log');
  t.equal(
    parseAptHistoryLastInstall(
      'Start-Date: 2026-05-09  07:28:46\nCommandline: apt-get remove -y tzdata\nRemove: tzdata:amd64 (2025b-0+deb12u2)\nEnd-Date: 2026-05-09  07:28:50\n',
    ),
    null,
    'a removal is not an install',
  );
  t.equal(
    parseAptHistoryLastInstall(
      'Start-Date: 2026-05-09  07:28:46\nUpgrade: tzdata:amd64 (a, b)\nStart-Date: 2026-05-09  07:30:00\nCommandline: apt-get remove x\nEnd-Date: 2026-05-09  07:31:00\n',
    ),
    null,
    'an interrupted run (no End-Date) does not count, nor the next removal',
  );
});

t.test('needrestart -b: kernel upgrade pending, Perl warning mixed in', async (t) => {
  t.same(parseNeedrestartBatch(fx('needs-restarting/1.txt')), {
    rebootRequired: true,
    reasons: ['kernel 5.10.0-19-amd64 -> 5.10.0-20-amd64'],
  });
  t.same(parseNeedrestartBatch('NEEDRESTART-KSTA: 1\nNEEDRESTART-UCSTA: 2'), {
    rebootRequired: true,
    reasons: ['CPU microcode update'],
  });
  t.same(parseNeedrestartBatch('NEEDRESTART-KSTA: 1\nNEEDRESTART-UCSTA: 1'), {
    rebootRequired: false,
    reasons: [],
  });
  t.same(parseNeedrestartBatch('NEEDRESTART-KSTA: 2\n'), {
    rebootRequired: true,
    reasons: ['kernel ? -> a newer kernel'],
  });
  t.same(parseNeedrestartBatch('NEEDRESTART-KSTA: 0'), { rebootRequired: null, reasons: [] });
});

t.test('dnf/yum check-update: yum 3 on Fedora 15', async (t) => {
  const list = parseDnfCheckUpdate(fx('dnf-check-update/1.txt'));
  t.equal(list.length, 15);
  t.same(list[0], {
    name: 'PackageKit',
    kb: null,
    currentVersion: null,
    availableVersion: '0.6.14-2.fc15',
    security: null,
    severity: null,
    classification: 'fedora',
    advisories: [],
    restartRequired: null,
    releasedAt: null,
  });
  t.same(list.at(-1)?.name, 'yum');
  t.equal(list.find((p) => p.name === 'kernel')?.availableVersion, '2.6.38.6-26.fc15');
});

t.test('dnf5 check-upgrade: Upgrades heading, Obsoleting section skipped', async (t) => {
  const list = parseDnfCheckUpdate(fx('dnf-check-update/3.txt'));
  t.same(
    list.map((p) => [p.name, p.availableVersion, p.classification]),
    [
      ['apparmor-libs', '6.0.0~alpha1-1.fc44', 'terra'],
      ['proton-vpn-daemon', '0.13.8-1.fc44', 'protonvpn-fedora-stable'],
      ['proton-vpn-gtk-app', '4.18.1-1.fc44', 'protonvpn-fedora-stable'],
      ['python3-proton-vpn-api-core', '5.6.10-1.fc44', 'protonvpn-fedora-stable'],
      ['python3-proton-vpn-api-core', '5.6.10-1.fc44', 'protonvpn-fedora-stable'],
    ],
  );
});

t.test('dnf 4 check-update: metadata line, epochs, trailing spaces', async (t) => {
  const list = parseDnfCheckUpdate(fx('dnf-check-update/5.txt'));
  t.equal(list.length, 11);
  t.equal(list[1]?.name, 'autocorr-en');
  t.equal(list[1]?.availableVersion, '1:7.1.3.2-1.fc34');
  t.equal(list[1]?.classification, 'updates');
  t.equal(list[10]?.availableVersion, '4:1-16.fc34');
  t.same(parseDnfCheckUpdate(''), []);
  t.same(
    parseDnfCheckUpdate(fx('dnf-updateinfo-security/1.txt')),
    [],
    'indented and wrapped lines of other dnf output are not updates',
  );
  t.same(parseDnfCheckUpdate('Security: kernel.x86_64 notice'), [], 'not name.arch version repo');
});

t.test('splitNevra', async (t) => {
  t.same(splitNevra('dhcp-client-12:4.4.2-17.b1.el9.x86_64'), {
    name: 'dhcp-client',
    version: '12:4.4.2',
    release: '17.b1.el9',
    arch: 'x86_64',
  });
  t.equal(splitNevra('not-a-nevra'), null);
});

t.test('yum updateinfo list security all: RHEL 7, marker column, one RHSA per line', async (t) => {
  const info = parseUpdateinfoList(fx('dnf-updateinfo-security/1.txt'));
  t.same([...info.keys()], ['389-ds-base', '389-ds-base-libs']);
  const ds = info.get('389-ds-base');
  t.equal(ds?.advisories.length, 12);
  t.equal(ds?.advisories[0], 'RHSA-2014:1031');
  t.equal(ds?.severity, 'important');
  t.equal(ds?.security, true);
  t.same(info.get('389-ds-base-libs')?.advisories, ['RHSA-2014:1031']);
});

t.test('yum updateinfo list security installed: RHEL 9, epochs, several per package', async (t) => {
  const info = parseUpdateinfoList(fx('dnf-updateinfo-security/5.txt'));
  t.equal(info.size, 22);
  t.same(info.get('kernel'), {
    advisories: ['RHSA-2023:0334', 'RHSA-2023:0951', 'RHSA-2023:1470', 'RHSA-2022:8267'],
    severity: 'important',
    security: true,
    types: ['security'],
  });
  t.same(info.get('curl')?.advisories, ['RHSA-2022:8299', 'RHSA-2023:0333']);
  t.equal(info.get('curl')?.severity, 'moderate', 'the graver of Low and Moderate');
  t.equal(info.get('dhcp-client')?.advisories[0], 'RHSA-2022:8385');
  t.equal(info.get('grub2-common')?.severity, 'moderate');
  t.notOk(info.has('Last'), 'preamble lines are not advisories');
});

t.test('dnf5 advisory list: truncated type and severity columns', async (t) => {
  const info = parseUpdateinfoList(fx('dnf-updateinfo-security/7.txt'));
  t.same(
    [...info.keys()],
    [
      'libzstd-debuginfo',
      'zstd-debuginfo',
      'zstd-debugsource',
      'gcc-debuginfo',
      'gcc-debugsource',
      'libgcc-debuginfo',
      'glib2-debuginfo',
      'glib2-debugsource',
      'libcap-debuginfo',
    ],
  );
  t.same(info.get('glib2-debuginfo'), {
    advisories: ['FEDORA-2024-635a54eb7e'],
    severity: 'important',
    security: true,
    types: ['security'],
  });
  t.same(info.get('gcc-debuginfo'), {
    advisories: ['FEDORA-2024-27b58399dc'],
    severity: 'moderate',
    security: false,
    types: ['bugfix'],
  });
  t.equal(info.get('zstd-debuginfo')?.severity, 'unspecified');
  t.same(info.get('libcap-debuginfo')?.types, ['unspecified']);
});

t.test('dnf4 updateinfo list without severity: bugfix/enhancement lines', async (t) => {
  // the shape of the type column when an advisory has no severity (cf. the /Sec. lines)
  const info = parseUpdateinfoList('FEDORA-2021-0a1b2c3d4e bugfix bluez-5.58-2.fc34.x86_64');
  t.same(info.get('bluez'), {
    advisories: ['FEDORA-2021-0a1b2c3d4e'],
    severity: null,
    security: false,
    types: ['bugfix'],
  });
  t.equal(parseUpdateinfoList('RHSA-2023:0340 Weird bash-5.1.8-6.el9_1.x86_64').size, 0);
  t.same(
    parseUpdateinfoList('i RHSA-2014:1031 Important/Sec. 389-ds-base-1.3.1.6-26.el7_0.x86_64').get(
      '389-ds-base',
    )?.advisories,
    ['RHSA-2014:1031'],
    'the installed marker of `list all`',
  );
  t.equal(parseUpdateinfoList('RHSA-2023:0340 Moderate/Sec. not_a_nevra').size, 0);
});

t.test('merge updateinfo into the check-update list', async (t) => {
  const pending = parseDnfCheckUpdate(
    'kernel.x86_64   5.14.0-162.22.2.el9_1   rhel-9-baseos\nfoo.noarch   1.0-1   epel\n',
  );
  const merged = mergeUpdateinfo(pending, parseUpdateinfoList(fx('dnf-updateinfo-security/5.txt')));
  t.same(
    merged.map((p) => [p.name, p.security, p.severity, p.advisories.length]),
    [
      ['kernel', true, 'important', 4],
      ['foo', false, null, 0],
    ],
  );
});

t.test('needs-restarting -r reasons', async (t) => {
  t.same(parseNeedsRestarting(fx('needs-restarting/3.txt')), ['glibc', 'linux-firmware']);
  t.same(parseNeedsRestarting(fx('needs-restarting/5.txt')), ['kernel -> 3.10.0-1160.119.1.el7']);
  t.same(parseNeedsRestarting(fx('needs-restarting/7.txt')), ['glibc', 'kernel', 'systemd']);
  t.same(parseNeedsRestarting(''), []);
});

t.test('zypper lp: SLES 12 two tables, Interactive=restart is not a reboot', async (t) => {
  const list = parseZypperListPatches(fx('zypper-list-patches/1.txt'));
  t.same(list, [
    {
      name: 'SUSE-SLE-SERVER-12-SP2-2017-1022',
      kb: null,
      currentVersion: null,
      availableVersion: null,
      security: false,
      severity: 'moderate',
      classification: 'recommended',
      advisories: ['SUSE-SLE-SERVER-12-SP2-2017-1022'],
      restartRequired: false,
      releasedAt: null,
    },
    {
      name: 'SUSE-SLE-SERVER-12-SP2-2017-1252',
      kb: null,
      currentVersion: null,
      availableVersion: null,
      security: true,
      severity: 'important',
      classification: 'security',
      advisories: ['SUSE-SLE-SERVER-12-SP2-2017-1252'],
      restartRequired: false,
      releasedAt: null,
    },
  ]);
});

t.test('zypper patches: applied rows are not pending', async (t) => {
  t.same(parseZypperListPatches(fx('zypper-list-patches/3.txt')), []);
  t.same(parseZypperListPatches('a | b\n'), [], 'a table without the patch header');
  const noInteractive = parseZypperListPatches(
    'Repository | Name | Category | Severity | Status | Summary\nr | p-1 | security | critical | needed | s\n',
  );
  t.same(
    noInteractive.map((p) => [p.name, p.severity, p.restartRequired]),
    [['p-1', 'critical', null]],
    'columns found by header name; no Interactive column: reboot unknown',
  );
});

t.test('zypper lp: Leap 42.3 matches its own footer (7 needed, 3 security)', async (t) => {
  const list = parseZypperListPatches(fx('zypper-list-patches/5.txt'));
  t.equal(list.length, 7);
  t.equal(list.filter((p) => p.security).length, 3);
  t.same(
    list.map((p) => [p.name, p.severity]),
    [
      ['openSUSE-2017-1268', 'important'],
      ['openSUSE-2017-1425', 'low'],
      ['openSUSE-2017-940', 'important'],
      ['openSUSE-2018-118', 'important'],
      ['openSUSE-2018-234', 'low'],
      ['openSUSE-2018-241', 'moderate'],
      ['openSUSE-2018-586', 'low'],
    ],
  );
  t.equal(list[0]?.restartRequired, false);
});

t.test('zypper lp: Leap 15.2, optional left out like zypper (7 needed, 1 security)', async (t) => {
  const list = parseZypperListPatches(fx('zypper-list-patches/7.txt'));
  t.equal(list.length, 7);
  t.same(
    list.filter((p) => p.security).map((p) => p.name),
    ['openSUSE-2021-462'],
  );
  t.equal(list[0]?.name, 'openSUSE-2021-456');
  t.notOk(
    list.some((p) => p.name === 'openSUSE-2021-361'),
    'the optional patch',
  );
});

t.test('severity helpers and pendingUpdate bounds', async (t) => {
  t.equal(normaliseSeverity('Critical'), 'critical');
  t.equal(normaliseSeverity('Importan'), 'important');
  t.equal(normaliseSeverity('None'), 'unspecified');
  t.equal(normaliseSeverity('unspecified'), 'unspecified');
  t.equal(normaliseSeverity(''), null);
  t.equal(normaliseSeverity(undefined), null);
  t.equal(normaliseSeverity('lo'), 'unspecified', 'too short to be a prefix');
  t.equal(graverSeverity(null, 'low'), 'low');
  t.equal(graverSeverity('critical', null), 'critical');
  t.equal(graverSeverity('low', 'critical'), 'critical');
  t.equal(graverSeverity('critical', 'low'), 'critical');
  const p = pendingUpdate({
    name: 'x'.repeat(600),
    kb: ' ',
    advisories: Array.from({ length: 40 }, (_, i) => `A-${i}`),
  });
  t.equal(p.name.length, 512);
  t.equal(p.kb, null);
  t.equal(p.advisories.length, 32);
});
