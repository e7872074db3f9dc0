// versionKey: byte order of the keys is version order. The dpkg pairs below were each
// checked with `dpkg --compare-versions` (dpkg 1.21.22, the vcio dev container, Debian 12);
// the real versions come from the agent's recorded apt and dnf outputs.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { compareCodePoints, compareVersions, splitVersion, versionKey } from '../src/index.js';

/** The order a database gives the keys: UTF-8 bytes. */
const byteOrder = (a: string, b: string) =>
  Math.sign(Buffer.compare(Buffer.from(versionKey(a)), Buffer.from(versionKey(b))));

const PATCH_FIXTURES = new URL('../../agent/test/fixtures/patches/', import.meta.url);
const fixture = (path: string) => readFileSync(new URL(path, PATCH_FIXTURES), 'utf8');
const fixtureFiles = (dir: string) =>
  readdirSync(new URL(`${dir}/`, PATCH_FIXTURES)).map((f) => fixture(`${dir}/${f}`));

/** [older, newer] by dpkg's rules (deb-version(7)), each verified with dpkg. */
const DPKG_OLDER_NEWER: [string, string][] = [
  ['1.0~rc1', '1.0'], // '~' sorts before the end: pre-releases
  ['1.0~~', '1.0~'],
  ['1.0~', '1.0'],
  ['1.0', '1.0a'], // the end sorts before letters
  ['1.0a', '1.0+b1'], // letters before other characters
  ['1.0+b1', '1.0.1'], // '+' before '.' (ASCII)
  ['1.0', '1.0.0'],
  ['1.0A', '1.0a'], // upper case before lower case
  ['1.9', '1.10'], // numbers as numbers
  ['2.0~beta2', '2.0~beta10'],
  ['2.0', '1:0.9'], // the epoch wins
  ['1.0', '1.0-1'], // no revision is revision 0
  ['1.0-1', '1.0-1.1'],
  ['4.2.1-4', '4.2.1-4+deb9u1'],
  ['1.0-1ubuntu0.2', '1.0-1ubuntu0.10'],
  ['1.0-1build1', '1.0-1ubuntu1'],
  ['1.0-0ubuntu1', '1.0-1'],
  ['3.0.11-1~deb12u2', '3.0.13-1~deb12u1'],
  ['0.9.8zh', '1.0.0'],
  ['1.1.1w', '3.0.2'],
  ['1.0~git20200101', '1.0'],
  ['1.0', '1.0+git20200101'],
  ['1.2.3+dfsg-1', '1.2.3+dfsg1-1'],
  ['9.2p1-2+deb12u6', '9.3p1-1'],
  ['2024011512345', '20240115123456'], // longer than the 10-digit width
  ['1:2.66-4+deb12u2+b2', '1:2.66-4+deb12u3+b1'],
  ['20.3-2-g371b392c-0ubuntu1~20.04.1', '20.4.1-0ubuntu1~20.04.1'], // hyphens in upstream
];

/** Equal by dpkg's rules, each verified with dpkg. */
const DPKG_EQUAL: [string, string][] = [
  ['1.0', '1.0-0'],
  ['1.01', '1.1'],
  ['0:1.0', '1.0'],
  ['1.0a', '1.0a0'],
  ['007', '7'],
];

t.test('dpkg ordering rules, pair by pair', async (t) => {
  for (const [older, newer] of DPKG_OLDER_NEWER) {
    t.equal(byteOrder(older, newer), -1, `${older} < ${newer}`);
    t.equal(byteOrder(newer, older), 1, `${newer} > ${older}`);
  }
  for (const [a, b] of DPKG_EQUAL) {
    t.equal(versionKey(a), versionKey(b), `${a} = ${b}`);
  }
});

