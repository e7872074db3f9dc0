import { liveHost } from '../src/host.js';
import { PatchesSection } from '@vcio/shared';
import t from 'tap';
import {
  collectWindowsPatches,
  GET_HOTFIX_SCRIPT,
  normaliseMsrcSeverity,
  parseGetHotFixTable,
  parsePsWindowsUpdateTable,
  parseWindowsUpdateJson,
  powershellArgs,
  powershellPath,
  psDateToIso,
  REBOOT_KEYS,
  usDateTimeToIso,
  WINDOWS_UPDATE_SCRIPT,
  type WindowsPatchDeps,
} from '../src/collectors/patches/windows.js';
import type { CollectContext } from '../src/collectors/types.js';
import { CommandStartError, type CommandResult, type RunOptions } from '../src/exec.js';
import { captureLogger } from './helpers/capture-logger.js';
import { contractErrors } from './helpers/contract.js';
import { commandResult } from './helpers/command-result.js';
import { readFixture } from './helpers/fixtures.js';

const json = (name: string): string => readFixture(`patches/windows-update-json/${name}`);

const result = commandResult;

interface Call {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

/** A runner answering each call in turn; an Error answer is thrown (could not start). */
function fakeDeps(answers: (CommandResult | Error)[]): { deps: WindowsPatchDeps; calls: Call[] } {
  const calls: Call[] = [];
  let clock = Date.parse('2026-01-05T10:00:00Z');
  return {
    calls,
    deps: {
      env: { SystemRoot: 'C:\\Windows' },
      now: () => {
        const d = new Date(clock);
        clock += 42_000;
        return d;
      },
      run: async (file, args, options) => {
        calls.push({ file, args, options });
        const answer = answers.shift();
        if (answer === undefined) throw new Error('unexpected extra command');
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  };
}

function ctx(): CollectContext & { text(): string } {
  const { logger, text } = captureLogger();
  return { logger, signal: new AbortController().signal, host: liveHost, text };
}

t.test('parseWindowsUpdateJson: PowerShell 7 style document, three updates', async (t) => {
  const scan = parseWindowsUpdateJson(json('synthetic-pending-ps7.json'));
  t.equal(scan.searchError, null);
  t.equal(scan.rebootRequired, false, 'all three reboot checks read false');
  t.same(scan.rebootReasons, []);
  t.equal(scan.lastInstallAt, '2025-03-25T21:20:41.000Z', 'history is later than Get-HotFix');
  t.same(scan.pending[0], {
    name: '2024-05 .NET 7.0.20 Security Update for x64 Client (KB5039844)',
    kb: 'KB5039844',
    currentVersion: null,
    availableVersion: null,
    security: true,
    severity: 'important',
    classification: 'Security Updates',
    advisories: [],
    restartRequired: false,
    releasedAt: '2024-05-14T00:00:00.000Z',
  });
  t.match(scan.pending[1], {
    kb: 'KB5034467',
    security: false,
    severity: null,
    classification: 'Updates',
    restartRequired: true,
  });
  t.match(scan.pending[2], {
    name: 'Intel - net - 20.70.32.1',
    kb: null,
    security: false,
    classification: 'Drivers',
    restartRequired: null,
    releasedAt: null,
  });
});

t.test('parseWindowsUpdateJson: Windows PowerShell 5.1 quirks', async (t) => {
  const scan = parseWindowsUpdateJson(json('synthetic-single-update-ps51.json'));
  t.equal(scan.pending.length, 1, 'a single update written as an object, not an array');
  t.match(scan.pending[0], {
    kb: 'KB2267602',
    classification: 'Definition Updates',
    security: false,
    severity: null,
    releasedAt: '2019-09-06T22:00:00.000Z',
  });
  t.equal(scan.rebootRequired, true);
  t.same(scan.rebootReasons, [REBOOT_KEYS.CBS, REBOOT_KEYS.PendingFileRename]);
  t.equal(scan.lastInstallAt, '2019-09-06T22:00:00.000Z', '{ value: /Date()/ } object');
});

t.test('parseWindowsUpdateJson: search error, nothing pending, bad input', async (t) => {
  const failed = parseWindowsUpdateJson(json('synthetic-search-failed.json'));
  t.equal(failed.searchError, 'Exception from HRESULT: 0x80070422');
  t.equal(failed.rebootRequired, null, 'one check unread and none set: unknown');
  t.equal(failed.lastInstallAt, '2016-10-18T00:00:00.000Z');

  const none = parseWindowsUpdateJson(`\uFEFF${json('synthetic-nothing-pending.json')}\r\n`);
  t.same(none.pending, []);
  t.equal(none.searchError, null);
  t.equal(none.lastInstallAt, null);
  t.equal(none.rebootRequired, false);

  const warned = parseWindowsUpdateJson(
    `WARNING: something\r\n${json('synthetic-nothing-pending.json')}`,
  );
  t.equal(warned.rebootRequired, false, 'a line before the document is skipped');

  const bare = parseWindowsUpdateJson('{"Updates":null,"Other":1}');
  t.same(bare.pending, [], 'Updates null: none');
  t.equal(bare.rebootRequired, null, 'no reboot checks: unknown');

  const odd = parseWindowsUpdateJson(
    JSON.stringify({
      Updates: [
        { Title: '' },
        'not an object',
        {
          Title: 'Cumulative Update',
          KBArticleIDs: ['none', 'KB5034441'],
          MsrcSeverity: 'Unrated',
          Categories: ['Windows 11', 'Security Updates'],
          RebootRequired: true,
        },
        { Title: 'No categories', Categories: [{ Name: 'Windows 11', Type: 'Product' }] },
      ],
    }),
  );
  t.equal(odd.pending.length, 2, 'updates without a title are dropped');
  t.match(odd.pending[0], {
    kb: 'KB5034441',
    severity: 'unspecified',
    classification: 'Security Updates',
    security: true,
    restartRequired: true,
  });
  t.match(odd.pending[1], { classification: null, security: null, kb: null });

  t.throws(() => parseWindowsUpdateJson(''), /no output/);
  t.throws(() => parseWindowsUpdateJson('  \r\n'), /no output/);
  t.throws(() => parseWindowsUpdateJson('Search : Exception calling'), /not JSON/);
  t.throws(() => parseWindowsUpdateJson('{ broken'), /not JSON/);
  t.throws(() => parseWindowsUpdateJson('[1,2]'), /not a JSON object/);
  t.throws(() => parseWindowsUpdateJson('null'), /not a JSON object/);
});

t.test('psDateToIso and normaliseMsrcSeverity', async (t) => {
  const hotfixJson = JSON.parse(readFixture('patches/get-hotfix/5.txt')) as { InstalledOn: string };
  t.equal(psDateToIso(hotfixJson.InstalledOn), '2019-09-06T22:00:00.000Z', 'real 5.1 date');
  t.equal(psDateToIso('\\/Date(1700000000000)\\/'), '2023-11-14T22:13:20.000Z');
  t.equal(psDateToIso('/Date(1700000000000+0100)/'), '2023-11-14T22:13:20.000Z');
  t.equal(psDateToIso('2024-01-09T08:00:00+01:00'), '2024-01-09T07:00:00.000Z');
  t.equal(psDateToIso('1601-01-01T00:00:00Z'), null, "WUA's no-date");
  t.equal(psDateToIso('/Date(-11644473600000)/'), null);
  t.equal(psDateToIso('yesterday'), null);
  t.equal(psDateToIso(''), null);
  t.equal(psDateToIso(null), null);
  t.equal(psDateToIso(1700000000000), null);

  t.equal(normaliseMsrcSeverity('Critical'), 'critical');
  t.equal(normaliseMsrcSeverity(' moderate '), 'moderate');
  t.equal(normaliseMsrcSeverity('Low'), 'low');
  t.equal(normaliseMsrcSeverity(''), null);
  t.equal(normaliseMsrcSeverity(null), null);
  t.equal(normaliseMsrcSeverity('Unrated'), 'unspecified');
});

t.test('parseGetHotFixTable: recorded Get-HotFix tables', async (t) => {
  const one = parseGetHotFixTable(readFixture('patches/get-hotfix/1.txt'));
  t.equal(one.hotfixes.length, 6, "the '[... trimmed ...]' line is not a row");
  t.same(one.hotfixes[0], {
    hotFixId: 'KB3176936',
    description: 'Update',
    installedBy: null,
    installedOn: '2016-10-18T00:00:00.000Z',
  });
  t.equal(one.hotfixes[4]!.installedBy, 'EC2AMAZ-5M13VM2\\A...');
  t.same(one.kbs, ['KB3176936', 'KB3186568', 'KB3192137', 'KB3199209', 'KB3199986', 'KB4013418']);
  t.equal(one.lastInstalledOn, '2017-06-15T00:00:00.000Z', 'the latest, not the last row');

  const three = parseGetHotFixTable(readFixture('patches/get-hotfix/3.txt').replace(/\n/g, '\r\n'));
  t.equal(three.hotfixes.length, 6);
  t.equal(three.hotfixes[0]!.hotFixId, 'KB2899189_...');
  t.equal(three.hotfixes[3]!.description, 'Security Update');
  t.equal(three.kbs.length, 5, 'a cut id is not a KB number');
  t.equal(three.lastInstalledOn, '2014-05-15T00:00:00.000Z');

  t.same(parseGetHotFixTable(''), { hotfixes: [], kbs: [], lastInstalledOn: null });
});

t.test('usDateTimeToIso', async (t) => {
  t.equal(usDateTimeToIso('3/9/2021 12:00:00 AM'), '2021-03-09T00:00:00.000Z');
  t.equal(usDateTimeToIso('3/9/2021 12:30:00 PM'), '2021-03-09T12:30:00.000Z');
  t.equal(usDateTimeToIso('3/9/2021 1:05:07 PM'), '2021-03-09T13:05:07.000Z');
  t.equal(usDateTimeToIso('3/9/2021'), null, 'no time: not the Get-HotFix format');
  t.equal(usDateTimeToIso('3/9/2021 00:00:00'), null, 'day-first locales have no AM/PM');
  t.equal(usDateTimeToIso('3/9/2021 13:00:00 PM'), null);
  t.equal(usDateTimeToIso('13/9/2021 12:00:00 AM'), null, 'no month 13');
  t.equal(usDateTimeToIso(''), null);
});

t.test('parsePsWindowsUpdateTable: recorded Get-WindowsUpdate tables', async (t) => {
  const one = parsePsWindowsUpdateTable(readFixture('patches/windows-update-search/1.txt'));
  t.equal(one.length, 7);
  t.same(one[0], {
    computerName: 'POTATO',
    status: '-------',
    kb: 'KB2267602',
    size: '2GB',
    title: 'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (...',
  });
  t.same(one[1], {
    computerName: 'POTATO',
    status: '-------',
    kb: null,
    size: '55KB',
    title: 'INTEL - System - 1/1/1970 12:00:00 AM - 10.1.1.42',
  });

  const three = parsePsWindowsUpdateTable(readFixture('patches/windows-update-search/3.txt'));
  t.equal(three.length, 7, 'PreSearchCriteria and VERBOSE lines are not rows');
  t.equal(three[0]!.status, '-DI----');
  t.equal(three[0]!.title, 'MSXML 6.0 RTM Security Update  (925673)');
  t.equal(
    three[2]!.title,
    'Update for Windows Defender Antivirus antimalware platform - KB4052623 (Version 4.18.20...',
    'trailing space trimmed',
  );
  t.equal(three[3]!.kb, null);
  t.equal(three[3]!.size, '93MB');

  const five = parsePsWindowsUpdateTable(
    readFixture('patches/windows-update-search/5.txt').replace(/\n/g, '\r\n'),
  );
  t.equal(five.length, 4, 'misaligned (censored) rows still read');
  t.equal(five[0]!.kb, 'KB5034467');
  t.ok(five[0]!.title.endsWith('…'));
  t.equal(five[3]!.title, '##########');

  t.same(parsePsWindowsUpdateTable(''), []);
});

t.test('the script and the command line', async (t) => {
  t.notOk(WINDOWS_UPDATE_SCRIPT.includes('"'), 'no double quotes (mangled by powershell.exe)');
  t.notOk(/[\r\n]/.test(WINDOWS_UPDATE_SCRIPT), 'one line');
  t.notOk(GET_HOTFIX_SCRIPT.includes('"'));
  t.match(WINDOWS_UPDATE_SCRIPT, "Search('IsInstalled=0 and IsHidden=0')");
  t.match(WINDOWS_UPDATE_SCRIPT, 'ConvertTo-Json -Depth 6 -Compress');
  t.same(powershellArgs('X'), [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-Command',
    'X',
  ]);
  t.equal(
    powershellPath({ SystemRoot: 'D:\\Win' }),
    'D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  );
  t.equal(
    powershellPath({ windir: 'C:\\WINDOWS', PROCESSOR_ARCHITEW6432: 'AMD64' }),
    'C:\\WINDOWS\\Sysnative\\WindowsPowerShell\\v1.0\\powershell.exe',
    'a 32-bit agent reaches the 64-bit PowerShell',
  );
  t.equal(powershellPath({}), 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
});

t.test('collectWindowsPatches: updates pending', async (t) => {
  const { deps, calls } = fakeDeps([result(json('synthetic-pending-ps7.json'))]);
  const section = await collectWindowsPatches(ctx(), deps);
  t.same(contractErrors(PatchesSection, section), []);
  t.equal(calls.length, 1, 'no Get-HotFix fallback when the document has a last install');
  t.equal(calls[0]!.file, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
  t.same(calls[0]!.args, powershellArgs(WINDOWS_UPDATE_SCRIPT));
  t.equal(calls[0]!.options.timeoutMs, 600_000);
  const source = section.sources[0]!;
  t.match(source, {
    manager: 'windows-update',
    checkedAt: '2026-01-05T10:00:00.000Z',
    durationSeconds: 42,
    ok: true,
    error: null,
    pendingCount: 3,
    securityCount: 1,
    lastInstallAt: '2025-03-25T21:20:41.000Z',
  });
  t.equal(source.pending.length, 3);
  t.equal(section.rebootRequired, false);
});

t.test(
  'collectWindowsPatches: nothing pending is a real 0, with the Get-HotFix fallback',
  async (t) => {
    const { deps, calls } = fakeDeps([
      result(json('synthetic-nothing-pending.json')),
      result(readFixture('patches/get-hotfix/3.txt')),
    ]);
    const section = await collectWindowsPatches(ctx(), deps);
    t.same(contractErrors(PatchesSection, section), []);
    t.same(calls[1]!.args, powershellArgs(GET_HOTFIX_SCRIPT));
    t.match(section.sources[0], {
      ok: true,
      pending: [],
      pendingCount: 0,
      securityCount: 0,
      lastInstallAt: '2014-05-15T00:00:00.000Z',
    });
  },
);

t.test('collectWindowsPatches: PowerShell fails', async (t) => {
  const c = ctx();
  const { deps } = fakeDeps([
    result('', { exitCode: 1, stderr: 'New-Object : Retrieving the COM class factory failed' }),
    result(readFixture('patches/get-hotfix/1.txt')),
  ]);
  const section = await collectWindowsPatches(c, deps);
  t.same(contractErrors(PatchesSection, section), []);
  const source = section.sources[0]!;
  t.equal(source.ok, false);
  t.match(source.error, /Windows Update search failed: .*exit code 1: New-Object/);
  t.same(source.pending, []);
  t.equal(source.pendingCount, null, 'never "0 pending"');
  t.equal(source.securityCount, null);
  t.equal(source.lastInstallAt, '2017-06-15T00:00:00.000Z', 'Get-HotFix still answers');
  t.equal(section.rebootRequired, null);
  t.match(c.text(), 'Windows Update could not be read');
});

t.test('collectWindowsPatches: timeout, and the fallback cannot start', async (t) => {
  const c = ctx();
  const { deps } = fakeDeps([
    result('', { timedOut: true, exitCode: null, signal: 'SIGTERM', durationMs: 600_000 }),
    new CommandStartError('powershell.exe', 'ENOENT', new Error('spawn ENOENT')),
  ]);
  const section = await collectWindowsPatches(c, deps);
  t.same(contractErrors(PatchesSection, section), []);
  t.match(section.sources[0], { ok: false, pendingCount: null, lastInstallAt: null });
  t.match(section.sources[0]!.error, /timed out after 600000 ms/);
  t.match(c.text(), 'Get-HotFix fallback failed');
});

t.test('collectWindowsPatches: cannot start, truncated, not JSON', async (t) => {
  for (const [answer, error] of [
    [new CommandStartError('powershell.exe', 'ENOENT', new Error('x')), /ENOENT/],
    [result('{"Updates":[', { truncated: true }), /went past/],
    [result('Exception calling "Search"'), /not JSON/],
  ] as const) {
    const { deps } = fakeDeps([answer, result('', { exitCode: 1 })]);
    const section = await collectWindowsPatches(ctx(), deps);
    t.same(contractErrors(PatchesSection, section), []);
    t.match(section.sources[0], {
      ok: false,
      pending: [],
      pendingCount: null,
      lastInstallAt: null,
    });
    t.match(section.sources[0]!.error, error);
  }
});

t.test('collectWindowsPatches: the search fails but the reboot checks answer', async (t) => {
  const { deps, calls } = fakeDeps([
    result(
      json('synthetic-single-update-ps51.json').replace(
        '"SearchError":null',
        '"SearchError":"Exception from HRESULT: 0x80070422"',
      ),
    ),
  ]);
  const section = await collectWindowsPatches(ctx(), deps);
  t.same(contractErrors(PatchesSection, section), []);
  t.equal(calls.length, 1);
  t.match(section.sources[0], {
    ok: false,
    error: 'Windows Update search failed: Exception from HRESULT: 0x80070422',
    pending: [],
    pendingCount: null,
    securityCount: null,
    lastInstallAt: '2019-09-06T22:00:00.000Z',
  });
  t.equal(section.rebootRequired, true);
  t.equal(section.rebootReasons.length, 2);
});

t.test('collectWindowsPatches: default deps where there is no PowerShell', async (t) => {
  const section = await collectWindowsPatches(ctx());
  t.same(contractErrors(PatchesSection, section), []);
  t.equal(section.sources[0]!.ok, false);
  t.equal(section.sources[0]!.pendingCount, null);
});
