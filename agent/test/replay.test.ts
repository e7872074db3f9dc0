// Replay mode (src/replay.ts): the directory format, how commands and files are matched,
// the replay directories in fixtures/replay/, and `--replay` on the command line.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PatchesSection,
  Report,
  SecuritySection,
  SoftwareSection,
  SystemSection,
} from '@vcio/shared';
import t, { type TAP } from 'tap';
import { main, type CliIo } from '../src/cli/program.js';
import { selectCollectors } from '../src/cli/commands.js';
import { createPatchesCollector } from '../src/collectors/patches/index.js';
import {
  GET_HOTFIX_SCRIPT,
  powershellArgs,
  WINDOWS_UPDATE_SCRIPT,
} from '../src/collectors/patches/windows.js';
import { createSecurityCollector } from '../src/collectors/security/index.js';
import { WINDOWS_SECURITY_SCRIPT } from '../src/collectors/security/windows-script.js';
import { createSoftwareCollector } from '../src/collectors/software/index.js';
import { UNINSTALL_SCRIPT } from '../src/collectors/software/windows.js';
import { createSystemCollector, type RawSystemInfo } from '../src/collectors/system.js';
import type { CollectContext } from '../src/collectors/types.js';
import { UsageError } from '../src/errors.js';
import { CommandStartError } from '../src/exec.js';
import { ExitCode } from '../src/exit-codes.js';
import { liveHost, type HostAccess } from '../src/host.js';
import {
  commandName,
  findCommand,
  isReplayHost,
  parseCommandsFile,
  parseHostFile,
  parseSystemFile,
  recordedPath,
  replayHost,
  replayResult,
  ReplayDirError,
  type ReplayCommand,
  type ReplayHostFile,
} from '../src/replay.js';
import { CREDENTIALS_FILE } from '../src/state.js';
import { captureLogger } from './helpers/capture-logger.js';
import { startFakeCollector } from './helpers/collector-server.js';
import { contractErrors } from './helpers/contract.js';
import { fixturePath, readFixture } from './helpers/fixtures.js';

const WINDOWS = fixturePath('replay/windows-10-enterprise');
const MACOS = fixturePath('replay/macos-26-tahoe');
const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';
const LIMITS = { timeoutMs: 1000, maxOutputBytes: 1024 * 1024 };

const HOST = { platform: 'linux', hostname: 'rec-host', machineId: 'rec-id' };
const hostJson = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ ...HOST, ...over });

type Tree = { [name: string]: string | Tree };

/**
 * A fresh temporary directory holding `tree` (name -> text, or a nested tree). Not
 * t.testdir(): a second call in the same test would wipe the first.
 */
function replayDir(t: Pick<TAP, 'teardown'>, tree: Tree): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'vcio-replay-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const write = (dir: string, node: Tree): void => {
    for (const [name, value] of Object.entries(node)) {
      const full = path.join(dir, name);
      if (typeof value === 'string') writeFileSync(full, value);
      else {
        mkdirSync(full);
        write(full, value);
      }
    }
  };
  write(root, tree);
  return root;
}

function ctx(host: HostAccess): CollectContext {
  return { host, logger: captureLogger().logger, signal: new AbortController().signal };
}

/** The RawSystemInfo the Linux container recording holds, as host HOST. */
function recordedSystem(over: Partial<RawSystemInfo> = {}): RawSystemInfo {
  const raw = JSON.parse(
    readFixture('systeminformation/linux-debian-container.json'),
  ) as RawSystemInfo;
  return { ...raw, hostname: HOST.hostname, ...over };
}

const parsedHost: ReplayHostFile = parseHostFile(hostJson());

// ---------------------------------------------------------------------------------------
// host.json

t.test('host.json: the minimal file, and env and now when given', async (t) => {
  t.same(parsedHost, { ...HOST, env: {}, now: null }, "env is {} (never this machine's)");
  const full = parseHostFile(
    hostJson({
      platform: 'win32',
      env: { SystemRoot: 'D:\\Win' },
      now: '2026-01-15T09:00:00Z',
      note: 'a note is allowed',
    }),
  );
  t.equal(full.platform, 'win32');
  t.same(full.env, { SystemRoot: 'D:\\Win' });
  t.equal(full.now?.toISOString(), '2026-01-15T09:00:00.000Z');
});

