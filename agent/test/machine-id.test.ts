import t from 'tap';
import {
  IOREG_ARGS,
  IOREG_PATH,
  parseIoregPlatformUuid,
} from '../src/collectors/machine-id/darwin.js';
import { readMachineId, type MachineIdDeps } from '../src/collectors/machine-id/index.js';
import { parseLinuxMachineId } from '../src/collectors/machine-id/linux.js';
import {
  MACHINE_GUID_ARGS,
  parseMachineGuid,
  parseRegQueryValue,
  regExePath,
} from '../src/collectors/machine-id/windows.js';
import { MachineIdError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { CommandStartError, type CommandResult } from '../src/exec.js';
import { readFixture } from './helpers/fixtures.js';

const ok = (stdout: string, exitCode = 0, stderr = ''): CommandResult => ({
  stdout,
  stderr,
  exitCode,
  signal: null,
  timedOut: false,
  truncated: false,
  durationMs: 5,
});

t.test('macOS: IOPlatformUUID from recorded ioreg output', async (t) => {
  t.equal(
    parseIoregPlatformUuid(readFixture('machine-id/ioreg-macbookpro12-1.txt')),
    'A3344D1DD-1234-22A1-B123-11AB1C11D111',
  );
  t.equal(
    parseIoregPlatformUuid(readFixture('machine-id/ioreg-macbookpro17-1-apple-silicon.txt')),
    '1AB2345C-03E4-57D4-A375-1234D48DE123',
  );
  t.equal(
    parseIoregPlatformUuid('"IOPlatformSerialNumber" = "C02XYZ"'),
    null,
    'a serial number is not the UUID',
  );
  t.equal(parseIoregPlatformUuid('"IOPlatformUUID" = ""'), null);
  t.equal(parseIoregPlatformUuid(''), null);
});

t.test('Windows: MachineGuid from reg.exe output', async (t) => {
  const sample = readFixture('machine-id/reg-query-machineguid-otel-java.txt');
  t.equal(parseMachineGuid(sample), 'test');
  t.equal(
    parseMachineGuid(`\r\n${sample.replace(/\n/g, '\r\n')}\r\n`),
    'test',
    'with the CRLF line ends reg.exe writes',
  );
  t.equal(
    parseMachineGuid(readFixture('machine-id/reg-query-not-found-node-machine-id-issue-6.txt')),
    null,
  );
  t.equal(parseMachineGuid(''), null);
});

t.test('reg query values: data with spaces, tab-separated output of old reg.exe', async (t) => {
  const out =
    '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\r\n    InstallDir    REG_SZ    C:\\Program Files (x86)\\Vendor\\\r\n\r\n';
  t.equal(parseRegQueryValue(out, 'InstallDir'), 'C:\\Program Files (x86)\\Vendor\\');
  t.equal(
    parseRegQueryValue(out, 'installdir'),
    'C:\\Program Files (x86)\\Vendor\\',
    'value names are case-insensitive',
  );
  t.equal(parseRegQueryValue('\tPath\tREG_SZ\tC:\\BatUtils\n', 'Path'), 'C:\\BatUtils');
  t.equal(parseRegQueryValue('    Empty    REG_SZ    \n', 'Empty'), null);
  t.equal(parseRegQueryValue(out, 'Other'), null);
});

t.test('Linux: machine-id file contents', async (t) => {
  t.equal(
    parseLinuxMachineId('3d1219c7c4c5404aaa1f6d2a48adfda4\n'),
    '3d1219c7c4c5404aaa1f6d2a48adfda4',
  );
  t.equal(
    parseLinuxMachineId('3D1219C7C4C5404AAA1F6D2A48ADFDA4'),
    '3d1219c7c4c5404aaa1f6d2a48adfda4',
  );
  t.equal(parseLinuxMachineId(''), null, 'emptied for an image template');
  t.equal(parseLinuxMachineId('uninitialized\n'), null, 'systemd first boot');
  t.equal(parseLinuxMachineId('0'.repeat(32)), null);
  t.equal(parseLinuxMachineId('not-a-machine-id'), null);
});

function deps(
  overrides: Partial<MachineIdDeps>,
): MachineIdDeps & { calls: Array<[string, readonly string[]]> } {
  const calls: Array<[string, readonly string[]]> = [];
  return {
    platform: 'linux',
    env: {},
    readFile: async (path) => {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    run: async (file, args) => {
      calls.push([file, args]);
      return ok('');
    },
    calls,
    ...overrides,
  };
}

t.test('Linux: /etc/machine-id, falling back to the D-Bus copy', async (t) => {
  const files: Record<string, string> = {
    '/var/lib/dbus/machine-id': 'b08dfa6083e7567a1921a715000001fb\n',
  };
  const d = deps({
    readFile: async (p) =>
      files[p] ?? Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' })),
  });
  t.equal(await readMachineId(d), 'b08dfa6083e7567a1921a715000001fb');
  files['/etc/machine-id'] = '3d1219c7c4c5404aaa1f6d2a48adfda4\n';
  t.equal(await readMachineId(d), '3d1219c7c4c5404aaa1f6d2a48adfda4');
  files['/etc/machine-id'] = 'uninitialized\n';
  t.equal(
    await readMachineId(d),
    'b08dfa6083e7567a1921a715000001fb',
    'an uninitialized file is skipped',
  );
});

t.test('Linux: no id anywhere is a clear error with exit code 7', async (t) => {
  const err = (await readMachineId(deps({ platform: 'freebsd' })).catch(
    (e: unknown) => e,
  )) as MachineIdError;
  t.type(err, MachineIdError);
  t.equal(err.exitCode, ExitCode.machineId);
  t.match(
    err.message,
    /^cannot read this machine's id: \/etc\/machine-id: ENOENT; \/var\/lib\/dbus\/machine-id: ENOENT/,
  );
});

t.test('Windows: runs reg.exe from System32 with /reg:64', async (t) => {
  const sample = readFixture('machine-id/reg-query-machineguid-otel-java.txt');
  const d = deps({
    platform: 'win32',
    env: { SystemRoot: 'D:\\Windows' },
    run: async (file, args) => (d.calls.push([file, args]), ok(sample)),
  });
  t.equal(await readMachineId(d), 'test');
  t.same(d.calls, [['D:\\Windows\\System32\\reg.exe', MACHINE_GUID_ARGS]]);
  t.ok(MACHINE_GUID_ARGS.includes('/reg:64'));
  t.equal(regExePath({}), 'C:\\Windows\\System32\\reg.exe');
  t.equal(regExePath({ windir: 'E:\\Win' }), 'E:\\Win\\System32\\reg.exe');
});

t.test('Windows: reg.exe failing names the command and its message', async (t) => {
  const notFound = readFixture('machine-id/reg-query-not-found-node-machine-id-issue-6.txt');
  const d = deps({ platform: 'win32', run: async () => ok('', 1, notFound) });
  const err = (await readMachineId(d).catch((e: unknown) => e)) as MachineIdError;
  t.type(err, MachineIdError);
  t.equal(
    err.message,
    "cannot read this machine's id: command 'C:\\Windows\\System32\\reg.exe query HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid /reg:64' failed: exit code 1: ERROR: The system was unable to find the specified registry key or value.",
  );
});

t.test('macOS: runs ioreg; a missing binary or empty output is a clear error', async (t) => {
  const sample = readFixture('machine-id/ioreg-macbookpro17-1-apple-silicon.txt');
  const d = deps({
    platform: 'darwin',
    run: async (file, args) => (d.calls.push([file, args]), ok(sample)),
  });
  t.equal(await readMachineId(d), '1AB2345C-03E4-57D4-A375-1234D48DE123');
  t.same(d.calls, [[IOREG_PATH, IOREG_ARGS]]);

  const missing = deps({
    platform: 'darwin',
    run: async () => {
      throw new CommandStartError(
        '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice',
        'ENOENT',
        new Error('spawn ENOENT'),
      );
    },
  });
  const err = (await readMachineId(missing).catch((e: unknown) => e)) as Error;
  t.type(err, MachineIdError);
  t.equal(
    err.message,
    "cannot read this machine's id: command '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice' failed: executable not found (ENOENT)",
  );

  const empty = deps({ platform: 'darwin', run: async () => ok('+-o Root\n') });
  await t.rejects(readMachineId(empty), {
    message:
      "cannot read this machine's id: no IOPlatformUUID in the output of '/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice'",
  });
});

t.test('this machine has an id', async (t) => {
  const id = await readMachineId();
  t.match(id, /^\S{1,128}$/);
});
