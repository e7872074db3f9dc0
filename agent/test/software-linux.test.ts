import { SoftwareItem, SoftwareSourceStatus } from '@vcio/shared';
import { Type } from '@sinclair/typebox';
import t from 'tap';
import {
  DPKG_QUERY_ARGS,
  DPKG_QUERY_PATH,
  LINUX_SOFTWARE_TIMEOUT_MS,
  maintainerName,
  parseDpkgQuery,
  parseRpmQuery,
  readLinuxSoftware,
  RPM_PATH,
  RPM_QUERY_ARGS,
} from '../src/collectors/software/linux.js';
import type { CollectContext } from '../src/collectors/types.js';
import {
  CommandStartError,
  describeCommand,
  type CommandResult,
  type RunOptions,
} from '../src/exec.js';
import { liveHost, type HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const fixture = (name: string): string => readFixture(`software/${name}`);
const DEV_CONTAINER = 'dpkg-query/debian12-dev-container.txt';

const ItemList = Type.Array(SoftwareItem);

interface Call {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

/** What runCommand throws for a missing executable. */
const enoent = (file: string, args: readonly string[]): CommandStartError =>
  new CommandStartError(describeCommand(file, args), 'ENOENT', new Error('spawn ENOENT'));

/** A Linux host whose commands answer from `answers` by file; a missing file is ENOENT. */
function fakeHost(answers: Record<string, CommandResult | Error>): {
  ctx: CollectContext;
  calls: Call[];
  log: () => string;
} {
  const calls: Call[] = [];
  const logger = captureLogger();
  const host: HostAccess = {
    platform: 'linux',
    env: { PATH: '/usr/bin:/bin', LANG: 'de_DE.UTF-8' },
    run: async (file, args, options) => {
      calls.push({ file, args, options });
      const answer = answers[file] ?? enoent(file, args);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    readFile: async () => {
      throw new Error('no files in this test');
    },
    exists: async () => false,
    now: () => new Date('2026-01-05T10:00:00Z'),
  };
  return {
    ctx: { logger: logger.logger, signal: new AbortController().signal, host },
    calls,
    log: logger.text,
  };
}

t.test('parseDpkgQuery: the real capture of the reader format (710 packages)', async (t) => {
  const items = parseDpkgQuery(fixture(DEV_CONTAINER));
  t.equal(items.length, 710);
  t.same(contractErrors(ItemList, items), []);
  t.same(
    items.find((i) => i.name === 'adduser'),
    {
      name: 'adduser',
      version: '3.134',
      publisher: 'Debian Adduser Developers',
      installedAt: null,
      arch: 'all',
      source: 'dpkg',
    },
  );
  // epochs are part of dpkg's version; non-ASCII maintainer names survive
  t.match(
    items.find((i) => i.name === 'jq'),
    { version: '1.6-2.1+deb12u1', publisher: 'ChangZhuo Chen (陳昌倬)', arch: 'amd64' },
  );
  t.ok(
    items.some((i) => /^\d+:/.test(i.version ?? '')),
    'some versions carry an epoch',
  );
  t.ok(
    items.every((i) => i.installedAt === null),
    'dpkg keeps no install time',
  );
});

t.test('parseDpkgQuery: a removed package (config-files, "rc") is not listed', async (t) => {
  const items = parseDpkgQuery(fixture('dpkg-query/toy-admindir-removed-package.txt'));
  t.same(items, [
    {
      name: 'vcio-toy-plain',
      version: '0.1-1',
      publisher: 'vcio dev container',
      installedAt: null,
      arch: 'all',
      source: 'dpkg',
    },
  ]);
});

t.test('parseDpkgQuery: states whose files are on disk are kept, the others skipped', async (t) => {
  const line = (status: string, name: string): string =>
    `${status}\t${name}\t1.0\tamd64\tSomeone <a@b.c>`;
  const text = [
    line('install ok installed', 'installed'),
    line('install ok unpacked', 'unpacked'),
    line('install reinstreq half-installed', 'half-installed'),
    line('install ok half-configured', 'half-configured'),
    line('install ok triggers-pending', 'triggers-pending'),
    line('hold ok installed', 'held'),
    line('deinstall ok config-files', 'removed'),
    line('purge ok not-installed', 'purged'),
  ].join('\n');
  t.same(
    parseDpkgQuery(text).map((i) => i.name),
    ['installed', 'unpacked', 'half-installed', 'half-configured', 'triggers-pending', 'held'],
  );
});

t.test('parseDpkgQuery: output in another format is refused, not read as empty', async (t) => {
  t.throws(() => parseDpkgQuery(fixture('dpkg-query-list/1.txt')), {
    message: /not in the expected format: 'Desired=Unknown/,
  });
  t.throws(() => parseDpkgQuery(fixture('dpkg-query-list/3.txt')), {
    message: /not in the expected format: 'gir1.2-gtk-3.0/,
  });
  t.same(parseDpkgQuery(''), [], 'no packages at all is an empty list');
  t.same(parseDpkgQuery('\n\n'), []);
});

t.test('maintainerName: the name without the address', async (t) => {
  t.equal(
    maintainerName('Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>'),
    'Ubuntu Developers',
  );
  t.equal(maintainerName('"Quoted, Name" <q@example.org>'), 'Quoted, Name');
  t.equal(maintainerName('<only@example.org>'), 'only@example.org');
  t.equal(maintainerName('No Address Team'), 'No Address Team');
  t.equal(maintainerName('   '), null);
});

t.test('parseRpmQuery: the real capture of the reader format (rpm 4.18)', async (t) => {
  const items = parseRpmQuery(fixture('rpm/toy-rpmdb-rpm-4.18.txt'));
  t.same(items, [
    {
      name: 'vcio-toy-tool',
      version: '1:3.82-24.el7',
      publisher: 'vcio test vendor',
      installedAt: new Date(1795822833 * 1000).toISOString(),
      arch: 'x86_64',
      source: 'rpm',
    },
    {
      name: 'vcio-toy-data',
      version: '1.15.5-15.el7',
      publisher: null,
      installedAt: new Date(1795822836 * 1000).toISOString(),
      arch: 'noarch',
      source: 'rpm',
    },
  ]);
});

t.test(
  'parseRpmQuery: synthetic CentOS 7 lines agree with the real rpm -qai capture',
  async (t) => {
    const items = parseRpmQuery(fixture('rpm/synthetic-centos7-from-rpm-qai.txt'));
    t.same(
      items.map((i) => [i.name, i.version, i.arch, i.publisher, i.installedAt]),
      [
        ['make', '1:3.82-24.el7', 'x86_64', 'CentOS', '2019-10-16T16:21:42.000Z'],
        ['kbd-legacy', '1.15.5-15.el7', 'noarch', 'CentOS', '2019-08-15T17:53:08.000Z'],
        ['libsmartcols', '2.23.2-61.el7', 'x86_64', 'CentOS', '2019-10-16T16:21:42.000Z'],
      ],
      'gpg-pubkey (an imported key) is skipped',
    );
    // The values were copied from rpm -qai: check each against it so the copy cannot drift.
    const qai = fixture('rpm-qa/1.txt');
    for (const [name, installDate] of [
      ['make', 'Wed 16 Oct 2019 09:21:42 AM PDT'],
      ['kbd-legacy', 'Thu 15 Aug 2019 10:53:08 AM PDT'],
      ['libsmartcols', 'Wed 16 Oct 2019 09:21:42 AM PDT'],
    ]) {
      const block = qai.slice(qai.indexOf(`Name        : ${name}\n`));
      t.match(block, new RegExp(`Install Date: ${installDate}`), `${name} install date`);
    }
    t.equal(Date.parse('2019-10-16T09:21:42-07:00'), Date.parse('2019-10-16T16:21:42Z'));
  },
);

t.test('parseRpmQuery: other rpm formats are refused', async (t) => {
  t.throws(() => parseRpmQuery(fixture('rpm-qa/1.txt')), {
    message: /rpm output is not in the expected format: 'Name/,
  });
  t.throws(() => parseRpmQuery(fixture('rpm-qa/3.txt')), { message: /not in the expected format/ });
  t.same(parseRpmQuery(''), []);
  // '(none)' and an unset install time become null; a release-less version stays bare
  t.same(parseRpmQuery('x\t(none)\t2.0\t(none)\t(none)\t(none)\t(none)\n'), [
    { name: 'x', version: '2.0', publisher: null, installedAt: null, arch: null, source: 'rpm' },
  ]);
});

t.test('readLinuxSoftware: neither dpkg nor rpm on the machine', async (t) => {
  const { ctx, calls } = fakeHost({});
  t.same(await readLinuxSoftware(ctx), { items: [], sources: [] });
  t.same(calls.map((c) => c.file).sort(), [DPKG_QUERY_PATH, RPM_PATH].sort(), 'both were tried');
});

t.test(
  'readLinuxSoftware: dpkg only, in the C locale, with timeout and output bound',
  async (t) => {
    const { ctx, calls } = fakeHost({ [DPKG_QUERY_PATH]: commandResult(fixture(DEV_CONTAINER)) });
    const read = await readLinuxSoftware(ctx);
    t.same(read.sources, [{ source: 'dpkg', ok: true, error: null, count: 710 }]);
    t.equal(read.items.length, 710);
    t.same(contractErrors(Type.Array(SoftwareSourceStatus), read.sources), []);
    const dpkg = calls.find((c) => c.file === DPKG_QUERY_PATH)!;
    t.same(dpkg.args, DPKG_QUERY_ARGS);
    t.same(dpkg.args, [
      '-W',
      '-f',
      '${Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${Maintainer}\\n',
    ]);
    t.equal(dpkg.options.timeoutMs, LINUX_SOFTWARE_TIMEOUT_MS);
    t.ok(dpkg.options.maxOutputBytes > 0);
    t.match(dpkg.options.env, { LANG: 'C', LC_ALL: 'C', PATH: '/usr/bin:/bin' });
    const rpm = calls.find((c) => c.file === RPM_PATH)!;
    t.same(rpm.args, RPM_QUERY_ARGS);
  },
);

t.test('readLinuxSoftware: both databases, items sorted by source then name', async (t) => {
  const { ctx } = fakeHost({
    [DPKG_QUERY_PATH]: commandResult(fixture('dpkg-query/toy-admindir-removed-package.txt')),
    [RPM_PATH]: commandResult(fixture('rpm/toy-rpmdb-rpm-4.18.txt')),
  });
  const read = await readLinuxSoftware(ctx);
  t.same(read.sources, [
    { source: 'dpkg', ok: true, error: null, count: 1 },
    { source: 'rpm', ok: true, error: null, count: 2 },
  ]);
  t.same(
    read.items.map((i) => `${i.source}:${i.name}`),
    ['dpkg:vcio-toy-plain', 'rpm:vcio-toy-data', 'rpm:vcio-toy-tool'],
  );
});

t.test(
  'readLinuxSoftware: a database that cannot be read is a failed source with no items',
  async (t) => {
    const cases: [string, CommandResult | Error, RegExp][] = [
      [
        'non-zero exit',
        commandResult('', {
          exitCode: 2,
          stderr: 'dpkg-query: error: parsing file /var/lib/dpkg/status\n',
        }),
        /command '\/usr\/bin\/dpkg-query -W -f .*' failed: exit code 2: dpkg-query: error: parsing file/,
      ],
      [
        'timeout',
        commandResult('', { timedOut: true, exitCode: null, signal: 'SIGTERM' }),
        /timed out/,
      ],
      [
        'cut output',
        commandResult(fixture(DEV_CONTAINER), { truncated: true }),
        /output went past \d+ bytes/,
      ],
      [
        'another format',
        commandResult(fixture('dpkg-query-list/1.txt')),
        /not in the expected format/,
      ],
      [
        'cannot start (not ENOENT)',
        new CommandStartError(DPKG_QUERY_PATH, 'EACCES', new Error('spawn EACCES')),
        /failed: spawn EACCES/,
      ],
    ];
    for (const [what, answer, error] of cases) {
      const { ctx, log } = fakeHost({ [DPKG_QUERY_PATH]: answer });
      const read = await readLinuxSoftware(ctx);
      t.same(read.items, [], `${what}: no items`);
      t.equal(read.sources.length, 1);
      t.match(read.sources[0], { source: 'dpkg', ok: false, error, count: null }, what);
      t.match(log(), /software: package database not read/);
    }
  },
);

t.test('readLinuxSoftware: one failed source does not hide the other', async (t) => {
  const { ctx } = fakeHost({
    [DPKG_QUERY_PATH]: commandResult(fixture(DEV_CONTAINER)),
    [RPM_PATH]: commandResult('', {
      exitCode: 1,
      stderr: 'error: rpmdb: BDB0113 Thread/process failed\n',
    }),
  });
  const read = await readLinuxSoftware(ctx);
  t.match(read.sources, [
    { source: 'dpkg', ok: true, count: 710 },
    { source: 'rpm', ok: false, count: null, error: /BDB0113/ },
  ]);
  t.ok(read.items.every((i) => i.source === 'dpkg'));
});

t.test('readLinuxSoftware live on this machine (dpkg-query present)', async (t) => {
  if (!(await liveHost.exists(DPKG_QUERY_PATH))) {
    t.pass('no /usr/bin/dpkg-query here: skipped');
    return;
  }
  const ctx: CollectContext = {
    logger: captureLogger().logger,
    signal: new AbortController().signal,
    host: liveHost,
  };
  const started = performance.now();
  const read = await readLinuxSoftware(ctx);
  const ms = Math.round(performance.now() - started);
  const dpkg = read.sources.find((s) => s.source === 'dpkg');
  t.match(dpkg, { ok: true, error: null });
  t.ok((dpkg?.count ?? 0) > 50, `plausible package count (${dpkg?.count})`);
  t.same(contractErrors(ItemList, read.items), []);
  t.comment(`live: ${read.items.length} items, sources ${JSON.stringify(read.sources)}, ${ms} ms`);
});
