import { SoftwareItem } from '@vcio/shared';
import { Type } from '@sinclair/typebox';
import t from 'tap';
import {
  installDateToIso,
  isMsiProduct,
  parseUninstallJson,
  readWindowsSoftware,
  shownInProgramsAndFeatures,
  UNINSTALL_KEY,
  UNINSTALL_SCRIPT,
  WINDOWS_SOFTWARE_TIMEOUT_MS,
  windowsSoftwareOutcomes,
  type UninstallEntry,
} from '../src/collectors/software/windows.js';
import type { CollectContext } from '../src/collectors/types.js';
import { CommandStartError, type CommandResult, type RunOptions } from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const fixture = (name: string): string => readFixture(`software/${name}`);
const TWO_VIEWS = 'uninstall-json/synthetic-two-views-ps51.json';
const POWERSHELL = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

interface Call {
  file: string;
  args: readonly string[];
  options: RunOptions;
}

function fakeHost(answer: CommandResult | Error): {
  ctx: CollectContext;
  calls: Call[];
  log: () => string;
} {
  const calls: Call[] = [];
  const logger = captureLogger();
  const host: HostAccess = {
    platform: 'win32',
    env: { SystemRoot: 'C:\\Windows' },
    run: async (file, args, options) => {
      calls.push({ file, args, options });
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

const entry = (over: Partial<UninstallEntry>): UninstallEntry => ({
  keyName: 'Key',
  displayName: 'Product',
  displayVersion: '1.0',
  publisher: 'Vendor',
  installDate: null,
  systemComponent: null,
  parentKeyName: null,
  releaseType: null,
  windowsInstaller: null,
  ...over,
});

t.test('UNINSTALL_SCRIPT: one -Command argument PowerShell cannot mangle', async (t) => {
  t.notOk(UNINSTALL_SCRIPT.includes('"'), 'no double quotes');
  t.notOk(UNINSTALL_SCRIPT.includes('#'), 'no comments');
  t.notOk(/[\r\n]/.test(UNINSTALL_SCRIPT), 'one line');
  t.match(UNINSTALL_SCRIPT, `OpenSubKey('${UNINSTALL_KEY}')`);
  t.match(UNINSTALL_SCRIPT, "@('Registry64', 'Registry32')");
  t.match(UNINSTALL_SCRIPT, /ConvertTo-Json -Depth 6 -Compress$/);
  for (const value of [
    'DisplayName',
    'DisplayVersion',
    'Publisher',
    'InstallDate',
    'SystemComponent',
    'ParentKeyName',
    'ReleaseType',
    'WindowsInstaller',
  ])
    t.match(UNINSTALL_SCRIPT, `(Val $k '${value}')`, value);
  t.notMatch(UNINSTALL_SCRIPT, /Win32_Product/, 'never Win32_Product');
  const open = (UNINSTALL_SCRIPT.match(/[({[]/g) ?? []).length;
  const close = (UNINSTALL_SCRIPT.match(/[)}\]]/g) ?? []).length;
  t.equal(open, close, 'brackets balance');
});

t.test('synthetic two-view document: its values come from the real captures', async (t) => {
  const scan = parseUninstallJson(fixture(TWO_VIEWS));
  const real = [
    fixture('uninstall-registry/5.txt'),
    fixture('uninstall-registry/1.txt'),
    fixture('uninstall-registry/3.txt'),
  ].join('\n');
  const lines = real.split('\n');
  for (const view of scan.views)
    for (const e of view.entries) {
      if (e.displayName === null) continue;
      const row = lines.find((l) => l.startsWith(`${e.displayName} `));
      t.ok(row, `${e.displayName} is a row of a real capture`);
      for (const value of [e.displayVersion, e.publisher, e.installDate])
        if (value !== null) t.ok(row?.includes(value), `${e.displayName}: ${value}`);
    }
});

t.test('parseUninstallJson: the two views and every entry', async (t) => {
  const scan = parseUninstallJson(fixture(TWO_VIEWS));
  t.equal(scan.is64BitOperatingSystem, true);
  t.same(
    scan.views.map((v) => [v.view, v.error, v.entries.length]),
    [
      ['Registry64', null, 4],
      ['Registry32', null, 16],
    ],
  );
  t.same(scan.views[1]!.entries[2], {
    keyName: '{00000000-0000-0000-0000-00000000C001}',
    displayName: 'Google Chrome',
    displayVersion: '91.0.4472.77',
    publisher: 'Google LLC',
    installDate: '20210526',
    systemComponent: null,
    parentKeyName: null,
    releaseType: null,
    windowsInstaller: '1',
  });
});

t.test(
  'windowsSoftwareOutcomes (synthetic two views): what Programs and Features lists',
  async (t) => {
    const { ctx, calls } = fakeHost(commandResult(fixture(TWO_VIEWS)));
    const read = await readWindowsSoftware(ctx);
    t.same(read.sources, [
      { source: 'registry-64', ok: true, error: null, count: 3 },
      { source: 'registry-32', ok: true, error: null, count: 11 },
      { source: 'msi', ok: true, error: null, count: 2 },
    ]);
    t.same(contractErrors(Type.Array(SoftwareItem), read.items), []);
    const bySource = (s: string): string[] =>
      read.items.filter((i) => i.source === s).map((i) => i.name);
    t.same(bySource('registry-64'), ['AdGuard for Windows', 'Bandizip', 'Docker Desktop']);
    t.same(bySource('msi'), ['Google Chrome', 'Lenovo Vantage Service']);
    t.notOk(
      read.items.some((i) => i.name.startsWith('Microsoft Visual C++ 2019 X86 Minimum Runtime')),
      'SystemComponent = 1 is hidden',
    );
    t.ok(
      read.items.some((i) => i.name === 'heroku' && i.version === null && i.publisher === 'Heroku'),
    );
    t.same(
      read.items.find((i) => i.name === 'Google Chrome'),
      {
        name: 'Google Chrome',
        version: '91.0.4472.77',
        publisher: 'Google LLC',
        installedAt: '2021-05-26T00:00:00.000Z',
        arch: null,
        source: 'msi',
      },
    );
    t.same(
      read.items.find((i) => i.name === 'Microsoft Edge Update'),
      {
        name: 'Microsoft Edge Update',
        version: '1.3.143.57',
        publisher: null,
        installedAt: null,
        arch: null,
        source: 'registry-32',
      },
    );
    t.equal(calls.length, 1);
    t.equal(calls[0]!.file, POWERSHELL);
    t.same(calls[0]!.args, [
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
      UNINSTALL_SCRIPT,
    ]);
    t.equal(calls[0]!.options.timeoutMs, WINDOWS_SOFTWARE_TIMEOUT_MS);
  },
);

t.test('synthetic 32-bit Windows document with ConvertTo-Json quirks', async (t) => {
  const { ctx, log } = fakeHost(
    commandResult(fixture('uninstall-json/synthetic-32bit-os-quirks-ps51.json')),
  );
  const read = await readWindowsSoftware(ctx);
  t.same(read.sources, [
    { source: 'registry-32', ok: true, error: null, count: 1 },
    { source: 'msi', ok: true, error: null, count: 0 },
  ]);
  t.same(read.items, [
    {
      name: 'Gpg4win (3.1.15)',
      version: '3.1.15',
      publisher: 'The Gpg4win Project',
      installedAt: null,
      arch: null,
      source: 'registry-32',
    },
  ]);
  t.match(log(), /some Uninstall subkeys could not be opened/);
});

t.test('synthetic document with the 64-bit view denied: that view and msi fail', async (t) => {
  const { ctx } = fakeHost(
    commandResult(fixture('uninstall-json/synthetic-64bit-view-denied.json')),
  );
  const read = await readWindowsSoftware(ctx);
  t.match(read.sources, [
    {
      source: 'registry-64',
      ok: false,
      count: null,
      error: /Uninstall \(Registry64\) could not be read: Requested registry access is not allowed/,
    },
    { source: 'registry-32', ok: true, error: null, count: 2 },
    {
      source: 'msi',
      ok: false,
      count: null,
      error: 'incomplete: the Registry64 registry view could not be read',
    },
  ]);
  t.same(
    read.items.map((i) => i.name),
    ['Easy GIF Animator 7.3', 'GNU Privacy Guard'],
    'the MSI entry of the readable view is not reported either',
  );
});

t.test('windowsSoftwareOutcomes: a view the script did not report fails', async (t) => {
  const outcomes = windowsSoftwareOutcomes({
    is64BitOperatingSystem: null,
    views: [{ view: 'Registry32', error: null, unreadable: 0, entries: [entry({})] }],
  });
  t.match(outcomes, [
    { source: 'registry-64', error: /did not report the Registry64 view/ },
    { source: 'registry-32', items: [{ name: 'Product' }] },
    { source: 'msi', error: /incomplete/ },
  ]);
});

t.test('shownInProgramsAndFeatures and isMsiProduct (synthetic entries)', async (t) => {
  t.equal(shownInProgramsAndFeatures(entry({})), true);
  t.equal(shownInProgramsAndFeatures(entry({ displayName: null })), false, 'no DisplayName');
  t.equal(shownInProgramsAndFeatures(entry({ displayName: '   ' })), false, 'blank DisplayName');
  t.equal(shownInProgramsAndFeatures(entry({ systemComponent: '1' })), false, 'SystemComponent');
  t.equal(shownInProgramsAndFeatures(entry({ systemComponent: '0' })), true);
  t.equal(
    shownInProgramsAndFeatures(entry({ parentKeyName: 'OfficeProPlus' })),
    false,
    'an update',
  );
  t.equal(shownInProgramsAndFeatures(entry({ releaseType: 'Hotfix' })), false);
  t.equal(shownInProgramsAndFeatures(entry({ releaseType: 'Security Update' })), false);
  t.equal(shownInProgramsAndFeatures(entry({ releaseType: 'Update Rollup' })), false);
  t.equal(shownInProgramsAndFeatures(entry({ releaseType: 'Application' })), true);
  t.equal(isMsiProduct(entry({ windowsInstaller: '1' })), true);
  t.equal(isMsiProduct(entry({ windowsInstaller: '0' })), false);
  t.equal(
    isMsiProduct(entry({ keyName: '{23170F69-40C1-2702-1900-000001000000}' })),
    false,
    'a GUID key name alone is not MSI',
  );
});

t.test('installDateToIso: yyyyMMdd only, as midnight UTC', async (t) => {
  t.equal(installDateToIso('20210526'), '2021-05-26T00:00:00.000Z');
  t.equal(installDateToIso(' 20240229 '), '2024-02-29T00:00:00.000Z');
  for (const garbage of [
    null,
    '',
    '2021-05-26',
    '26/05/2021',
    '20210231',
    '19700101',
    '21000101x',
    '2021052',
    'Tue',
  ])
    t.equal(installDateToIso(garbage), null, String(garbage));
});

t.test('parseUninstallJson: ConvertTo-Json quirks and non-documents', async (t) => {
  t.same(parseUninstallJson('{"Views":null}'), { is64BitOperatingSystem: null, views: [] });
  t.same(
    parseUninstallJson(
      '{"Is64BitOperatingSystem":true,"Views":[{"View":"Registry64","Error":null,"Entries":null},{"View":"HKCU"}]}',
    ),
    {
      is64BitOperatingSystem: true,
      views: [{ view: 'Registry64', error: null, unreadable: 0, entries: [] }],
    },
    'no entries, and an unknown view is ignored',
  );
  t.throws(() => parseUninstallJson(''), { message: /no output/ });
  t.throws(() => parseUninstallJson('\uFEFF  \r\n'), { message: /no output/ });
  t.throws(() => parseUninstallJson('null'), { message: /not a JSON object/ });
  t.throws(() => parseUninstallJson('[]'), { message: /not a JSON object/ });
  t.throws(() => parseUninstallJson('Get-ItemProperty : access denied'), {
    message: /not JSON: 'Get-ItemProperty/,
  });
  t.throws(() => parseUninstallJson('warning { broken'), { message: /not JSON/ });
});

t.test('readWindowsSoftware: the script cannot run -> all three sources failed', async (t) => {
  const cases: [string, CommandResult | Error, RegExp][] = [
    [
      'exit code',
      commandResult('', { exitCode: 1, stderr: 'The term Val is not recognized\r\n' }),
      /powershell\.exe -Command <script>' failed: exit code 1: The term Val/,
    ],
    [
      'no powershell.exe',
      // as runCommand throws it: naming the whole command line, script and all
      new CommandStartError(
        `${POWERSHELL} -Command [Microsoft.Win32.RegistryKey]::OpenBaseKey(...)`,
        'ENOENT',
        new Error('spawn ENOENT'),
      ),
      /powershell\.exe -Command <script>' failed: executable not found \(ENOENT\)/,
    ],
    ['empty output', commandResult(''), /no output from the Uninstall registry script/],
    ['not JSON', commandResult('Access is denied.'), /not JSON/],
  ];
  for (const [what, answer, error] of cases) {
    const { ctx, log } = fakeHost(answer);
    const read = await readWindowsSoftware(ctx);
    t.same(read.items, [], what);
    t.same(
      read.sources.map((s) => [s.source, s.ok, s.count]),
      [
        ['registry-64', false, null],
        ['registry-32', false, null],
        ['msi', false, null],
      ],
      what,
    );
    for (const s of read.sources) t.match(s.error, error, `${what}: ${s.source}`);
    t.notOk(
      read.sources.some((s) => s.error?.includes('OpenBaseKey')),
      'the script is not in the error',
    );
    t.match(log(), /Uninstall registry keys not read/);
  }
});

t.test('readWindowsSoftware: duplicates dropped, long and dirty values bounded', async (t) => {
  const long = 'N'.repeat(300);
  const doc = {
    Is64BitOperatingSystem: true,
    Views: [
      {
        View: 'Registry64',
        Error: null,
        Entries: [
          { KeyName: 'a', DisplayName: 'Same', DisplayVersion: '1.0' },
          { KeyName: 'b', DisplayName: 'Same ', DisplayVersion: '1.0' },
          {
            KeyName: 'c',
            DisplayName: `${long}\u0000`,
            DisplayVersion: 'V'.repeat(200),
            Publisher: 'P'.repeat(300),
          },
          { KeyName: 'd', DisplayName: `a${'😀'.repeat(128)}`, DisplayVersion: null },
        ],
      },
      { View: 'Registry32', Error: null, Entries: [] },
    ],
  };
  const { ctx } = fakeHost(commandResult(JSON.stringify(doc)));
  const read = await readWindowsSoftware(ctx);
  t.equal(read.sources[0]!.count, 3, 'the two "Same 1.0" entries are one');
  t.same(contractErrors(Type.Array(SoftwareItem), read.items), []);
  const cut = read.items.find((i) => i.name.startsWith('NNN'))!;
  t.equal(cut.name.length, 256);
  t.equal(cut.version!.length, 128);
  t.equal(cut.publisher!.length, 256);
  // 'a' + 128 emoji is 257 UTF-16 units: cutting at 256 would leave half of the last emoji
  const emoji = read.items.find((i) => i.name.startsWith('a😀'))!;
  t.equal(emoji.name, `a${'😀'.repeat(127)}`, 'a surrogate pair is never split');
});