t.test('sorting a shuffled list by key gives dpkg order', async (t) => {
  // Built from the pairs above: a chain dpkg agrees with.
  const ordered = [
    '0.9.8zh',
    '1.0~~',
    '1.0~',
    '1.0~rc1',
    '1.0',
    '1.0-1',
    '1.0-1ubuntu0.2',
    '1.0-1ubuntu0.10',
    '1.0a',
    '1.0+b1',
    '1.0.0',
    '1.0.1',
    '1.1.1w',
    '1.9',
    '1.10',
    '2.0~beta2',
    '2.0~beta10',
    '2.0',
    '3.0.11-1~deb12u2',
    '3.0.13-1~deb12u1',
    '1:0.9',
  ];
  const shuffled = [...ordered].reverse();
  shuffled.push(...shuffled.splice(0, 7));
  const keyed = shuffled.map((v) => ({ v, key: Buffer.from(versionKey(v)) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  t.same(
    keyed.map((k) => k.v),
    ordered,
  );
});

t.test('real apt output: every upgrade candidate sorts above the installed version', async (t) => {
  const pairs: [string, string][] = [];
  for (const text of fixtureFiles('apt-list-upgradable')) {
    for (const m of text.matchAll(/^\S+\/\S+ (\S+) \S+ \[upgradable from: ([^\]\s]+)\]/gm)) {
      pairs.push([m[2]!, m[1]!]);
    }
  }
  // /var/log/apt/history.log: "Upgrade: pkg:arch (installed, candidate), ..."
  const history = fixture('apt-history-log/recorded-debian12-container.txt');
  for (const line of history.split('\n').filter((l) => l.startsWith('Upgrade: '))) {
    for (const m of line.matchAll(/\(([^,()]+), ([^,()]+)\)/g)) pairs.push([m[1]!, m[2]!]);
  }
  t.ok(pairs.length > 100, `${pairs.length} real pairs read from the fixtures`);
  const wrong = pairs.filter(([from, to]) => byteOrder(from, to) !== -1);
  t.same(wrong, [], 'no candidate sorts at or below what it upgrades');
});

t.test('real rpm versions from dnf check-update keep their numeric order', async (t) => {
  const versions = fixtureFiles('dnf-check-update').flatMap((text) =>
    [...text.matchAll(/^\S+\.(?:x86_64|noarch|i686)\s+(\d\S*)\s+\S+$/gm)].map((m) => m[1]!),
  );
  t.ok(versions.length > 10, `${versions.length} versions`);
  t.equal(byteOrder('7.2.90.20110429-36.fc15', '7.2.90.20110429-36.fc16'), -1);
  t.equal(byteOrder('2.6.38.6-26.fc15', '2.6.38.10-26.fc15'), -1, 'kernel 2.6.38.6 < 2.6.38.10');
  t.equal(byteOrder('0.6.14-2.fc15', '0.6.14-10.fc15'), -1, 'release 2 < release 10');
  t.equal(byteOrder('3.0.7-27.el9', '3.0.7-27.el9_2'), -1, 'el9 < el9_2, as rpm says');
  for (const v of versions) t.equal(versionKey(v), versionKey(v.toString()), `${v} is stable`);
});

t.test('Windows and macOS versions', async (t) => {
  t.equal(byteOrder('10.0.19041.1', '10.0.19041.1415'), -1);
  t.equal(byteOrder('10.0.19041.1415', '10.0.22621.1'), -1);
  t.equal(byteOrder('6.3.9600.16384', '10.0.10240.16384'), -1, '6 < 10, not as text');
  t.equal(byteOrder('17.8.34330.188', '17.10.35027.167'), -1);
  t.equal(byteOrder('14.2', '14.2.1'), -1);
  t.equal(byteOrder('14.2.1', '14.10'), -1);
  t.equal(byteOrder('10.11.6', '26.6'), -1, 'softwareupdate-list fixtures: El Capitan < Tahoe');
  t.equal(byteOrder('4.3 (build 1200)', '4.3 (build 1300)'), -1, 'text with spaces still sorts');
});

t.test('semver pre-releases and a leading v', async (t) => {
  const ordered = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
  ];
  for (let i = 1; i < ordered.length; i++) {
    t.equal(byteOrder(ordered[i - 1]!, ordered[i]!), -1, `${ordered[i - 1]} < ${ordered[i]}`);
  }
  t.same(splitVersion('1.0.0-rc.1+build.5'), {
    epoch: '0',
    upstream: '1.0.0~rc.1+build.5',
    revision: '',
  });
  t.equal(versionKey('v1.2.3'), versionKey('1.2.3'));
  t.equal(versionKey('V2'), versionKey('2'));
  t.not(versionKey('vim'), versionKey('im'), 'a v that is not before a digit stays');
  t.equal(versionKey('  1.2 '), versionKey('1.2'), 'surrounding white space is ignored');
});

t.test('where the key knowingly differs from the tools (documented in version.ts)', async (t) => {
  // dpkg reads "beta1" as a revision (1.2-beta1 > 1.2); the semver reading puts it first.
  t.equal(byteOrder('1.2-beta1', '1.2'), -1);
  // ...but not with an epoch, where the hyphen is surely dpkg's.
  t.equal(byteOrder('1:1.2-beta1', '1:1.2'), 1);
  // rpm: a number segment beats a letter segment (1.a < 1.1); dpkg and the key: 1.a > 1.1.
  t.equal(byteOrder('1.a', '1.1'), 1);
  // rpm: separators are all equal (1.0_1 = 1.0.1); the key orders '.' before '_'.
  t.equal(byteOrder('1.0.1', '1.0_1'), -1);
  // rpm's caret: 1.0^git1 is after 1.0 (right) but also after 1.0.1 (rpm: before it).
  t.equal(byteOrder('1.0', '1.0^git1'), -1);
  t.equal(byteOrder('1.0.1', '1.0^git1'), -1);
  // semver ignores build metadata; the key compares it.
  t.equal(byteOrder('1.0.0', '1.0.0+build.1'), -1);
  // a non-numeric "epoch" is text.
  t.same(splitVersion('a:1').epoch, '0');
});

t.test('numbers: leading zeros, very long numbers, the epoch', async (t) => {
  t.equal(versionKey('1.007'), versionKey('1.7'));
  t.equal(versionKey('0000'), versionKey('0'));
  const long = '1'.repeat(40);
  t.equal(byteOrder('9'.repeat(10), long), -1, '10 digits < 40 digits');
  t.equal(byteOrder(long, '2'.repeat(40)), -1, 'equal lengths compare digit by digit');
  t.equal(byteOrder('1'.repeat(41), '2'.repeat(40)), 1, 'longer is larger');
  t.equal(versionKey('1'.repeat(1200)), versionKey('1'.repeat(999)), 'cut at 999 digits');
  t.equal(byteOrder('99999:1', '100000:0'), -1, 'epochs as numbers');
  t.same(splitVersion('2:1.0-3'), { epoch: '2', upstream: '1.0', revision: '3' });
});

t.test('the key is ASCII for ASCII input and orders other characters by code point', async (t) => {
  const key = versionKey('1:2.66-4+deb12u3+b1');
  t.match(key, /^[\x20-\x7e]+$/);
  t.equal(byteOrder('1.é', '1.ü'), -1);
  // JavaScript's < puts U+FFFD above U+1F600 (UTF-16 units); bytes and code points do not.
  const emoji = '1.\u{1F600}';
  const replacement = '1.\uFFFD';
  t.equal(byteOrder(replacement, emoji), -1);
  t.equal(Math.sign(compareVersions(replacement, emoji)), -1, 'compareVersions agrees');
  t.equal(compareCodePoints('abc', 'abc'), 0);
  t.ok(compareCodePoints('ab', 'abc') < 0);
  t.ok(compareCodePoints('\u{1F600}b', '\u{1F600}a') > 0, 'steps over surrogate pairs');
  t.equal(compareVersions('1.0', '1.0-0'), 0);
});

const dpkgProbe = spawnSync('dpkg', ['--version']);
const noDpkg = dpkgProbe.error || dpkgProbe.status !== 0 ? 'dpkg is not installed here' : false;

t.test('cross-check with dpkg itself, where dpkg is installed', { skip: noDpkg }, async (t) => {
  const versions = new Set<string>();
  for (const text of fixtureFiles('apt-list-upgradable')) {
    for (const m of text.matchAll(/^\S+\/\S+ (\S+) \S+ \[upgradable from: ([^\]\s]+)\]/gm)) {
      versions.add(m[1]!);
      versions.add(m[2]!);
    }
  }
  for (const [a, b] of [...DPKG_OLDER_NEWER, ...DPKG_EQUAL]) versions.add(a).add(b);
  // Adjacent pairs of the key order agree with dpkg: then the whole order does.
  const sorted = [...versions].sort(compareVersions);
  const disagreements: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    const op = compareVersions(a, b) === 0 ? 'eq' : 'lt';
    const run = spawnSync('dpkg', ['--compare-versions', a, op, b]);
    if (run.status !== 0) disagreements.push(`${a} ${op} ${b}`);
  }
  t.ok(sorted.length > 100, `${sorted.length} versions`);
  t.same(disagreements, [], 'dpkg agrees with every adjacent pair');
});
