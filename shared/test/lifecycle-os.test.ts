// OS lifecycle from real version strings. Each OS value is copied from a recorded source,
// named beside it: agent/test/fixtures (systeminformation and replay captures) or the
// reference command outputs in /work/shared/samples/outputs (tests must not read those).
// `now` is fixed so the states do not drift with the calendar; the dates asserted are the
// embedded endoflife.date snapshot's (2026-08-22).
import t from 'tap';
import { osLifecycle, matchOs, windowsBuild, type OsInfo } from '../src/index.js';

const NOW = new Date('2026-09-01T12:00:00Z');

const os = (
  platform: OsInfo['platform'],
  distro: string | null,
  release: string | null,
  build: string | null = null,
): OsInfo => ({
  platform,
  distro,
  release,
  codename: null,
  build,
  kernel: null,
  arch: 'x64',
});

interface Case {
  name: string;
  os: OsInfo;
  product: string | null;
  cycle: string | null;
  eol: string | null;
  state: string;
  extendedSupport?: boolean;
}

const CASES: Case[] = [
  {
    // agent/test/fixtures/replay/windows-10-enterprise/system.json (and systeminfo/1.txt)
    name: 'Windows 10 Enterprise 20H2 (build 19042) is the -e cycle, ended 2023-05-09',
    os: os('windows', 'Microsoft Windows 10 Enterprise', '10.0.19042', '19042'),
    product: 'windows',
    cycle: '10-20h2-e',
    eol: '2023-05-09',
    state: 'end_of_life',
  },
  {
    name: 'Windows 10 Pro 20H2 (same build) is the -w cycle, which ended a year earlier',
    os: os('windows', 'Microsoft Windows 10 Pro', '10.0.19042', '19042'),
    product: 'windows',
    cycle: '10-20h2-w',
    eol: '2022-05-10',
    state: 'end_of_life',
  },
  {
    name: 'Windows 10 22H2 (19045) has one cycle for all editions in the data',
    os: os('windows', 'Microsoft Windows 10 Pro', '10.0.19045', '19045'),
    product: 'windows',
    cycle: '10-22h2',
    eol: '2025-10-14',
    state: 'end_of_life',
  },
  {
    name: 'Windows 10 22H2 with ESU asked for is judged by eoes',
    os: os('windows', 'Microsoft Windows 10 Enterprise', '10.0.19045', '19045'),
    product: 'windows',
    cycle: '10-22h2',
    eol: '2028-10-10',
    state: 'supported',
    extendedSupport: true,
  },
  {
    name: 'Windows 10 Enterprise LTSC 2021 (19044) is the long-term cycle, ending within 180 days',
    os: os('windows', 'Microsoft Windows 10 Enterprise LTSC', '10.0.19044', '19044'),
    product: 'windows',
    cycle: '10-21h2-e-lts',
    eol: '2027-01-12',
    state: 'ending_soon',
  },
  {
    name: 'Windows 11 IoT Enterprise LTSC 2024 (26100) is the IoT long-term cycle',
    os: os('windows', 'Microsoft Windows 11 IoT Enterprise LTSC', '10.0.26100', '26100'),
    product: 'windows',
    cycle: '11-24h2-iot-lts',
    eol: '2034-10-10',
    state: 'supported',
  },
  {
    name: 'Windows 11 Education 23H2 (22631) is an -e cycle, ending within 180 days',
    os: os('windows', 'Microsoft Windows 11 Education', '10.0.22631', null),
    product: 'windows',
    cycle: '11-23h2-e',
    eol: '2026-11-10',
    state: 'ending_soon',
  },
  {
    name: 'Windows 11 Home 24H2 (26100) is the -w cycle',
    os: os('windows', 'Microsoft Windows 11 Home', '10.0.26100', '26100'),
    product: 'windows',
    cycle: '11-24h2-w',
    eol: '2026-10-13',
    state: 'ending_soon',
  },
  {
    name: 'Windows Server 2019 (17763) by build',
    os: os('windows', 'Microsoft Windows Server 2019 Standard', '10.0.17763', '17763'),
    product: 'windows-server',
    cycle: '2019',
    eol: '2029-01-09',
    state: 'supported',
  },
  {
    // /work/shared/samples/outputs/systeminfo/3.txt: OS Version 6.3.9600 N/A Build 9600
    name: 'Windows Server 2012 R2 (6.3.9600) is end of life',
    os: os('windows', 'Microsoft Windows Server 2012 R2 Standard', '6.3.9600', '9600'),
    product: 'windows-server',
    cycle: '2012-r2',
    eol: '2023-10-10',
    state: 'end_of_life',
  },
  {
    // agent/test/fixtures/replay/macos-26-tahoe/system.json, sw-vers/5.txt
    name: 'macOS 26.5.1: Apple publishes no date, so unknown, never supported',
    os: os('darwin', 'macOS', '26.5.1', '25F80'),
    product: 'macos',
    cycle: '26',
    eol: null,
    state: 'unknown',
  },
  {
    // /work/shared/samples/outputs/sw-vers/3.txt
    name: 'macOS 13.2.1 is end of life by the date the data holds',
    os: os('darwin', 'macOS', '13.2.1', '22D68'),
    product: 'macos',
    cycle: '13',
    eol: '2025-09-15',
    state: 'end_of_life',
  },
  {
    name: 'macOS 10.15.7 is a 10.x cycle by minor; a future date is still not "supported"',
    os: os('darwin', 'macOS', '10.15.7', '19H2'),
    product: 'macos',
    cycle: '10.15',
    eol: '2026-02-02',
    state: 'end_of_life',
  },
  {
    // agent/test/fixtures/systeminformation/linux-debian-container.json
    name: 'Debian 12 (bookworm) after its security support ended 2026-07-11',
    os: os('linux', 'Debian GNU/Linux', '12'),
    product: 'debian',
    cycle: '12',
    eol: '2026-07-11',
    state: 'end_of_life',
  },
  {
    name: 'Ubuntu 20.04 after free support ended 2025-05-31',
    os: os('linux', 'Ubuntu', '20.04.6 LTS'),
    product: 'ubuntu',
    cycle: '20.04',
    eol: '2025-05-31',
    state: 'end_of_life',
  },
  {
    name: 'Ubuntu 20.04 with ESM asked for is supported until 2030',
    os: os('linux', 'Ubuntu', '20.04.6 LTS'),
    product: 'ubuntu',
    cycle: '20.04',
    eol: '2030-04-02',
    state: 'supported',
    extendedSupport: true,
  },
  {
    name: 'RHEL 9.4 by major',
    os: os('linux', 'Red Hat Enterprise Linux', '9.4'),
    product: 'rhel',
    cycle: '9',
    eol: '2032-05-31',
    state: 'supported',
  },
  {
    name: 'Rocky Linux 8.10 by major',
    os: os('linux', 'Rocky Linux', '8.10'),
    product: 'rocky-linux',
    cycle: '8',
    eol: '2029-05-31',
    state: 'supported',
  },
  {
    name: 'AlmaLinux 8.10 by major',
    os: os('linux', 'AlmaLinux', '8.10'),
    product: 'almalinux',
    cycle: '8',
    eol: '2029-05-31',
    state: 'supported',
  },
  {
    name: 'Oracle Linux Server 8.9 by major',
    os: os('linux', 'Oracle Linux Server', '8.9'),
    product: 'oracle-linux',
    cycle: '8',
    eol: '2029-07-31',
    state: 'supported',
  },
  {
    name: 'CentOS Linux 8 ended 2021-12-31',
    os: os('linux', 'CentOS Linux', '8'),
    product: 'centos',
    cycle: '8',
    eol: '2021-12-31',
    state: 'end_of_life',
  },
  {
    name: 'SLES 15-SP7 (the service pack form) is cycle 15.7',
    os: os('linux', 'SUSE Linux Enterprise Server', '15-SP7'),
    product: 'sles',
    cycle: '15.7',
    eol: '2031-07-31',
    state: 'supported',
  },
  {
    name: 'Fedora Linux 43 by major',
    os: os('linux', 'Fedora Linux', '43'),
    product: 'fedora',
    cycle: '43',
    eol: '2026-12-09',
    state: 'ending_soon',
  },
  {
    name: 'Windows with no edition name falls back to the edition-less cycle',
    os: os('windows', null, '10.0.19045', '19045'),
    product: 'windows',
    cycle: '10-22h2',
    eol: '2025-10-14',
    state: 'end_of_life',
  },
  {
    name: 'an Ubuntu release the snapshot does not hold is unknown',
    os: os('linux', 'Ubuntu', '99.04'),
    product: 'ubuntu',
    cycle: '99.04',
    eol: null,
    state: 'unknown',
  },
  {
    name: 'an unrecognised distribution is unknown',
    os: os('linux', 'Gentoo Linux', '2.17'),
    product: null,
    cycle: null,
    eol: null,
    state: 'unknown',
  },
];

