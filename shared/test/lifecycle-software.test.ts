// Key software by name. Names and versions are as the agent's sources write them: the
// Windows Uninstall registry's DisplayName/DisplayVersion, dpkg and rpm package names.
import t from 'tap';
import { matchSoftware, softwareLifecycle, SOFTWARE_RULES } from '../src/index.js';

const NOW = new Date('2026-09-01T12:00:00Z');

/** [name, version, expected product@cycle or null] */
const CASES: [string, string | null, string | null][] = [
  ['Microsoft Office Professional Plus 2016', '16.0.4266.1001', 'office@2016'],
  ['Microsoft Office LTSC Professional Plus 2024', '16.0.17932.20130', 'office@2024-ltsc'],
  ['Microsoft Office Standard 2019', '16.0.10417.20007', 'office@2019'],
  ['Microsoft 365 Apps for enterprise - en-us', '16.0.19127.20192', null],
  ['Microsoft SQL Server 2019 (64-bit)', '15.0.2000.5', 'mssqlserver@15.0'],
  ['Microsoft SQL Server 2017', '14.0.1000.169', 'mssqlserver@14.0'],
  ['Microsoft SQL Server 2019 Setup (English)', '15.0.4013.40', null],
  ['Microsoft Exchange Server 2019 Cumulative Update 14', '15.2.1544.4', 'msexchange@2019'],
  ['Node.js', '20.11.1', 'nodejs@20'],
  ['nodejs', '18.19.0+dfsg-6~deb12u2', 'nodejs@18'],
  ['Python 3.11.4 (64-bit)', '3.11.4150.0', 'python@3.11'],
  ['python3.11', '3.11.2-6+deb12u6', 'python@3.11'],
  ['Eclipse Temurin JDK with Hotspot 17.0.8+7 (x64)', '17.0.8.7', 'eclipse-temurin@17'],
  ['Java 8 Update 381', '8.0.3810.9', 'oracle-jdk@8'],
  ['Java(TM) SE Development Kit 8 Update 381 (64-bit)', '1.8.0_381', 'oracle-jdk@8'],
  ['openjdk-17-jre-headless', '17.0.16+8-1~deb12u1', null],
  ['php8.2-cli', '8.2.29-1~deb12u1', 'php@8.2'],
  ['php', '8.2.7', 'php@8.2'],
  ['postgresql-15', '15.14-0+deb12u1', 'postgresql@15'],
  ['PostgreSQL 9.6', '9.6.24', 'postgresql@9.6'],
  ['postgresql-server', '13.20-1.el8_10', 'postgresql@13'],
  ['MySQL Server 8.0', '8.0.36', 'mysql@8.0'],
  ['mysql-community-server', '8.0.36-1.el9', 'mysql@8.0'],
  ['Google Chrome', '151.0.7432.59', 'chrome@151'],
  ['google-chrome-stable', '150.0.7389.114-1', 'chrome@150'],
  ['Mozilla Firefox (x64 en-US)', '140.2.0', 'firefox@140'],
  ['Mozilla Firefox ESR (x64 en-US)', '140.2.0esr', null],
  ['firefox', '150.0.3', 'firefox@150'],
  ['Node.js', null, null],
  ['Python 3.12.1 (64-bit)', '3', null],
  ['Java 8 Update 381', 'unknown', null],
  ['PostgreSQL 9.6', null, null],
  ['Microsoft Exchange Server 2019', '15.2.986.5', 'msexchange@2019'],
  ['7-Zip 23.01 (x64)', '23.01', null],
  ['Microsoft Office Professional Plus', '16.0.4266.1001', null], // 16.0 is 2016 to 2024: no year, no match
  ['Node.js', 'unknown', null],
];

t.test('name and version to product and cycle', async (t) => {
  for (const [name, version, expected] of CASES) {
    const match = matchSoftware({ name, version });
    t.equal(
      match === null ? null : `${match.product}@${match.cycle}`,
      expected,
      `${name} ${version ?? '(no version)'}`,
    );
  }
});

t.test('every rule points at a product the snapshot holds', async (t) => {
  const { loadEndOfLife } = await import('../src/index.js');
  const data = loadEndOfLife();
  for (const [, product] of SOFTWARE_RULES) t.ok(data.products[product], product);
});

t.test('softwareLifecycle reports each key release once and leaves the rest out', async (t) => {
  const results = softwareLifecycle(
    [
      { name: 'Microsoft Office Professional Plus 2016', version: '16.0.4266.1001' },
      { name: 'Google Chrome', version: '151.0.7432.59' },
      { name: 'google-chrome-stable', version: '151.0.7432.100-1' }, // same cycle: once
      { name: 'Node.js', version: '99.0.0' }, // not in the snapshot: left out
      { name: '7-Zip 23.01 (x64)', version: '23.01' }, // not key software: left out
    ],
    { now: NOW },
  );
  t.match(results, [
    { product: 'office', cycle: '2016', eol: '2025-10-14', state: 'end_of_life' },
    { product: 'chrome', cycle: '151', eol: '2026-08-25', state: 'end_of_life' },
  ]);
  t.equal(results.length, 2);
});
