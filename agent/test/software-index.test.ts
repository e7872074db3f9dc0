import { MAX_SOFTWARE_ITEMS, SoftwareSection, softwareHash, type SoftwareItem } from '@vcio/shared';
import t from 'tap';
import { createSoftwareCollector, toSoftwareSection } from '../src/collectors/software/index.js';
import {
  assembleRead,
  boundedText,
  epochSecondsToIso,
  failedOutcome,
  isoTimestamp,
  sortAndDedupe,
} from '../src/collectors/software/entries.js';
import { DPKG_QUERY_PATH } from '../src/collectors/software/linux.js';
import { PKGUTIL_PATH, SYSTEM_PROFILER_PATH } from '../src/collectors/software/macos.js';
import type { CollectContext } from '../src/collectors/types.js';
import { CommandStartError, describeCommand, type CommandResult } from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const fixture = (name: string): string => readFixture(`software/${name}`);

/** A host of `platform` answering commands by file name ending; others are ENOENT. */
function fakeHost(
  platform: NodeJS.Platform,
  answers: [string, (args: readonly string[]) => CommandResult][],
  files: string[] = [],
): CollectContext {
  const host: HostAccess = {
    platform,
    env: { SystemRoot: 'C:\\Windows', PATH: '/usr/bin' },
    run: async (file, args) => {
      const match = answers.find(([end]) => file.endsWith(end));
      if (!match)
        throw new CommandStartError(describeCommand(file, args), 'ENOENT', new Error('ENOENT'));
      return match[1](args);
    },
    readFile: async () => {
      throw new Error('no files');
    },
    exists: async (path) => files.includes(path),
    now: () => new Date('2026-01-05T10:00:00Z'),
  };
  return { logger: captureLogger().logger, signal: new AbortController().signal, host };
}

const item = (n: number): SoftwareItem => ({
  name: `pkg-${String(n).padStart(5, '0')}`,
  version: '1.0',
  publisher: null,
  installedAt: null,
  arch: 'amd64',
  source: 'dpkg',
});

t.test('toSoftwareSection: hash, count, items and sources', async (t) => {
  const items = [item(1), item(2)];
  const sources = [{ source: 'dpkg', ok: true, error: null, count: 2 }];
  const section = toSoftwareSection({ items, sources });
  t.same(section, { hash: softwareHash(items), count: 2, items, sources });
  t.match(section.hash, /^[0-9a-f]{64}$/);
  t.same(contractErrors(SoftwareSection, section), []);
  t.same(toSoftwareSection({ items: [], sources: [] }), {
    hash: softwareHash([]),
    count: 0,
    items: [],
    sources: [],
  });
});

t.test(
  'toSoftwareSection: the list is cut at MAX_SOFTWARE_ITEMS and the hash covers the cut list',
  async (t) => {
    const items = Array.from({ length: MAX_SOFTWARE_ITEMS + 5 }, (_, n) => item(n));
    const section = toSoftwareSection({ items, sources: [] });
    t.equal(section.count, MAX_SOFTWARE_ITEMS);
    t.equal(section.items!.length, MAX_SOFTWARE_ITEMS);
    t.equal(section.hash, softwareHash(items.slice(0, MAX_SOFTWARE_ITEMS)));
    t.same(contractErrors(SoftwareSection, section), []);
  },
);

t.test('createSoftwareCollector: hourly on Linux, Windows and macOS', async (t) => {
  const collector = createSoftwareCollector();
  t.equal(collector.name, 'software');
  t.equal(collector.cadenceSeconds, 3600);
  t.same([...collector.platforms].sort(), ['darwin', 'linux', 'win32']);
  t.ok(collector.timeoutSeconds >= 240, 'longer than the slowest source timeout');
});

t.test('collect on Linux (real dpkg-query capture) meets the contract', async (t) => {
  const text = fixture('dpkg-query/debian12-dev-container.txt');
  const section = await createSoftwareCollector().collect(
    fakeHost('linux', [[DPKG_QUERY_PATH, () => commandResult(text)]]),
  );
  t.same(contractErrors(SoftwareSection, section), []);
  t.equal(section.count, 710);
  t.same(section.sources, [{ source: 'dpkg', ok: true, error: null, count: 710 }]);

  // The package database's order does not change the section: same list, same hash.
  const reversed = text.trimEnd().split('\n').reverse().join('\n') + '\n';
  const again = await createSoftwareCollector().collect(
    fakeHost('linux', [[DPKG_QUERY_PATH, () => commandResult(reversed)]]),
  );
  t.equal(again.hash, section.hash);
  t.same(again.items, section.items);
});

t.test('collect on a Linux machine with no package database: empty, still valid', async (t) => {
  const section = await createSoftwareCollector().collect(fakeHost('linux', []));
  t.same(section, { hash: softwareHash([]), count: 0, items: [], sources: [] });
  t.same(contractErrors(SoftwareSection, section), []);
});