t.test('OS lifecycle from real version strings', async (t) => {
  for (const c of CASES) {
    const result = osLifecycle(c.os, { now: NOW, extendedSupport: c.extendedSupport });
    t.match(
      result,
      { product: c.product, cycle: c.cycle, eol: c.eol, state: c.state, source: 'endoflife.date' },
      c.name,
    );
    t.equal(
      result.reason !== undefined,
      c.state === 'unknown',
      `${c.name}: a reason exactly when unknown`,
    );
  }
});

t.test('labels read as a technician writes them', async (t) => {
  t.equal(
    osLifecycle(os('linux', 'Ubuntu', '20.04.6 LTS'), { now: NOW }).label,
    'Ubuntu 20.04 (Focal Fossa)',
  );
  t.equal(
    osLifecycle(os('windows', 'Microsoft Windows Server 2012 R2 Standard', '6.3.9600', '9600'), {
      now: NOW,
    }).label,
    'Windows Server 2012 R2',
  );
  t.equal(
    osLifecycle(os('windows', 'Microsoft Windows 10 Enterprise', '10.0.19042', '19042'), {
      now: NOW,
    }).label,
    'Microsoft Windows 10 20H2 (E)',
  );
  t.equal(
    osLifecycle(os('linux', 'Gentoo Linux', '2.17'), { now: NOW }).label,
    'Gentoo Linux 2.17',
  );
  t.equal(osLifecycle(os('freebsd', null, null), { now: NOW }).label, 'freebsd');
});

