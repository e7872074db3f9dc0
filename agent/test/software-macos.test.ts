import { SoftwareItem } from '@vcio/shared';
import { Type } from '@sinclair/typebox';
import t from 'tap';
import {
  appPublisher,
  archFromKind,
  BREW_INFO_ARGS,
  BREW_TIMEOUT_MS,
  MAX_PKG_INFO,
  parseBrewInfo,
  parsePkgInfo,
  parsePkgutilPkgs,
  parseSystemProfilerApps,
  pkgInfoOrder,
  PKG_INFO_BUDGET_MS,
  PKG_INFO_CONCURRENCY,
  PKGUTIL_PATH,
  readMacosSoftware,
  SYSTEM_PROFILER_ARGS,
  SYSTEM_PROFILER_PATH,
} from '../src/collectors/software/macos.js';
import type { CollectContext } from '../src/collectors/types.js';
import {
  CommandStartError,
  describeCommand,
  type CommandResult,
  type RunOptions,
} from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const fixture = (name: string): string => readFixture(`software/${name}`);
const BREW_DOC = 'brew/synthetic-info-v2-installed.json';
const ARM_BREW = '/opt/homebrew/bin/brew';
const INTEL_BREW = '/usr/local/bin/brew';
const ItemList = Type.Array(SoftwareItem);