t.test('host.json: each mistake is refused with what is wrong', async (t) => {
  const cases: [string, RegExp][] = [
    ['{"platform":', /^host\.json is not valid JSON: /],
    ['[]', /^host\.json must hold a JSON object$/],
    [hostJson({ machineID: 'x' }), /unknown field 'machineID' \(allowed: platform, /],
    [hostJson({ platform: 'aix' }), /platform must be one of win32, darwin, linux \(got "aix"\)/],
    [hostJson({ platform: undefined }), /platform must be one of .* \(got undefined\)/],
    [hostJson({ hostname: '' }), /hostname must be a non-empty string of at most 255/],
    [hostJson({ hostname: 'h'.repeat(256) }), /hostname must be a non-empty string/],
    [hostJson({ machineId: 42 }), /machineId must be a non-empty string of at most 128/],
    [hostJson({ env: ['x'] }), /env must be an object/],
    [hostJson({ env: { PATH: 1 } }), /env\.PATH must be a string/],
    [hostJson({ now: 'yesterday' }), /now must be an ISO 8601 time/],
    [hostJson({ now: 1_700_000_000_000 }), /now must be an ISO 8601 time/],
  ];
  for (const [text, message] of cases) t.throws(() => parseHostFile(text), { message }, text);
});

// ---------------------------------------------------------------------------------------
// commands.json

t.test('commands.json: entries with defaults, and each mistake refused', async (t) => {
  t.same(
    parseCommandsFile(
      JSON.stringify([
        { file: 'reg', args: ['query', 'K'], stdout: 'a.txt', note: 'n' },
        { file: 'powershell.exe', argsInclude: 'Get-X', stdout: 'b', stderr: 'c', exitCode: 1 },
      ]),
    ),
    [
      { file: 'reg', args: ['query', 'K'], stdout: 'a.txt', exitCode: 0 },
      { file: 'powershell.exe', argsInclude: 'Get-X', stdout: 'b', stderr: 'c', exitCode: 1 },
    ],
  );
  const cases: [unknown, RegExp][] = [
    [{}, /^commands\.json must hold a JSON array$/],
    [['x'], /^commands\.json\[0\] must be an object$/],
    [[{ file: 'a', stdout: 'b', out: 'c' }], /commands\.json\[0\]: unknown field 'out'/],
    [[{ stdout: 'b' }], /commands\.json\[0\]\.file must be a non-empty string/],
    [[{ file: 'a' }], /commands\.json\[0\]\.stdout must be a non-empty string/],
    [
      [{ file: 'a', stdout: 'b', args: [], argsInclude: 'x' }],
      /give args or argsInclude, not both/,
    ],
    [[{ file: 'a', stdout: 'b', args: 'x' }], /args must be an array of strings/],
    [[{ file: 'a', stdout: 'b', args: [1] }], /args must be an array of strings/],
    [[{ file: 'a', stdout: 'b', argsInclude: ' ' }], /argsInclude must be a non-empty string/],
    [[{ file: 'a', stdout: 'b', exitCode: 1.5 }], /exitCode must be an integer/],
  ];
  for (const [value, message] of cases)
    t.throws(() => parseCommandsFile(JSON.stringify(value)), { message }, JSON.stringify(value));
  t.throws(() => parseCommandsFile('[{'), { message: /^commands\.json is not valid JSON/ });
});

t.test('a command is matched by basename, case and .exe aside', async (t) => {
  t.equal(
    commandName('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'),
    'powershell',
  );
  t.equal(commandName('/usr/sbin/softwareupdate'), 'softwareupdate');
  t.equal(commandName('REG.EXE'), 'reg');
  t.equal(commandName('C:/Windows/System32/reg.exe'), 'reg');
  const entries: ReplayCommand[] = [
    { file: 'Reg.exe', args: ['query', 'HKLM\\A'], stdout: 'exact', exitCode: 0 },
    { file: 'reg', stdout: 'any-args', exitCode: 0 },
    { file: 'powershell', argsInclude: 'Get-HotFix | Format', stdout: 'hotfix', exitCode: 0 },
    { file: 'powershell', argsInclude: 'Get-HotFix', stdout: 'later', exitCode: 0 },
  ];
  const found = (file: string, args: string[]): string | undefined =>
    findCommand(entries, file, args)?.stdout;
  t.equal(found('C:\\Windows\\System32\\reg.exe', ['query', 'HKLM\\A']), 'exact');
  t.equal(found('reg', ['query', 'HKLM\\A', '/v']), 'any-args', 'a longer list is not exact');
  t.equal(found('reg', ['query', 'HKLM\\B']), 'any-args', 'a different argument is not exact');
  t.equal(found('reg', []), 'any-args');
  t.equal(
    found('powershell.exe', ['-NoProfile', '-Command', 'Get-HotFix | Format-Table']),
    'hotfix',
    'first match wins',
  );
  t.equal(found('powershell.exe', ['-Command', 'Get-HotFix | Sort']), 'later');
  t.equal(found('powershell.exe', ['-Command', 'get-hotfix | format']), undefined, 'case counts');
  t.equal(found('regedit', ['query', 'HKLM\\A']), undefined, 'no partial names');
});

t.test('recorded paths: Windows drives, POSIX roots, .. never above the root', async (t) => {
  t.equal(
    recordedPath('win32', 'C:\\Windows\\System32\\drivers\\etc\\hosts'),
    'C/Windows/System32/drivers/etc/hosts',
  );
  t.equal(recordedPath('win32', 'c:/ProgramData/x.json'), 'C/ProgramData/x.json');
  t.equal(recordedPath('win32', 'C:\\a\\.\\b\\..\\..\\..\\c'), 'C/c');
  t.equal(recordedPath('win32', 'C:\\'), 'C');
  t.equal(recordedPath('win32', 'Windows\\x'), null, 'relative');
  t.equal(recordedPath('win32', '\\\\server\\share\\x'), null, 'UNC');
  t.equal(recordedPath('win32', 'C:x'), null, 'drive-relative');
  t.equal(recordedPath('linux', '/etc/os-release'), 'etc/os-release');
  t.equal(recordedPath('darwin', '/../etc//./x/../os-release'), 'etc/os-release');
  t.equal(recordedPath('linux', '/'), '');
  t.equal(recordedPath('linux', 'etc/os-release'), null);
});

t.test('a recorded output is cut at maxOutputBytes as runCommand cuts it', async (t) => {
  const r = replayResult(Buffer.from('abcdef'), Buffer.from('xy'), 3, 4);
  t.same(r, {
    stdout: 'abcd',
    stderr: 'xy',
    exitCode: 3,
    signal: null,
    timedOut: false,
    truncated: true,
    durationMs: 0,
  });
  t.equal(replayResult(Buffer.from('ab'), Buffer.from('xyz'), 0, 2).truncated, true, 'stderr too');
  t.equal(replayResult(Buffer.from('ab'), Buffer.alloc(0), 0, 2).truncated, false);
});

// ---------------------------------------------------------------------------------------
// system.json

t.test('system.json: a recording of readSystemInfo() is accepted as it is', async (t) => {
  const raw = recordedSystem();
  t.same(parseSystemFile(JSON.stringify(raw), parsedHost), raw);
  const unknownTime = recordedSystem({ time: { current: null, uptime: null, timezoneName: '' } });
  t.same(parseSystemFile(JSON.stringify(unknownTime), parsedHost).time.uptime, null);
});

t.test('system.json: each mistake is refused with what is wrong', async (t) => {
  const bad = (over: Record<string, unknown>): string =>
    JSON.stringify({ ...recordedSystem(), ...over });
  const without = (key: string): string => {
    const raw = recordedSystem() as unknown as Record<string, unknown>;
    delete raw[key];
    return JSON.stringify(raw);
  };
  const cases: [string, RegExp][] = [
    ['nope', /^system\.json is not valid JSON/],
    ['null', /^system\.json must hold a JSON object$/],
    [bad({ extra: 1 }), /unknown field 'extra'/],
    [without('mem'), /^system\.json: mem is missing$/],
    [
      bad({ platform: 'darwin' }),
      /platform and hostname \("darwin", "rec-host"\) must be host\.json's \("linux", "rec-host"\)/,
    ],
    [bad({ hostname: 'other' }), /must be host\.json's/],
    [bad({ arch: 64 }), /arch must be a string/],
    [bad({ cpu: 'Xeon' }), /cpu must be an object or null/],
    [bad({ cpu: [] }), /cpu must be an object or null/],
    [bad({ fsSize: {} }), /fsSize must be an array of objects or null/],
    [bad({ diskLayout: [null] }), /diskLayout must be an array of objects or null/],
    [bad({ osNetworkInterfaces: null }), /osNetworkInterfaces must map interface names/],
    [bad({ osNetworkInterfaces: { eth0: [1] } }), /osNetworkInterfaces must map/],
    [bad({ time: null }), /time must be \{current/],
    [bad({ time: { current: 'now', uptime: 1, timezoneName: '' } }), /time must be/],
    [bad({ time: { current: 1, uptime: '1', timezoneName: '' } }), /time must be/],
    [bad({ time: { current: 1, uptime: 1 } }), /time must be/],
    [bad({ osCpuCount: '2' }), /osCpuCount and osTotalMemBytes must be numbers/],
    [bad({ osTotalMemBytes: null }), /osCpuCount and osTotalMemBytes must be numbers/],
  ];
  for (const [text, message] of cases)
    t.throws(() => parseSystemFile(text, parsedHost), { message }, text.slice(0, 80));
});

// ---------------------------------------------------------------------------------------
// Loading a directory

t.test('a directory that cannot be used fails with one usage error naming it', async (t) => {
  const base = replayDir(t, { 'a-file': '' });
  const cases: [string, RegExp][] = [
    [path.join(base, 'missing'), /^replay directory '.*missing': cannot open it: ENOENT$/],
    [path.join(base, 'a-file'), /^replay directory '.*a-file': not a directory$/],
    [replayDir(t, {}), /: host\.json is missing$/],
    [replayDir(t, { 'host.json': '{' }), /: host\.json is not valid JSON: /],
    [replayDir(t, { 'host.json': { 'x.json': '' } }), /: cannot read host\.json: EISDIR$/],
    [
      replayDir(t, { 'host.json': hostJson(), 'commands.json': '{}' }),
      /: commands\.json must hold a JSON array$/,
    ],
    [
      replayDir(t, {
        'host.json': hostJson(),
        'commands.json': JSON.stringify([{ file: 'x', stdout: 'out/missing.txt' }]),
      }),
      /: commands\.json\[0\]\.stdout: cannot read 'out\/missing\.txt': ENOENT$/,
    ],
    [
      replayDir(t, {
        'host.json': hostJson(),
        'commands.json': JSON.stringify([{ file: 'x', stdout: 'o', stderr: '../host.json' }]),
        o: '',
      }),
      /: commands\.json\[0\]\.stderr: '\.\.\/host\.json' must be a path inside the replay directory$/,
    ],
    [
      replayDir(t, {
        'host.json': hostJson(),
        'commands.json': JSON.stringify([{ file: 'x', stdout: '/etc/hostname' }]),
      }),
      /'\/etc\/hostname' must be a path inside the replay directory$/,
    ],
    [
      replayDir(t, {
        'host.json': hostJson(),
        'system.json': JSON.stringify(recordedSystem({ platform: 'win32' })),
      }),
      /: system\.json: platform and hostname .* must be host\.json's/,
    ],
  ];
  for (const [dir, message] of cases) {
    const err = await replayHost(dir).then(
      () => null,
      (e: unknown) => e,
    );
    t.type(err, ReplayDirError, path.basename(dir));
    t.type(err, UsageError, 'a usage error: exit code 2');
    t.match((err as Error).message, message);
    t.notMatch((err as Error).message, /\n/, 'one line');
  }
});

t.test(
  'commands: the recorded output, exit code and stderr; an unrecorded one is missing',
  async (t) => {
    const dir = replayDir(t, {
      'host.json': hostJson(),
      'commands.json': JSON.stringify([
        { file: '/usr/bin/apt', args: ['list', '--upgradable'], stdout: 'out/apt.txt' },
        { file: 'needs-restarting', stdout: 'out/nr.txt', stderr: 'out/nr.err', exitCode: 1 },
      ]),
      out: {
        'apt.txt': 'Listing...\nbash/stable 5.2\n',
        'nr.txt': 'Reboot is required\n',
        'nr.err': 'warning\n',
      },
    });
    const host = await replayHost(dir);
    t.ok(isReplayHost(host));
    t.notOk(isReplayHost(liveHost));
    t.equal(host.replayDir, path.resolve(dir));
    const apt = await host.run('apt', ['list', '--upgradable'], LIMITS);
    t.equal(apt.stdout, 'Listing...\nbash/stable 5.2\n');
    t.equal(apt.exitCode, 0);
    t.equal(apt.stderr, '');
    const nr = await host.run('/usr/bin/needs-restarting', ['-r'], LIMITS);
    t.same([nr.stdout, nr.stderr, nr.exitCode], ['Reboot is required\n', 'warning\n', 1]);
    t.equal(
      (await host.run('apt', ['list', '--upgradable'], { ...LIMITS, maxOutputBytes: 7 })).stdout,
      'Listing',
    );
    const missing = await host.run('dnf', ['check-update'], LIMITS).catch((e: unknown) => e);
    t.type(missing, CommandStartError);
    t.equal((missing as CommandStartError).code, 'ENOENT');
    t.equal(
      (missing as Error).message,
      "command 'dnf check-update' failed: executable not found (ENOENT)",
      'exactly what a tool absent from the machine gives',
    );
    const otherArgs = await host.run('apt', ['upgrade'], LIMITS).catch((e: unknown) => e);
    t.equal((otherArgs as CommandStartError).code, 'ENOENT', 'recorded, but not with these args');
  },
);

t.test('without commands.json every command is missing', async (t) => {
  const host = await replayHost(replayDir(t, { 'host.json': hostJson() }));
  await t.rejects(host.run('ls', [], LIMITS), { code: 'ENOENT' });
});

t.test('files: a Linux machine is case-sensitive; missing files throw ENOENT', async (t) => {
  const dir = replayDir(t, {
    'host.json': hostJson(),
    files: { etc: { 'os-release': 'ID=debian\n', apt: { 'sources.list': 'deb x\n' } } },
  });
  const host = await replayHost(dir);
  t.equal(await host.readFile('/etc/os-release'), 'ID=debian\n');
  t.equal(await host.readFile('/etc/../etc/apt/sources.list'), 'deb x\n');
  await t.rejects(host.readFile('/ETC/os-release'), {
    code: 'ENOENT',
    message:
      /^ENOENT: no such file or directory, open '\/ETC\/os-release' \(not recorded in replay /,
  });
  await t.rejects(host.readFile('etc/os-release'), { code: 'ENOENT' }, 'relative');
  await t.rejects(host.readFile('/etc/apt'), { code: 'ENOENT' }, 'a directory is no file');
  t.equal(await host.exists('/etc/os-release'), true);
  t.equal(await host.exists('/etc/apt'), true, 'directories exist');
  t.equal(await host.exists('/'), true);
  t.equal(await host.exists('/var/run/reboot-required'), false);
  t.equal(await host.exists('/ETC/os-release'), false);
  t.equal(await host.exists('etc'), false);
});

t.test('files: Windows paths map to files/<drive>/..., ignoring case', async (t) => {
  const dir = replayDir(t, {
    'host.json': hostJson({ platform: 'win32' }),
    files: { C: { ProgramData: { vcio: { 'x.json': '{"a":1}' } } } },
  });
  const host = await replayHost(dir);
  t.equal(await host.readFile('C:\\ProgramData\\vcio\\x.json'), '{"a":1}');
  t.equal(await host.readFile('c:/PROGRAMDATA/Vcio/X.JSON'), '{"a":1}');
  t.equal(await host.exists('C:\\programdata'), true);
  t.equal(await host.exists('C:\\'), true);
  t.equal(await host.exists('D:\\ProgramData'), false);
  t.equal(await host.exists('\\\\server\\share'), false);
  await t.rejects(host.readFile('C:\\Windows\\win.ini'), { code: 'ENOENT' });
});

t.test('files: macOS ignores case too; no files/ means no file exists', async (t) => {
  const mac = await replayHost(
    replayDir(t, {
      'host.json': hostJson({ platform: 'darwin' }),
      files: { Library: { Preferences: { 'com.apple.x.plist': 'p' } } },
    }),
  );
  t.equal(await mac.readFile('/library/preferences/COM.APPLE.X.PLIST'), 'p');
  const bare = await replayHost(replayDir(t, { 'host.json': hostJson() }));
  t.equal(await bare.exists('/'), false);
  await t.rejects(bare.readFile('/etc/machine-id'), { code: 'ENOENT' });
});

t.test('the clock is fixed when host.json says now, live otherwise', async (t) => {
  const fixed = await replayHost(
    replayDir(t, { 'host.json': hostJson({ now: '2026-01-15T09:00:00Z' }) }),
  );
  const first = fixed.now();
  first.setUTCFullYear(2000);
  t.equal(fixed.now().toISOString(), '2026-01-15T09:00:00.000Z', 'a fresh Date each call');
  const live = await replayHost(replayDir(t, { 'host.json': hostJson() }));
  t.ok(Math.abs(live.now().getTime() - Date.now()) < 5000);
});

t.test('the system collector reads system.json, never this machine', async (t) => {
  const raw = recordedSystem({ hostname: HOST.hostname });
  const host = await replayHost(
    replayDir(t, { 'host.json': hostJson(), 'system.json': JSON.stringify(raw) }),
  );
  const section = await createSystemCollector().collect(ctx(host));
  t.equal(section.hostname, 'rec-host');
  t.equal(section.os.kernel, '6.18.44-fc-v657', 'the recorded kernel');
  t.equal(section.memory.totalBytes, 25276510208);
  const copy = await host.systemInfo();
  copy.hostname = 'changed';
  t.equal((await host.systemInfo()).hostname, 'rec-host', 'each call gets its own copy');

  const none = await replayHost(replayDir(t, { 'host.json': hostJson() }));
  await t.rejects(createSystemCollector().collect(ctx(none)), {
    message: /^not recorded: no system\.json in replay directory /,
  });
});

// ---------------------------------------------------------------------------------------
// The replay directories in fixtures/replay/

t.test('windows-10-enterprise: system and patches from the recordings', async (t) => {
  const host = await replayHost(WINDOWS);
  t.equal(host.platform, 'win32');
  t.equal(host.hostname, 'DESKTOP-WIN01');
  const system = await createSystemCollector().collect(ctx(host));
  t.same(contractErrors(SystemSection, system), []);
  t.match(system, {
    hostname: 'DESKTOP-WIN01',
    timezone: 'America/Los_Angeles',
    uptimeSeconds: null,
    bootedAt: null,
    os: {
      platform: 'windows',
      distro: 'Microsoft Windows 10 Enterprise',
      release: '10.0.19042',
      build: '19042',
      arch: 'x64',
    },
    hardware: {
      manufacturer: 'VMware, Inc.',
      model: 'VMware7,1',
      serial: null,
      virtual: true,
      bios: { version: 'VMW71.00V.11111111.B64.2008100111', releaseDate: '2020-08-10' },
    },
    cpu: { logicalCores: 1, physicalCores: null, speedGhz: 2.4 },
    memory: { totalBytes: 2146435072 },
    disks: [],
    disksKnown: false,
    filesystems: [],
    network: [
      {
        name: 'Ethernet0',
        mac: null,
        ipv4: ['192.168.133.3'],
        ipv6: ['fe80::192:eb64:1fcf:86eb'],
        up: null,
      },
    ],
  });
  const patches = await createPatchesCollector().collect(ctx(host));
  t.same(contractErrors(PatchesSection, patches), []);
  const source = patches.sources[0]!;
  t.match(source, { manager: 'windows-update', ok: true, pendingCount: 1 });
  t.equal(source.pending[0]!.kb, 'KB2267602');
  t.equal(source.lastInstallAt, '2019-09-06T22:00:00.000Z');
  t.equal(patches.rebootRequired, true);
});

t.test('windows-10-enterprise: each PowerShell recording answers its own script', async (t) => {
  const host = await replayHost(WINDOWS);
  const ps = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
  const stdout = async (script: string): Promise<string> =>
    (await host.run(ps, powershellArgs(script), LIMITS)).stdout;
  t.match(await stdout(WINDOWS_UPDATE_SCRIPT), /"KBArticleIDs"/);
  t.match(await stdout(GET_HOTFIX_SCRIPT), /HotFixID\s+InstalledBy/);
  t.match(await stdout(UNINSTALL_SCRIPT), /^\{"Is64BitOperatingSystem":true,"Views":/);
  t.match(await stdout(WINDOWS_SECURITY_SCRIPT), /^\{"Firewall":\[/);

  // The first matching entry answers: each PowerShell entry's marker must be in its own
  // script and in no other, or one script would get another's recording.
  const scripts: Record<string, string> = {
    WINDOWS_UPDATE_SCRIPT,
    GET_HOTFIX_SCRIPT,
    UNINSTALL_SCRIPT,
    WINDOWS_SECURITY_SCRIPT,
  };
  const entries = parseCommandsFile(readFileSync(`${WINDOWS}/commands.json`, 'utf8')).filter(
    (c) => c.file === 'powershell.exe',
  );
  t.equal(entries.length, Object.keys(scripts).length, 'one entry per script');
  const answered = entries.map((entry) => {
    t.ok(entry.argsInclude, `${entry.stdout}: matched by argsInclude`);
    const matching = Object.entries(scripts)
      .filter(([, script]) => script.includes(entry.argsInclude!))
      .map(([name]) => name);
    t.equal(matching.length, 1, `'${entry.argsInclude}' is in exactly one script: ${matching}`);
    return matching[0];
  });
  t.same([...answered].sort(), Object.keys(scripts).sort(), 'every script has its entry');
});

t.test('windows-10-enterprise: software and security from the recordings', async (t) => {
  const host = await replayHost(WINDOWS);
  const software = await createSoftwareCollector().collect(ctx(host));
  t.same(contractErrors(SoftwareSection, software), []);
  t.same(
    software.sources.map((s) => [s.source, s.ok, s.count]),
    [
      ['registry-64', true, 3],
      ['registry-32', true, 11],
      ['msi', true, 2],
    ],
  );
  t.equal(software.count, 16);
  const item = (name: string) => software.items!.find((i) => i.name === name);
  t.match(item('Google Chrome'), {
    version: '91.0.4472.77',
    publisher: 'Google LLC',
    installedAt: '2021-05-26T00:00:00.000Z',
    source: 'msi',
  });
  t.match(item('Microsoft Edge'), { version: '90.0.818.66', source: 'registry-32' });
  t.match(item('Docker Desktop'), { version: '4.1.1', source: 'registry-64' });
  t.equal(item('Connection Manager'), undefined, 'SystemComponent entries are hidden');

  const security = await createSecurityCollector().collect(ctx(host));
  t.same(contractErrors(SecuritySection, security), []);
  t.match(security.firewall, { enabled: false, reason: null });
  t.same(
    security.firewall.products.map((p) => [p.profile, p.enabled, p.defaultInbound]),
    [
      ['domain', false, 'block'],
      ['private', false, 'block'],
      ['public', false, 'block'],
    ],
  );
  t.same(security.encryption, {
    volumes: [
      {
        mount: 'C:',
        device: null,
        system: true,
        encrypted: true,
        method: 'XTS-AES 128',
        protectionOn: true,
        percentEncrypted: 100,
      },
      {
        mount: 'D:',
        device: null,
        system: false,
        encrypted: false,
        method: null,
        protectionOn: false,
        percentEncrypted: 0,
      },
    ],
    reason: null,
  });
  t.match(security.antimalware, {
    products: [
      {
        name: 'Microsoft Defender Antivirus',
        enabled: true,
        realTimeProtection: true,
        signatureVersion: '1.305.2574.0',
        signaturesUpdatedAt: '2019-11-21T18:54:43.000Z',
      },
    ],
    reason: null,
  });
  t.match(security.automaticUpdates, {
    enabled: true,
    mechanism: 'windows-update',
    reason: null,
  });
  t.same(
    security.listening.services.filter((s) => s.risk !== null).map((s) => [s.port, s.risk]),
    [
      [445, 'smb'],
      [139, 'netbios'],
      [3389, 'rdp'],
      [137, 'netbios'],
    ],
  );
  // OpenSSH Server is installed; no sshd_config is recorded, so sshd's defaults apply.
  t.same(security.ssh, {
    present: true,
    permitRootLogin: null,
    passwordAuthentication: true,
    reason: 'PermitRootLogin does not apply on Windows (no root account)',
  });
  t.same(security.administrators, {
    groups: ['Administrators'],
    members: [
      'WIN10\\Administrator',
      'hacklab\\Domain Admins',
      'hacklab\\m3g9tr0n',
      'WIN10\\vs2022',
    ],
    reason: null,
  });
  t.same(security.guest, { enabled: false, reason: null });
  t.same(security.secureBoot, { enabled: true, reason: null });
  t.same(security.timeSync, {
    synchronized: true,
    service: 'w32time',
    source: 'time.windows.com',
    offsetSeconds: 0.0038147,
    reason: null,
  });
});

t.test('macos-26-tahoe: system and patches from the recordings', async (t) => {
  const host = await replayHost(MACOS);
  const system = await createSystemCollector().collect(ctx(host));
  t.same(contractErrors(SystemSection, system), []);
  t.match(system, {
    hostname: 'mbp',
    timezone: null,
    os: { platform: 'darwin', distro: 'macOS', release: '26.5.1', build: '25F80', kernel: null },
    hardware: {
      manufacturer: 'Apple Inc.',
      model: 'Mac14,7',
      serial: 'D5XQV1FMFJ',
      virtual: false,
    },
    cpu: { manufacturer: 'Apple', model: 'M2', logicalCores: 8, physicalCores: 8, speedGhz: null },
    memory: { totalBytes: 16 * 1024 ** 3 },
    network: [],
  });
  const patches = await createPatchesCollector().collect(ctx(host));
  t.same(contractErrors(PatchesSection, patches), []);
  t.match(patches.sources[0], { manager: 'softwareupdate', ok: true, pendingCount: 1 });
  t.match(patches.sources[0]!.pending[0], { name: 'macOS Tahoe 26.6', availableVersion: '26.6' });
  t.equal(patches.rebootRequired, true);
});

t.test('macos-26-tahoe: software and security from the recordings', async (t) => {
  const host = await replayHost(MACOS);
  const software = await createSoftwareCollector().collect(ctx(host));
  t.same(contractErrors(SoftwareSection, software), []);
  t.same(
    software.sources.map((s) => [s.source, s.ok, s.count]),
    [
      ['macos-app', true, 2],
      ['pkgutil', true, 7],
    ],
    'no Homebrew source: no brew is recorded',
  );
  t.same(
    software.items!.filter((i) => i.source === 'macos-app'),
    [
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
    ],
  );
  // No `pkgutil --pkg-info` is recorded: receipts are listed without version or time.
  t.match(
    software.items!.find((i) => i.name === 'com.wazuh.pkg.wazuh-agent'),
    { source: 'pkgutil', version: null, installedAt: null },
  );

  const security = await createSecurityCollector().collect(ctx(host));
  t.same(contractErrors(SecuritySection, security), []);
  t.same(security.firewall, {
    enabled: false,
    products: [
      {
        name: 'macos-application-firewall',
        profile: null,
        enabled: false,
        defaultInbound: 'allow',
        detail: 'State = 0; stealth mode off; block all unknown',
      },
    ],
    reason: null,
  });
  t.same(security.encryption, {
    volumes: [
      {
        mount: '/',
        device: null,
        system: true,
        encrypted: true,
        method: 'FileVault',
        protectionOn: true,
        percentEncrypted: null,
      },
    ],
    reason: null,
  });
  t.same(security.antimalware, {
    products: [
      {
        name: 'XProtect',
        enabled: true,
        realTimeProtection: null,
        signatureVersion: '5287',
        signaturesUpdatedAt: null,
        upToDate: null,
      },
    ],
    reason: 'the install history holds no XProtect update',
  });
  t.match(security.automaticUpdates, {
    enabled: true,
    mechanism: 'softwareupdate',
    installsAutomatically: true,
    reason: null,
  });
  t.same(
    security.listening.services.map((s) => [s.address, s.port, s.process, s.risk]),
    [
      ['::', 5900, 'launchd', 'vnc'],
      ['::', 22, 'launchd', null],
      ['0.0.0.0', 22, 'launchd', null],
    ],
  );
  // Not recorded: lsof -iUDP and id -u.
  t.match(
    security.listening.reason,
    /^\/usr\/sbin\/lsof was not found; whether the agent runs as root is unknown/,
  );
  t.same(security.ssh, {
    present: true,
    permitRootLogin: 'prohibit-password',
    passwordAuthentication: true,
    reason: null,
  });
  t.same(security.administrators, {
    groups: ['admin'],
    members: ['root', 'williamj'],
    reason: null,
  });
  // Not recorded: the GuestEnabled preference, sysctl hw.optional.arm64, systemsetup.
  t.same(security.guest, {
    enabled: null,
    reason: 'GuestEnabled not readable: /usr/bin/defaults was not found',
  });
  t.same(security.secureBoot, {
    enabled: null,
    reason: "the Mac's chip could not be read: /usr/sbin/sysctl was not found",
  });
  t.match(security.timeSync, { synchronized: null, reason: /systemsetup was not found/ });
});

t.test(
  'the recorded outputs are byte-for-byte copies of the fixtures SOURCES.md names',
  async (t) => {
    const copies: [string, string][] = [
      [
        `${WINDOWS}/outputs/windows-update-json/synthetic-single-update-ps51.json`,
        'patches/windows-update-json/synthetic-single-update-ps51.json',
      ],
      [`${WINDOWS}/outputs/get-hotfix/1.txt`, 'patches/get-hotfix/1.txt'],
      [
        `${WINDOWS}/outputs/uninstall-json/synthetic-two-views-ps51.json`,
        'software/uninstall-json/synthetic-two-views-ps51.json',
      ],
      [
        `${WINDOWS}/outputs/security-json/synthetic-admin-workstation.json`,
        'security/windows/security-json/synthetic-admin-workstation.json',
      ],
      [
        `${WINDOWS}/outputs/w32tm-status/checkmk-en-synced-verbose.txt`,
        'security/windows/w32tm-status/checkmk-en-synced-verbose.txt',
      ],
      [`${WINDOWS}/outputs/netsh-advfirewall/3.txt`, 'security/windows/netsh-advfirewall/3.txt'],
      [`${WINDOWS}/outputs/manage-bde-status/3.txt`, 'security/windows/manage-bde-status/3.txt'],
      [
        `${WINDOWS}/outputs/net-localgroup-admins/3.txt`,
        'security/windows/net-localgroup-admins/3.txt',
      ],
      [`${MACOS}/outputs/softwareupdate-list/1.txt`, 'patches/softwareupdate-list/1.txt'],
      [`${MACOS}/outputs/system-profiler-apps/1.txt`, 'software/system-profiler-apps/1.txt'],
      [
        `${MACOS}/outputs/pkgutil/pkgs-wazuh-issue-15570.txt`,
        'software/pkgutil/pkgs-wazuh-issue-15570.txt',
      ],
      [`${MACOS}/outputs/socketfilterfw/1.txt`, 'security/macos/socketfilterfw/1.txt'],
      [`${MACOS}/outputs/socketfilterfw/3.txt`, 'security/macos/socketfilterfw/3.txt'],
      [`${MACOS}/outputs/fdesetup-status/3.txt`, 'security/macos/fdesetup-status/3.txt'],
      [
        `${MACOS}/outputs/install-history/lab-mac-reordered.json`,
        'security/macos/install-history/lab-mac-reordered.json',
      ],
      [
        `${MACOS}/outputs/defaults-softwareupdate/sequoia-macbook-trimmed.txt`,
        'security/macos/defaults-softwareupdate/sequoia-macbook-trimmed.txt',
      ],
      [
        `${MACOS}/outputs/lsof/macos-grep-listen-launchd.txt`,
        'security/macos/lsof/macos-grep-listen-launchd.txt',
      ],
      [
        `${MACOS}/outputs/launchctl-print-disabled/tahoe-vm-grep-sshd.txt`,
        'security/macos/launchctl-print-disabled/tahoe-vm-grep-sshd.txt',
      ],
      [
        `${MACOS}/outputs/dscl/sequoia-15.6.1-groupmembership.txt`,
        'security/macos/dscl/sequoia-15.6.1-groupmembership.txt',
      ],
      [
        `${MACOS}/files/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist`,
        'security/macos/xprotect/synthetic-info-plist.xml',
      ],
    ];
    for (const [copy, fixture] of copies)
      t.ok(
        readFileSync(copy).equals(readFileSync(fixturePath(fixture))),
        `${path.basename(copy)} is ${fixture}`,
      );
    // Every recording commands.json names is one of them.
    for (const dir of [WINDOWS, MACOS])
      for (const c of parseCommandsFile(readFileSync(`${dir}/commands.json`, 'utf8')))
        t.ok(
          copies.some(([copy]) => copy === `${dir}/${c.stdout}`),
          `${c.stdout} is listed`,
        );
  },
);

t.test('system.json values are copied from the recorded sources beside them', async (t) => {
  // Guards against typos: every fact the report shows must appear in the source it was
  // copied from (SOURCES.md gives the derivations of the few that are not verbatim).
  const systeminfo = readFileSync(`${WINDOWS}/system-sources/systeminfo/1.txt`, 'utf8');
  const win = JSON.parse(readFileSync(`${WINDOWS}/system.json`, 'utf8')) as RawSystemInfo;
  for (const value of [
    win.hostname,
    win.osInfo!.distro,
    win.osInfo!.release,
    win.osInfo!.build,
    win.osInfo!.serial,
    win.system!.manufacturer,
    win.system!.model,
    win.bios!.version,
    win.networkInterfaces![0]!.iface,
    win.networkInterfaces![0]!.ifaceName,
    win.networkInterfaces![0]!.ip4,
    win.networkInterfaces![0]!.ip6,
    win.cpu!.brand,
  ])
    t.ok(systeminfo.includes(value), `systeminfo shows ${value}`);
  t.ok(systeminfo.includes('Total Physical Memory:     2,047 MB'));
  t.equal(win.mem!.total, 2047 * 1024 * 1024);

  const profiler = readFileSync(`${MACOS}/system-sources/system-profiler-hardware/5.txt`, 'utf8');
  const swVers = readFileSync(`${MACOS}/system-sources/sw-vers/5.txt`, 'utf8');
  const mac = JSON.parse(readFileSync(`${MACOS}/system.json`, 'utf8')) as RawSystemInfo;
  for (const value of [mac.system!.model, mac.system!.serial, mac.bios!.version, mac.cpu!.brand])
    t.ok(profiler.includes(value), `system_profiler shows ${value}`);
  t.ok(profiler.includes(mac.system!.uuid.toUpperCase()));
  t.ok(profiler.includes('"number_processors" : "proc 8:4:4"'));
  t.ok(profiler.includes('"physical_memory" : "16 GB"'));
  for (const value of [mac.osInfo!.distro, mac.osInfo!.release, mac.osInfo!.build])
    t.ok(swVers.includes(value), `sw_vers shows ${value}`);
  const host = JSON.parse(readFileSync(`${MACOS}/host.json`, 'utf8')) as { machineId: string };
  t.ok(profiler.includes(`"platform_UUID" : "${host.machineId}"`), 'the id is the hardware UUID');
});

// ---------------------------------------------------------------------------------------
// The command line

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  logs: string;
}

async function run(
  t: Pick<TAP, 'teardown'>,
  argv: string[],
  stop = new AbortController().signal,
): Promise<Run> {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'vcio-replay-log-'));
  t.teardown(() => rmSync(logDir, { recursive: true, force: true }));
  const logFile = path.join(logDir, 'log.jsonl');
  const fd = openSync(logFile, 'w');
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: async (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: {},
    logFd: fd,
    stopSignal: () => stop,
  };
  try {
    // The live identity is overridden too: replay must win over it.
    const code = await main(argv, io, {
      readMachineId: async () => 'live-machine-id',
      hostname: () => 'live-host',
    });
    return { code, stdout, stderr, logs: readFileSync(logFile, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

function credentials(t: Pick<TAP, 'teardown'>, collectorUrl: string): string {
  return replayDir(t, {
    [CREDENTIALS_FILE]: JSON.stringify({
      collectorUrl,
      agentId: AGENT_ID,
      secret: 's',
      tenant: 't',
      enrolledAt: '2026-01-01T00:00:00Z',
    }),
  });
}

t.test('collect --replay: the recorded machine, report and all; no performance', async (t) => {
  const r = await run(t, ['collect', '--replay', WINDOWS, '--state-dir', replayDir(t, {})]);
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  t.same(contractErrors(Report, report), []);
  t.same(report.host, {
    machineId: '1b33ddc1-d062-4249-aa7e-b00068a1ac2f',
    hostname: 'DESKTOP-WIN01',
  });
  t.same(Object.keys(report.sections).sort(), ['patches', 'security', 'software', 'system']);
  t.same(report.errors, []);
  t.equal(report.sections.system!.os.platform, 'windows');
  const software = report.sections.software!;
  t.ok(
    software.sources.every((s) => s.ok),
    'every software source read',
  );
  t.match(
    software.items!.find((i) => i.name === 'Google Chrome'),
    { version: '91.0.4472.77', publisher: 'Google LLC', source: 'msi' },
  );
  const security = report.sections.security!;
  t.equal(security.firewall.enabled, false, 'the recorded firewall is off');
  t.match(security.encryption.volumes, [
    { mount: 'C:', encrypted: true, method: 'XTS-AES 128', protectionOn: true },
    { mount: 'D:', encrypted: false, protectionOn: false },
  ]);
  t.match(security.antimalware.products, [
    { name: 'Microsoft Defender Antivirus', realTimeProtection: true },
  ]);
  t.equal(security.timeSync.synchronized, true);
  t.match(
    r.logs,
    /"msg":"replaying the machine recorded in [^"]*windows-10-enterprise; not collected in replay: performance, because it measures live counters /,
  );
  t.match(r.logs, /"notReplayed":\["performance"\]/);
});

t.test('collect --replay --only: a replayable collector, or a usage error', async (t) => {
  const only = await run(t, ['collect', '--replay', MACOS, '--only', 'patches']);
  t.equal(only.code, 0, only.stderr);
  t.same(Object.keys((JSON.parse(only.stdout) as Report).sections), ['patches']);
  const perf = await run(t, ['collect', '--replay', MACOS, '--only', 'system,performance']);
  t.equal(perf.code, ExitCode.usage);
  t.match(
    perf.stderr,
    /^vcio-agent: error: collector 'performance' is not run in replay: it measures live counters/,
  );
  t.equal(perf.stdout, '');
  t.same(
    selectCollectors(undefined, 'win32', await replayHost(WINDOWS)).map((c) => c.name),
    selectCollectors(undefined, 'win32')
      .map((c) => c.name)
      .filter((n) => n !== 'performance'),
  );
});

t.test('a bad --replay directory: exit 2, one line, no stack trace', async (t) => {
  for (const command of ['collect', 'once', 'run']) {
    const r = await run(t, [command, '--replay', '/nonexistent/replay', '--log-level', 'info']);
    t.equal(r.code, ExitCode.usage, command);
    t.equal(
      r.stderr,
      "vcio-agent: error: replay directory '/nonexistent/replay': cannot open it: ENOENT\n",
    );
  }
  const badJson = replayDir(t, { 'host.json': '{"platform": "win32",}' });
  const r = await run(t, ['collect', '--replay', badJson]);
  t.equal(r.code, ExitCode.usage);
  t.match(
    r.stderr,
    /^vcio-agent: error: replay directory '.*': host\.json is not valid JSON: [^\n]*\n$/,
  );
});

t.test('once --replay sends the recorded machine to the collector', async (t) => {
  const collector = await startFakeCollector([
    { status: 202, body: { reportId: 'x', duplicate: false, ignoredSections: [] } },
  ]);
  t.teardown(collector.close);
  const r = await run(t, ['once', '--replay', MACOS, '--state-dir', credentials(t, collector.url)]);
  t.equal(r.code, 0, r.stderr);
  t.equal(collector.received.length, 1);
  const sent = collector.received[0]!.json as Report;
  t.same(sent.host, { machineId: 'D26E7BC6-425E-51C2-87C5-0B902782B60D', hostname: 'mbp' });
  t.equal(sent.agent.id, AGENT_ID);
  t.equal(sent.sections.system!.os.platform, 'darwin');
  t.equal(sent.sections.patches!.sources[0]!.pending[0]!.name, 'macOS Tahoe 26.6');
  t.match(
    sent.sections.software!.items!.find((i) => i.name === 'Python'),
    { version: '3.14.7', source: 'macos-app' },
  );
  t.equal(sent.sections.security!.firewall.enabled, false);
  t.match(sent.sections.security!.encryption.volumes, [
    { method: 'FileVault', encrypted: true, protectionOn: true },
  ]);
  t.equal(sent.sections.performance, undefined);
});

t.test('run --replay reports the recorded machine until stopped', async (t) => {
  const stop = new AbortController();
  // The first tick sends two reports: the fast lane (system) and the slow one.
  let received = 0;
  const collector = await startFakeCollector(() => {
    if (++received === 2) stop.abort();
    return { status: 202, body: {} };
  });
  t.teardown(collector.close);
  const dir = credentials(t, collector.url);
  const r = await run(
    t,
    ['run', '--replay', WINDOWS, '--state-dir', dir, '--max-attempts', '1'],
    stop.signal,
  );
  t.equal(r.code, 0, r.stderr);
  const reports = collector.received.map((req) => req.json as Report);
  t.equal(reports.length, 2);
  t.same(
    reports.map((rep) => rep.host.hostname),
    ['DESKTOP-WIN01', 'DESKTOP-WIN01'],
  );
  const sent = { ...reports[0]!, sections: { ...reports[0]!.sections, ...reports[1]!.sections } };
  t.same(
    Object.keys(sent.sections).sort(),
    ['outbox', 'patches', 'security', 'software', 'system'],
    "every collector but performance replayed, and the service's outbox",
  );
  t.match(
    sent.sections.software!.items!.find((i) => i.name === 'Microsoft Edge'),
    { version: '90.0.818.66', publisher: 'Microsoft Corporation' },
  );
  t.equal(sent.sections.security!.firewall.enabled, false);
  t.match(sent.sections.security!.encryption.volumes[0], { mount: 'C:', encrypted: true });
  t.equal(sent.sections.performance, undefined);
  t.match(r.logs, /"collectors":\["system","patches","software","security"\]/);
});

t.test('--help documents --replay as a testing/demo aid', async (t) => {
  for (const command of ['collect', 'once', 'run']) {
    const r = await run(t, [command, '--help']);
    t.equal(r.code, 0);
    t.match(
      r.stdout.replace(/\s+/g, ' '),
      '--replay <dir> testing/demo aid: collect from the machine recorded in <dir>',
    );
  }
});