t.test('collect on Windows (synthetic Uninstall document) meets the contract', async (t) => {
  const section = await createSoftwareCollector().collect(
    fakeHost('win32', [
      [
        'powershell.exe',
        () => commandResult(fixture('uninstall-json/synthetic-two-views-ps51.json')),
      ],
    ]),
  );
  t.same(contractErrors(SoftwareSection, section), []);
  t.same(
    section.sources.map((s) => [s.source, s.count]),
    [
      ['registry-64', 3],
      ['registry-32', 11],
      ['msi', 2],
    ],
  );
  t.equal(section.count, 16);
});

t.test('collect on Windows when PowerShell fails: failed sources, valid section', async (t) => {
  const section = await createSoftwareCollector().collect(
    fakeHost('win32', [['powershell.exe', () => commandResult('', { exitCode: 1 })]]),
  );
  t.same(contractErrors(SoftwareSection, section), []);
  t.equal(section.count, 0);
  t.ok(section.sources.every((s) => s.ok === false && s.count === null));
});

t.test('collect on macOS (real captures, synthetic Homebrew) meets the contract', async (t) => {
  const section = await createSoftwareCollector().collect(
    fakeHost(
      'darwin',
      [
        [SYSTEM_PROFILER_PATH, () => commandResult(fixture('system-profiler-apps/3.txt'))],
        [
          PKGUTIL_PATH,
          (args) =>
            args[0] === '--pkgs'
              ? commandResult(fixture('pkgutil/pkgs-wazuh-issue-15570.txt'))
              : commandResult(fixture('pkgutil/pkg-info-chefdk-specinfra-pr-174.txt')),
        ],
        [
          '/opt/homebrew/bin/brew',
          () => commandResult(fixture('brew/synthetic-info-v2-installed.json')),
        ],
      ],
      ['/opt/homebrew/bin/brew'],
    ),
  );
  t.same(contractErrors(SoftwareSection, section), []);
  t.same(
    section.sources.map((s) => [s.source, s.ok, s.count]),
    [
      ['macos-app', true, 3],
      ['pkgutil', true, 7],
      ['homebrew', true, 6],
    ],
  );
  t.equal(section.count, 16);
});

t.test('entries helpers: bounded text, epoch and ISO times, failed sources', async (t) => {
  t.equal(boundedText('  x  ', 10), 'x');
  t.equal(boundedText(42, 10), '42');
  t.equal(boundedText(Number.NaN, 10), null);
  t.equal(boundedText({ v: 1 }, 10), null);
  t.equal(boundedText('\u0000\t ', 10), null, 'control characters only');
  t.equal(boundedText('a\u0000b', 10), 'a b');
  t.equal(boundedText('abc   def', 5), 'abc', 'no trailing blank after the cut');
  t.equal(boundedText('😀', 1), null, 'nothing left once the half pair is dropped');

  t.equal(epochSecondsToIso(1406598641), '2014-07-29T01:50:41.000Z');
  t.equal(epochSecondsToIso(' 1406598641 '), '2014-07-29T01:50:41.000Z');
  for (const never of [0, '0', -5, '(none)', '', null, undefined, '14e8', 1e15])
    t.equal(epochSecondsToIso(never), null, String(never));

  t.equal(isoTimestamp('2026-08-13T02:51:55Z'), '2026-08-13T02:51:55.000Z');
  t.equal(isoTimestamp('2026-08-13T04:51:55+02:00'), '2026-08-13T02:51:55.000Z');
  for (const bad of ['13/08/2026', '2026-08-13', '2026-13-45T99:99', 42, null])
    t.equal(isoTimestamp(bad), null, String(bad));

  const read = assembleRead([
    failedOutcome('dpkg', 'E'.repeat(3000)),
    failedOutcome('rpm', '   '),
    { source: 'homebrew', items: [] },
  ]);
  t.equal(read.sources[0]!.error!.length, 2048);
  t.equal(read.sources[1]!.error, 'unknown error');
  t.same(read.sources[2], { source: 'homebrew', ok: true, error: null, count: 0 });
  t.same(contractErrors(SoftwareSection, toSoftwareSection(read)), []);
});

t.test('sortAndDedupe: same order whatever the input order; exact duplicates once', async (t) => {
  const a = { ...item(1), publisher: 'B', installedAt: '2020-01-01T00:00:00.000Z' };
  const b = { ...item(1), publisher: 'A', installedAt: null };
  const c = item(2);
  const other = { ...item(1), source: 'rpm' };
  t.same(sortAndDedupe([c, a, other, b]), [b, c, other], 'one pkg-00001 per source');
  t.same(sortAndDedupe([b, other, a, c]), sortAndDedupe([c, a, other, b]));
});