interface Call {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

type Answer = CommandResult | Error;

/** What runCommand throws for a missing executable. */
const enoent = (file: string, args: readonly string[]): CommandStartError =>
  new CommandStartError(describeCommand(file, args), 'ENOENT', new Error('spawn ENOENT'));

const noReceipt = (id: string): CommandResult =>
  commandResult('', { exitCode: 1, stderr: `No receipt for '${id}' found at '/'.\n` });

/**
 * A Mac answering by command: `answer(file, args)` or ENOENT; `files` are the paths that
 * exist. The clock advances `tickMs` at every reading.
 */
function fakeMac(
  answer: (file: string, args: readonly string[]) => Answer | undefined,
  files: string[] = [],
  options: { tickMs?: number; signal?: AbortSignal } = {},
): { ctx: CollectContext; calls: Call[]; log: () => string } {
  const calls: Call[] = [];
  const logger = captureLogger();
  let clock = Date.parse('2026-01-05T10:00:00Z');
  const host: HostAccess = {
    platform: 'darwin',
    env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/var/root' },
    run: async (file, args, runOptions) => {
      calls.push({ file, args, options: runOptions });
      const a = answer(file, args) ?? enoent(file, args);
      if (a instanceof Error) throw a;
      return a;
    },
    readFile: async () => {
      throw new Error('no files in this test');
    },
    exists: async (path) => files.includes(path),
    now: () => {
      const now = new Date(clock);
      clock += options.tickMs ?? 0;
      return now;
    },
  };
  return {
    ctx: {
      logger: logger.logger,
      signal: options.signal ?? new AbortController().signal,
      host,
    },
    calls,
    log: logger.text,
  };
}

/** A Mac with the published captures: apps 1.txt, the wazuh receipts, chefdk details. */
function standardAnswers(
  brew?: Answer,
): (file: string, args: readonly string[]) => Answer | undefined {
  return (file, args) => {
    if (file === SYSTEM_PROFILER_PATH) return commandResult(fixture('system-profiler-apps/1.txt'));
    if (file === PKGUTIL_PATH && args[0] === '--pkgs')
      return commandResult(fixture('pkgutil/pkgs-wazuh-issue-15570.txt'));
    if (file === PKGUTIL_PATH && args[0] === '--pkg-info')
      return args[1] === 'com.wazuh.pkg.wazuh-agent'
        ? commandResult(fixture('pkgutil/pkg-info-chefdk-specinfra-pr-174.txt'))
        : noReceipt(args[1]!);
    if (file === ARM_BREW || file === INTEL_BREW) return brew;
    return undefined;
  };
}

t.test('parseSystemProfilerApps: real capture 1 (Apple and a Developer ID app)', async (t) => {
  const items = parseSystemProfilerApps(fixture('system-profiler-apps/1.txt'));
  t.same(items, [
    {
      name: 'App Store',
      version: '3.0',
      publisher: 'Apple',
      installedAt: '2026-08-13T02:51:55.000Z',
      arch: 'arm64+x86_64',
      source: 'macos-app',
    },
    {
      name: 'Python',
      version: '3.14.7',
      publisher: 'Python Software Foundation',
      installedAt: '2026-08-31T11:17:37.000Z',
      arch: 'arm64+x86_64',
      source: 'macos-app',
    },
  ]);
});

t.test('parseSystemProfilerApps: real capture 3 (no signature, unknown origin)', async (t) => {
  const items = parseSystemProfilerApps(fixture('system-profiler-apps/3.txt'));
  t.same(
    items.map((i) => [i.name, i.version, i.publisher, i.arch]),
    [
      ['Automator', '2.10', 'Apple', 'arm64'],
      ['Microsoft Edge', '153.0.4234.32', 'Microsoft Corporation', 'arm64'],
      ['Automator Application Stub', '1.3', null, 'arm64'],
    ],
  );
  t.same(contractErrors(ItemList, items), []);
});

t.test('parseSystemProfilerApps: refuses what is not its document', async (t) => {
  t.throws(() => parseSystemProfilerApps(''), { message: /no output from system_profiler/ });
  t.throws(() => parseSystemProfilerApps('2026-01-05 system_profiler[123]: error'), {
    message: /system_profiler output is not JSON/,
  });
  t.throws(() => parseSystemProfilerApps('[]'), { message: /not a JSON object/ });
  t.throws(() => parseSystemProfilerApps('{"SPSoftwareDataType":[]}'), {
    message: /no SPApplicationsDataType/,
  });
  t.same(parseSystemProfilerApps('{"SPApplicationsDataType":[]}'), []);
  t.same(
    parseSystemProfilerApps(
      '{"SPApplicationsDataType":[{"path":"/Applications/Nameless.app"},{"_name":"Old","lastModified":"yesterday"}]}',
    ),
    [
      {
        name: 'Old',
        version: null,
        publisher: null,
        installedAt: null,
        arch: null,
        source: 'macos-app',
      },
    ],
    'no _name: skipped; a date that is not ISO: null',
  );
});

t.test('archFromKind: every arch_kind System Information writes', async (t) => {
  const table: [unknown, string | null][] = [
    ['arch_arm', 'arm64'],
    ['arch_i64', 'x86_64'],
    ['arch_arm_i64', 'arm64+x86_64'],
    ['arch_i32', 'i386'],
    ['arch_i32_i64', 'i386+x86_64'],
    ['arch_ios', 'arm64'],
    ['arch_ppc', 'ppc'],
    ['arch_other', null],
    ['arch_', null],
    ['x86_64', null],
    [undefined, null],
  ];
  for (const [kind, arch] of table) t.equal(archFromKind(kind), arch, String(kind));
});

t.test('appPublisher: from the signing authority, Apple, or unknown', async (t) => {
  t.equal(
    appPublisher(
      ['Developer ID Application: Google LLC (EQHXZ8M8AV)', 'Developer ID Certification Authority'],
      'identified_developer',
    ),
    'Google LLC',
  );
  t.equal(appPublisher(['Apple Development: Jane Doe (AB12CD34EF)'], 'unknown'), 'Jane Doe');
  t.equal(
    appPublisher(['Developer ID Application: Acme, Inc.'], 'identified_developer'),
    'Acme, Inc.',
  );
  t.equal(
    appPublisher(['Software Signing', 'Apple Code Signing Certification Authority'], 'apple'),
    'Apple',
  );
  t.equal(
    appPublisher(
      [
        'Apple Mac OS Application Signing',
        'Apple Worldwide Developer Relations Certification Authority',
      ],
      'mac_app_store',
    ),
    null,
    'a Mac App Store app is re-signed by Apple: its developer is unknown',
  );
  t.equal(appPublisher(undefined, 'unknown'), null);
  t.equal(
    appPublisher('Developer ID Application: Solo (ABCDE12345)', 'identified_developer'),
    'Solo',
  );
});

t.test('parsePkgutilPkgs: real pkgutil --pkgs capture', async (t) => {
  t.same(parsePkgutilPkgs(fixture('pkgutil/pkgs-wazuh-issue-15570.txt')), [
    'com.grammarly.safari.extension',
    'com.microsoft.teams',
    'com.wazuh.pkg.wazuh-agent',
    'desktop.WhatsApp',
    'org.openvpn.client_framework.pkg',
    'org.openvpn.helper_framework.pkg',
    'us.zoom.pkg.videmeeting',
  ]);
  t.same(
    parsePkgutilPkgs('--volume\r\ncom.b\n\ncom.a\ncom.a\nnot an id\n'),
    ['com.a', 'com.b'],
    'never an option, no duplicates',
  );
});

t.test('parsePkgInfo: real pkgutil --pkg-info captures', async (t) => {
  t.same(parsePkgInfo(fixture('pkgutil/pkg-info-chefdk-specinfra-pr-174.txt')), {
    id: 'com.getchef.pkg.chefdk',
    version: '0.2.0',
    installedAt: '2014-07-29T01:50:41.000Z',
  });
  t.same(parsePkgInfo(fixture('pkgutil/pkg-info-qupath-issue-1961.txt')), {
    id: null,
    version: '0',
    installedAt: '2025-07-23T20:58:37.000Z',
  });
  t.same(parsePkgInfo(''), { id: null, version: null, installedAt: null });
});

t.test('pkgInfoOrder: third-party receipts first, bounded', async (t) => {
  const ids = ['com.apple.pkg.CLTools_Executables', 'com.apple.pkg.XProtect', 'com.zoom', 'org.a'];
  t.same(pkgInfoOrder(ids), [
    'com.zoom',
    'org.a',
    'com.apple.pkg.CLTools_Executables',
    'com.apple.pkg.XProtect',
  ]);
  t.same(pkgInfoOrder(ids, 3), ['com.zoom', 'org.a', 'com.apple.pkg.CLTools_Executables']);
});

t.test('parseBrewInfo (synthetic v2 document): every installed keg and cask', async (t) => {
  const items = parseBrewInfo(fixture(BREW_DOC), 'arm64');
  t.same(items, [
    {
      name: 'python@3.14',
      version: '3.14.3_1',
      publisher: 'homebrew/core',
      installedAt: '2026-02-16T09:56:42.000Z',
      arch: 'arm64',
      source: 'homebrew',
    },
    {
      name: 'python@3.14',
      version: '3.14.4',
      publisher: 'homebrew/core',
      installedAt: '2026-04-26T17:19:00.000Z',
      arch: 'arm64',
      source: 'homebrew',
    },
    {
      name: 'python@3.14',
      version: '3.14.5',
      publisher: 'homebrew/core',
      installedAt: '2026-05-13T20:41:47.000Z',
      arch: 'arm64',
      source: 'homebrew',
    },
    {
      name: 'docker-machine-driver-xhyve',
      version: '0.3.3',
      publisher: 'homebrew/core',
      installedAt: '2017-08-18T14:46:20.000Z',
      arch: 'arm64',
      source: 'homebrew',
    },
    {
      name: 'microsoft/git/scalar',
      version: '21.01.182.4',
      publisher: 'microsoft/git',
      installedAt: null,
      arch: null,
      source: 'homebrew',
    },
    {
      name: 'local-caffeine',
      version: '1.2.3',
      publisher: null,
      installedAt: null,
      arch: null,
      source: 'homebrew',
    },
  ]);
  t.same(
    parseBrewInfo('{"formulae":[],"casks":[{"token":"gone","installed":null}]}', null),
    [],
    'a cask not installed',
  );
  t.throws(() => parseBrewInfo('[]', null), { message: /not a JSON object/ });
  t.throws(() => parseBrewInfo('{"name":"jq"}', null), { message: /neither formulae nor casks/ });
  t.throws(() => parseBrewInfo('', null), { message: /no output from brew info/ });
});

t.test('readMacosSoftware: apps, receipts with details, Homebrew on Apple silicon', async (t) => {
  const { ctx, calls } = fakeMac(standardAnswers(commandResult(fixture(BREW_DOC))), [ARM_BREW]);
  const read = await readMacosSoftware(ctx);
  t.same(read.sources, [
    { source: 'macos-app', ok: true, error: null, count: 2 },
    { source: 'pkgutil', ok: true, error: null, count: 7 },
    { source: 'homebrew', ok: true, error: null, count: 6 },
  ]);
  t.same(contractErrors(ItemList, read.items), []);
  t.same(
    read.items.find((i) => i.name === 'com.wazuh.pkg.wazuh-agent'),
    {
      name: 'com.wazuh.pkg.wazuh-agent',
      version: '0.2.0',
      publisher: null,
      installedAt: '2014-07-29T01:50:41.000Z',
      arch: null,
      source: 'pkgutil',
    },
  );
  t.same(
    read.items.find((i) => i.name === 'com.microsoft.teams'),
    {
      name: 'com.microsoft.teams',
      version: null,
      publisher: null,
      installedAt: null,
      arch: null,
      source: 'pkgutil',
    },
    'a receipt whose --pkg-info failed is still listed',
  );
  const profiler = calls.find((c) => c.file === SYSTEM_PROFILER_PATH)!;
  t.same(profiler.args, SYSTEM_PROFILER_ARGS);
  t.same(profiler.args, ['-json', 'SPApplicationsDataType']);
  t.equal(calls.filter((c) => c.args[0] === '--pkg-info').length, 7);
  const brew = calls.filter((c) => c.file === ARM_BREW);
  t.equal(brew.length, 1);
  t.same(brew[0]!.args, BREW_INFO_ARGS);
  t.same(brew[0]!.args, ['info', '--json=v2', '--installed']);
  t.equal(brew[0]!.options.timeoutMs, BREW_TIMEOUT_MS);
  t.match(brew[0]!.options.env, {
    HOMEBREW_NO_AUTO_UPDATE: '1',
    HOMEBREW_NO_ANALYTICS: '1',
    HOME: '/var/root',
  });
  t.notOk(
    calls.some((c) => c.file === INTEL_BREW),
    'no /usr/local brew: not run',
  );
});

t.test(
  'readMacosSoftware: brew refuses to run as root -> homebrew failed with its words',
  async (t) => {
    const refusal = commandResult('', {
      exitCode: 1,
      stderr: fixture('brew/root-refusal-stderr.txt'),
    });
    const { ctx, log } = fakeMac(standardAnswers(refusal), [ARM_BREW]);
    const read = await readMacosSoftware(ctx);
    t.match(read.sources[2], {
      source: 'homebrew',
      ok: false,
      count: null,
      error:
        /\/opt\/homebrew\/bin\/brew info --json=v2 --installed' failed: exit code 1: Error: Running Homebrew as root is extremely dangerous/,
    });
    t.notOk(read.items.some((i) => i.source === 'homebrew'));
    t.match(read.sources[0], { source: 'macos-app', ok: true });
    t.match(log(), /software: source not read/);
  },
);

t.test('readMacosSoftware: no Homebrew installed -> no homebrew source at all', async (t) => {
  const { ctx, calls } = fakeMac(standardAnswers(commandResult(fixture(BREW_DOC))), []);
  const read = await readMacosSoftware(ctx);
  t.same(
    read.sources.map((s) => s.source),
    ['macos-app', 'pkgutil'],
  );
  t.notOk(calls.some((c) => c.file.endsWith('/brew')));
});

t.test('readMacosSoftware: both prefixes; one failing makes the whole source failed', async (t) => {
  const both = fakeMac(
    (file, args) =>
      file === INTEL_BREW
        ? commandResult(
            '{"formulae":[{"name":"jq","full_name":"jq","tap":"homebrew/core","installed":[{"version":"1.7.1","time":1704164645}]}],"casks":[]}',
          )
        : standardAnswers(commandResult(fixture(BREW_DOC)))(file, args),
    [ARM_BREW, INTEL_BREW],
  );
  const read = await readMacosSoftware(both.ctx);
  t.match(read.sources[2], { source: 'homebrew', ok: true, count: 7 });
  t.same(
    read.items.find((i) => i.name === 'jq'),
    {
      name: 'jq',
      version: '1.7.1',
      publisher: 'homebrew/core',
      installedAt: '2024-01-02T03:04:05.000Z',
      arch: 'x86_64',
      source: 'homebrew',
    },
    '/usr/local is the Intel prefix',
  );

  const half = fakeMac(
    (file, args) =>
      file === INTEL_BREW
        ? commandResult('not json')
        : standardAnswers(commandResult(fixture(BREW_DOC)))(file, args),
    [ARM_BREW, INTEL_BREW],
  );
  const halfRead = await readMacosSoftware(half.ctx);
  t.match(halfRead.sources[2], {
    source: 'homebrew',
    ok: false,
    error: /brew info output is not JSON/,
  });
  t.notOk(
    halfRead.items.some((i) => i.source === 'homebrew'),
    'no half list',
  );
});

t.test('readMacosSoftware: system_profiler and pkgutil failures are failed sources', async (t) => {
  const { ctx } = fakeMac((file, args) => {
    if (file === SYSTEM_PROFILER_PATH) return undefined; // ENOENT
    if (file === PKGUTIL_PATH && args[0] === '--pkgs')
      return commandResult('', {
        timedOut: true,
        exitCode: null,
        signal: 'SIGTERM',
        durationMs: 30000,
      });
    return undefined;
  });
  const read = await readMacosSoftware(ctx);
  t.same(read.items, []);
  t.match(read.sources, [
    {
      source: 'macos-app',
      ok: false,
      count: null,
      error: /system_profiler -json SPApplicationsDataType' failed: executable not found/,
    },
    {
      source: 'pkgutil',
      ok: false,
      count: null,
      error: /pkgutil --pkgs' failed: timed out after 30000 ms/,
    },
  ]);

  const broken = fakeMac((file, args) =>
    file === SYSTEM_PROFILER_PATH
      ? commandResult('{"SPApplicationsDataType":')
      : standardAnswers()(file, args),
  );
  t.match((await readMacosSoftware(broken.ctx)).sources[0], {
    source: 'macos-app',
    ok: false,
    error: /not JSON/,
  });
});

t.test('readMacosSoftware: --pkg-info bounded in number, concurrency and time', async (t) => {
  const ids = Array.from(
    { length: MAX_PKG_INFO + 50 },
    (_, n) => `org.example.pkg${String(n).padStart(3, '0')}`,
  );
  let running = 0;
  let peak = 0;
  const { ctx, calls } = fakeMac((file, args) => {
    if (file === SYSTEM_PROFILER_PATH) return commandResult('{"SPApplicationsDataType":[]}');
    if (args[0] === '--pkgs') return commandResult(ids.join('\n'));
    return undefined;
  });
  const run = ctx.host.run;
  ctx.host.run = async (file, args, options) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setImmediate(resolve));
    try {
      return await run(file, args, options);
    } finally {
      running--;
    }
  };
  const read = await readMacosSoftware(ctx);
  t.equal(
    calls.filter((c) => c.args[0] === '--pkg-info').length,
    MAX_PKG_INFO,
    'at most MAX_PKG_INFO lookups',
  );
  t.ok(peak <= PKG_INFO_CONCURRENCY + 2, `concurrency bounded (peak ${peak})`);
  t.match(read.sources[1], { source: 'pkgutil', ok: true, count: MAX_PKG_INFO + 50 });

  // A clock that moves 1 s per reading: the budget runs out after about that many lookups.
  const slow = fakeMac(
    (file, args) =>
      args[0] === '--pkgs'
        ? commandResult(ids.join('\n'))
        : file === SYSTEM_PROFILER_PATH
          ? commandResult('{"SPApplicationsDataType":[]}')
          : undefined,
    [],
    { tickMs: 1000 },
  );
  await readMacosSoftware(slow.ctx);
  const lookups = slow.calls.filter((c) => c.args[0] === '--pkg-info').length;
  t.ok(
    lookups > 0 && lookups <= PKG_INFO_BUDGET_MS / 1000,
    `stopped by the time budget (${lookups})`,
  );

  // An aborted collection starts no lookups.
  const controller = new AbortController();
  controller.abort();
  const aborted = fakeMac(
    (file, args) => (args[0] === '--pkgs' ? commandResult(ids.join('\n')) : undefined),
    [],
    { signal: controller.signal },
  );
  const abortedRead = await readMacosSoftware(aborted.ctx);
  t.equal(aborted.calls.filter((c) => c.args[0] === '--pkg-info').length, 0);
  t.match(abortedRead.sources[1], { source: 'pkgutil', ok: true, count: MAX_PKG_INFO + 50 });
});