t.test('what is not recognised is not matched', async (t) => {
  const unmatched: [string, OsInfo][] = [
    ['Windows with no build at all', os('windows', 'Microsoft Windows 10 Pro', null, null)],
    [
      'a Windows client build not in the table (insider 27000)',
      os('windows', 'Microsoft Windows 11 Pro', '10.0.27000', '27000'),
    ],
    [
      'a Windows Server build not in the table',
      os('windows', 'Microsoft Windows Server 2019', '10.0.17000', '17000'),
    ],
    ['macOS with no release', os('darwin', 'macOS', null)],
    ['a Linux distribution with no release', os('linux', 'Debian GNU/Linux', null)],
    ['a Linux release that is not a number', os('linux', 'Debian GNU/Linux', 'trixie/sid')],
    ['Ubuntu with only a major', os('linux', 'Ubuntu', '24')],
    ['no distribution name', os('linux', null, '12')],
    ['FreeBSD (no rule yet)', os('freebsd', 'FreeBSD', '14.1-RELEASE')],
  ];
  for (const [name, value] of unmatched) t.equal(matchOs(value), null, name);
});

t.test('the Windows build comes from os.build, else from the release', async (t) => {
  t.equal(windowsBuild({ build: '19042', release: '10.0.19045' }), 19042);
  t.equal(windowsBuild({ build: null, release: '10.0.22631' }), 22631);
  t.equal(windowsBuild({ build: null, release: '10' }), null);
});

t.test('the ending-soon window is configurable', async (t) => {
  const fedora43 = os('linux', 'Fedora Linux', '43'); // eol 2026-12-09, 99 days after NOW
  t.equal(osLifecycle(fedora43, { now: NOW, endingSoonDays: 90 }).state, 'supported');
  t.equal(osLifecycle(fedora43, { now: NOW, endingSoonDays: 99 }).state, 'ending_soon');
});
