import { liveHost } from '../src/host.js';
import { PatchesSection } from '@vcio/shared';
import t from 'tap';
import {
  collectMacosPatches,
  parseSoftwareUpdateList,
  saysNoNewSoftware,
  SOFTWAREUPDATE_LIST_ARGS,
  SOFTWAREUPDATE_PATH,
  type MacosPatchDeps,
} from '../src/collectors/patches/macos.js';
import type { CollectContext } from '../src/collectors/types.js';
import { CommandStartError, type CommandResult } from '../src/exec.js';
import { captureLogger } from './helpers/capture-logger.js';
import { contractErrors } from './helpers/contract.js';
import { commandResult } from './helpers/command-result.js';
import { readFixture } from './helpers/fixtures.js';

const sample = (name: string): string => readFixture(`patches/softwareupdate-list/${name}`);

const result = commandResult;

function fakeDeps(answer: CommandResult | Error): {
  deps: MacosPatchDeps;
  calls: { file: string; args: readonly string[]; timeoutMs: number }[];
} {
  const calls: { file: string; args: readonly string[]; timeoutMs: number }[] = [];
  let clock = Date.parse('2026-01-05T10:00:00Z');
  return {
    calls,
    deps: {
      now: () => {
        const d = new Date(clock);
        clock += 30_000;
        return d;
      },
      run: async (file, args, options) => {
        calls.push({ file, args, timeoutMs: options.timeoutMs });
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  };
}

function ctx(): CollectContext {
  return { logger: captureLogger().logger, signal: new AbortController().signal, host: liveHost };
}

t.test('parseSoftwareUpdateList: new format (macOS Tahoe)', async (t) => {
  t.same(parseSoftwareUpdateList(sample('1.txt')), [
    {
      name: 'macOS Tahoe 26.6',
      kb: null,
      currentVersion: null,
      availableVersion: '26.6',
      security: null,
      severity: null,
      classification: null,
      advisories: [],
      restartRequired: true,
      releasedAt: null,
    },
  ]);
  t.equal(saysNoNewSoftware(sample('1.txt')), false);
});

t.test('parseSoftwareUpdateList: old format', async (t) => {
  const three = parseSoftwareUpdateList(sample('3.txt'));
  t.equal(three.length, 1);
  t.match(three[0], {
    name: 'OS X El Capitan 更新',
    availableVersion: '10.11.6',
    restartRequired: true,
  });

  const five = parseSoftwareUpdateList(sample('5.txt'));
  t.same(
    five.map((u) => [u.name, u.availableVersion, u.restartRequired]),
    [
      ['MacBook Air EFI Firmware Update', '2.4', true],
      ['ProApps QuickTime codecs', '1.0', false],
      ['Java for OS X 2012-005', '1.0', false],
    ],
  );

  const seven = parseSoftwareUpdateList(sample('7.txt').replace(/\n/g, '\r\n'));
  t.same(
    seven.map((u) => [u.name, u.availableVersion, u.restartRequired]),
    [
      ['Command Line Tools (macOS Mojave version 10.14) for Xcode', '10.3', false],
      ['macOS 10.14.1 Update', '10.14.1', true],
      ['BridgeOSUpdateCustomer', '10.14.4.1.1.1555388607', true],
      ['iCal', '1.0.2', false],
    ],
    'title parentheses, [shut down], a "-" item',
  );
});

t.test('parseSoftwareUpdateList: security, nothing, odd lines', async (t) => {
  t.match(parseSoftwareUpdateList(sample('synthetic-security-update.txt')), [
    {
      name: 'Security Update 2021-002 Catalina',
      availableVersion: '10.15.7',
      security: true,
      restartRequired: true,
    },
  ]);
  t.same(parseSoftwareUpdateList(sample('synthetic-no-new-software.txt')), []);
  t.equal(saysNoNewSoftware(sample('synthetic-no-new-software.txt')), true);
  t.same(parseSoftwareUpdateList(''), []);

  // Label lines without a detail line, a detail line without Action, an unreadable detail.
  const odd = parseSoftwareUpdateList(
    [
      '* Label: Rapid Security Response iOS-ish',
      '* Label: Safari17.1',
      '\tTitle: Safari, Version: 17.1, Size: 147000KiB, Recommended: YES, ',
      '   * SomethingOld-1.0',
      '\tno parentheses here',
      '   * Lonely-1.0',
    ].join('\n'),
  );
  t.same(
    odd.map((u) => [u.name, u.availableVersion, u.restartRequired, u.security]),
    [
      ['Rapid Security Response iOS-ish', null, null, true],
      ['Safari', '17.1', null, null],
      ['SomethingOld-1.0', null, false, null],
      ['Lonely-1.0', null, null, null],
    ],
  );
});

t.test('collectMacosPatches: an update needing a restart', async (t) => {
  const { deps, calls } = fakeDeps(
    result(sample('1.txt').split('\n').slice(4).join('\n'), {
      stderr: 'Software Update Tool\n\nFinding available software\n',
    }),
  );
  const section = await collectMacosPatches(ctx(), deps);
  t.same(contractErrors(PatchesSection, section), []);
  t.same(calls, [
    { file: SOFTWAREUPDATE_PATH, args: SOFTWAREUPDATE_LIST_ARGS, timeoutMs: 300_000 },
  ]);
  t.match(section.sources[0], {
    manager: 'softwareupdate',
    checkedAt: '2026-01-05T10:00:00.000Z',
    durationSeconds: 30,
    ok: true,
    error: null,
    pendingCount: 1,
    securityCount: 0,
    lastInstallAt: null,
  });
  t.equal(section.rebootRequired, true);
  t.same(section.rebootReasons, ['softwareupdate: macOS Tahoe 26.6 requires a restart']);
});

t.test('collectMacosPatches: no updates is a real 0 pending', async (t) => {
  const { deps } = fakeDeps(result('', { stderr: sample('synthetic-no-new-software.txt') }));
  const section = await collectMacosPatches(ctx(), deps);
  t.same(contractErrors(PatchesSection, section), []);
  t.match(section.sources[0], { ok: true, pending: [], pendingCount: 0, securityCount: 0 });
  t.equal(section.rebootRequired, null, 'macOS has no pending-reboot flag: unknown, not false');
  t.same(section.rebootReasons, []);
});

t.test('collectMacosPatches: updates without restart leave rebootRequired unknown', async (t) => {
  const { deps } = fakeDeps(result(sample('5.txt').replace(' [restart]', '')));
  const section = await collectMacosPatches(ctx(), deps);
  t.equal(section.sources[0]!.pendingCount, 3);
  t.equal(section.rebootRequired, null);
});

t.test('collectMacosPatches: failures are ok false, never 0 pending', async (t) => {
  for (const [answer, error] of [
    [
      result('', { timedOut: true, exitCode: null, signal: 'SIGTERM', durationMs: 300_000 }),
      /timed out/,
    ],
    [result('', { exitCode: 1, stderr: 'softwareupdate: unrecognized option' }), /exit code 1/],
    [new CommandStartError(SOFTWAREUPDATE_PATH, 'ENOENT', new Error('x')), /ENOENT/],
    [
      result('', { stderr: 'Software Update Tool\n\nFinding available software\n' }),
      /gave neither updates nor/,
    ],
  ] as const) {
    const { deps } = fakeDeps(answer);
    const section = await collectMacosPatches(ctx(), deps);
    t.same(contractErrors(PatchesSection, section), []);
    t.match(section.sources[0], {
      ok: false,
      pending: [],
      pendingCount: null,
      securityCount: null,
    });
    t.match(section.sources[0]!.error, error);
    t.equal(section.rebootRequired, null);
  }
});

t.test('collectMacosPatches: default deps where there is no softwareupdate', async (t) => {
  const section = await collectMacosPatches(ctx());
  t.same(contractErrors(PatchesSection, section), []);
  t.equal(section.sources[0]!.ok, false);
});
