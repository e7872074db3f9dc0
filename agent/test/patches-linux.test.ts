import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { PatchesSection } from '@vcio/shared';
import {
  collectLinuxPatches,
  combineReboot,
  defaultLinuxPatchDeps,
  parseRpmInstallTimes,
  LINUX_PATCH_PATHS,
  type LinuxPatchDeps,
  type LinuxPatchPaths,
} from '../src/collectors/patches/linux.js';
import { CommandStartError, type CommandResult } from '../src/exec.js';
import { readFixture } from './helpers/fixtures.js';

const fx = (path: string): string => readFixture(`patches/${path}`);

const result = (
  stdout: string,
  exitCode: number | null = 0,
  extra: Partial<CommandResult> = {},
): CommandResult => ({
  stdout,
  stderr: '',
  exitCode,
  signal: null,
  timedOut: false,
  truncated: false,
  durationMs: 5,
  ...extra,
});

type Answer = CommandResult | Error;

/** A machine: which files exist (with their text) and what each command line answers. */
function fakeMachine(
  files: Record<string, string>,
  commands: Record<string, Answer>,
  paths: LinuxPatchPaths = LINUX_PATCH_PATHS,
): LinuxPatchDeps & { ran: string[] } {
  const ran: string[] = [];
  let clock = Date.parse('2026-11-27T10:00:00.000Z');
  return {
    ran,
    paths,
    now: () => {
      const d = new Date(clock);
      clock += 1500;
      return d;
    },
    exists: async (path) => path in files,
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    run: async (file, args, options) => {
      const line = [file, ...args].join(' ');
      ran.push(line);
      t.equal(options.timeoutMs, 300_000, `timeout of ${line}`);
      const answer = commands[line];
      if (answer === undefined) throw new CommandStartError(line, 'ENOENT', new Error('ENOENT'));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const P = LINUX_PATCH_PATHS;
const valid = (
  t: { ok(value: unknown, message: string): unknown },
  section: PatchesSection,
): void => {
  t.ok(Value.Check(PatchesSection, section), 'matches the contract');
};

t.test('apt OK: list, security count, history, no reboot info on plain Debian', async (t) => {
  const deps = fakeMachine(
    { [P.apt]: '', [P.aptHistoryLog]: fx('apt-history-log/recorded-debian12-container.txt') },
    { '/usr/bin/apt list --upgradable': result(fx('apt-list-upgradable/5.txt')) },
  );
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.equal(section.sources.length, 1);
  const apt = section.sources[0];
  t.match(apt, {
    manager: 'apt',
    checkedAt: '2026-11-27T10:00:00.000Z',
    durationSeconds: 1.5,
    ok: true,
    error: null,
    pendingCount: 3,
    securityCount: 2,
    lastInstallAt: new Date(2026, 9, 16, 23, 4, 1).toISOString(),
  });
  t.same(
    apt?.pending.map((p) => p.name),
    ['ca-certificates', 'curl', 'element-desktop'],
  );
  t.equal(section.rebootRequired, null, 'nothing on this machine can tell');
  t.same(section.rebootReasons, []);
  t.same(deps.ran, ['/usr/bin/apt list --upgradable']);
});

t.test('apt lock error: ok false, error, no counts (never 0 pending)', async (t) => {
  const deps = fakeMachine(
    { [P.apt]: '', [P.notifyRebootRequired]: '' },
    {
      '/usr/bin/apt list --upgradable': result('', 100, {
        stderr: fx('apt-get-simulate-upgrade/7.txt'),
      }),
    },
  );
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.same(section.sources[0], {
    manager: 'apt',
    checkedAt: '2026-11-27T10:00:00.000Z',
    durationSeconds: 1.5,
    ok: false,
    error:
      "command '/usr/bin/apt list --upgradable' failed: apt is locked by another package-manager run (try again later): E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4588 (unattended-upgr)",
    pending: [],
    pendingCount: null,
    securityCount: null,
    lastInstallAt: null,
  });
  t.equal(section.rebootRequired, false, 'update-notifier installed and no reboot-required');
});

t.test('apt: other failures', async (t) => {
  const timedOut = await collectLinuxPatches(
    undefined,
    fakeMachine(
      { [P.apt]: '' },
      {
        '/usr/bin/apt list --upgradable': result('Listing...', null, {
          timedOut: true,
          signal: 'SIGTERM',
          durationMs: 300_000,
        }),
      },
    ),
  );
  t.match(timedOut.sources[0], {
    ok: false,
    error: "command '/usr/bin/apt list --upgradable' failed: timed out after 300000 ms",
    pendingCount: null,
  });
  const missing = await collectLinuxPatches(undefined, fakeMachine({ [P.apt]: '' }, {}));
  t.match(missing.sources[0], {
    ok: false,
    error: "command '/usr/bin/apt list --upgradable' failed: executable not found (ENOENT)",
  });
  const truncated = await collectLinuxPatches(
    undefined,
    fakeMachine(
      { [P.apt]: '' },
      { '/usr/bin/apt list --upgradable': result('x', 0, { truncated: true }) },
    ),
  );
  t.match(truncated.sources[0], { ok: false, error: /output cut at/ });
});

t.test('apt: reboot required from the files in a temp dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vcio-patches-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const paths: LinuxPatchPaths = {
    ...LINUX_PATCH_PATHS,
    apt: join(dir, 'apt'),
    rebootRequired: join(dir, 'reboot-required'),
    rebootRequiredPkgs: join(dir, 'reboot-required.pkgs'),
    aptHistoryLog: join(dir, 'history.log'),
    needrestart: join(dir, 'needrestart'),
    dnf: join(dir, 'dnf'),
    yum: join(dir, 'yum'),
    zypper: join(dir, 'zypper'),
  };
  await writeFile(paths.apt, '');
  await writeFile(paths.rebootRequired, '*** System restart required ***\n');
  await writeFile(
    paths.rebootRequiredPkgs,
    fx('needs-restarting/synthetic-reboot-required-pkgs.txt'),
  );
  const deps: LinuxPatchDeps = {
    ...defaultLinuxPatchDeps,
    paths,
    run: async () => result(fx('apt-list-upgradable/7.txt')),
  };
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.equal(section.rebootRequired, true);
  t.same(section.rebootReasons, ['linux-image-5.15.0-91-generic', 'linux-base']);
  t.match(section.sources[0], { ok: true, pendingCount: 3, securityCount: 2, lastInstallAt: null });

  await rm(paths.rebootRequiredPkgs);
  const noPkgs = await collectLinuxPatches(undefined, deps);
  t.equal(noPkgs.rebootRequired, true);
  t.same(noPkgs.rebootReasons, []);
});

t.test('apt: needrestart -b when there is no reboot-required file', async (t) => {
  const pending = await collectLinuxPatches(
    undefined,
    fakeMachine(
      { [P.apt]: '', [P.needrestart]: '' },
      {
        '/usr/bin/apt list --upgradable': result(''),
        '/usr/sbin/needrestart -b': result(fx('needs-restarting/1.txt')),
      },
    ),
  );
  t.equal(pending.rebootRequired, true);
  t.same(pending.rebootReasons, ['kernel 5.10.0-19-amd64 -> 5.10.0-20-amd64']);
  t.match(pending.sources[0], { ok: true, pendingCount: 0, securityCount: 0 });
  const failing = await collectLinuxPatches(
    undefined,
    fakeMachine(
      { [P.apt]: '', [P.needrestart]: '' },
      {
        '/usr/bin/apt list --upgradable': result(''),
        '/usr/sbin/needrestart -b': result('', 1),
      },
    ),
  );
  t.equal(failing.rebootRequired, null);
});

t.test('dnf exit 100 with updateinfo merged, needs-restarting exit 1', async (t) => {
  const checkUpdate = [
    'Last metadata expiration check: 0:12:16 ago on Sun 02 Apr 2023 07:33:22 AM UTC.',
    '',
    'kernel.x86_64          5.14.0-162.22.2.el9_1     rhel-9-for-x86_64-baseos-rpms',
    'curl.x86_64            7.76.1-19.el9_1.1         rhel-9-for-x86_64-baseos-rpms',
    'vim-minimal.x86_64     2:8.2.2637-20.el9_1       rhel-9-for-x86_64-baseos-rpms',
  ].join('\n');
  const deps = fakeMachine(
    { [P.dnf]: '', [P.yum]: '', [P.needsRestarting]: '' },
    {
      '/usr/bin/dnf -C check-update': result(checkUpdate, 100),
      '/usr/bin/dnf -C updateinfo list --available': result(fx('dnf-updateinfo-security/5.txt')),
      '/usr/bin/needs-restarting -r': result(fx('needs-restarting/7.txt'), 1),
    },
  );
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.same(
    section.sources.map((s) => s.manager),
    ['dnf'],
    'dnf preferred over yum',
  );
  const dnf = section.sources[0];
  t.match(dnf, { ok: true, error: null, pendingCount: 3, securityCount: 2, lastInstallAt: null });
  t.same(
    dnf?.pending.map((p) => [p.name, p.security, p.severity, p.advisories]),
    [
      [
        'kernel',
        true,
        'important',
        ['RHSA-2023:0334', 'RHSA-2023:0951', 'RHSA-2023:1470', 'RHSA-2022:8267'],
      ],
      ['curl', true, 'moderate', ['RHSA-2022:8299', 'RHSA-2023:0333']],
      ['vim-minimal', false, null, []],
    ],
  );
  t.equal(section.rebootRequired, true);
  t.same(section.rebootReasons, ['glibc', 'kernel', 'systemd']);
});

t.test('dnf: updateinfo and needs-restarting cannot start', async (t) => {
  const deps = fakeMachine(
    { [P.dnf]: '', [P.needsRestarting]: '' },
    { '/usr/bin/dnf -C check-update': result(fx('dnf-check-update/3.txt'), 100) },
  );
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.match(section.sources[0], {
    ok: true,
    error:
      "security classification unknown: command '/usr/bin/dnf -C updateinfo list --available' failed: executable not found (ENOENT)",
    pendingCount: 5,
    securityCount: null,
  });
  t.equal(section.rebootRequired, null);
});

t.test('dnf exit 0: nothing pending, updateinfo not run', async (t) => {
  const deps = fakeMachine(
    { [P.dnf]: '', [P.needsRestarting]: '' },
    {
      '/usr/bin/dnf -C check-update': result('Last metadata expiration check: 0:01:00 ago.', 0),
      '/usr/bin/needs-restarting -r': result('', 0),
    },
  );
  const section = await collectLinuxPatches(undefined, deps);
  t.match(section.sources[0], { ok: true, pendingCount: 0, securityCount: 0 });
  t.equal(section.rebootRequired, false);
  t.same(deps.ran, [
    '/usr/bin/dnf -C check-update',
    '/usr/bin/rpm -qa --queryformat %{INSTALLTIME}\n',
    '/usr/bin/needs-restarting -r',
  ]);
  t.equal(section.sources[0]?.lastInstallAt, null, 'rpm could not say: unknown, not "never"');
});

t.test('dnf: the last install time is the newest in the rpm database', async (t) => {
  // rpm's queryformat output: one epoch-seconds INSTALLTIME per package, in database order
  const installTimes = ['1571256170', '1680420802', '1680420799', ''].join('\n');
  const deps = fakeMachine(
    { [P.dnf]: '' },
    {
      '/usr/bin/dnf -C check-update': result('', 0),
      '/usr/bin/rpm -qa --queryformat %{INSTALLTIME}\n': result(installTimes, 0),
    },
  );
  const section = await collectLinuxPatches(undefined, deps);
  t.equal(section.sources[0]?.lastInstallAt, '2023-04-02T07:33:22.000Z');
});

t.test('parseRpmInstallTimes: empty, junk and (none) lines', async (t) => {
  t.equal(parseRpmInstallTimes(''), null);
  t.equal(parseRpmInstallTimes('(none)\nnot a number\n-5\n'), null);
  t.equal(parseRpmInstallTimes('1571256170\r\n'), '2019-10-16T20:02:50.000Z');
});

t.test('dnf exit 1: ok false, counts null; needs-restarting odd exit', async (t) => {
  const deps = fakeMachine(
    { [P.dnf]: '', [P.needsRestarting]: '' },
    {
      '/usr/bin/dnf -C check-update': result('', 1, {
        stderr: "Error: Cache-only enabled but no cache for 'fedora'",
      }),
      '/usr/bin/needs-restarting -r': result('', 2),
    },
  );
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.match(section.sources[0], {
    manager: 'dnf',
    ok: false,
    error:
      "command '/usr/bin/dnf -C check-update' failed: exit code 1: Error: Cache-only enabled but no cache for 'fedora'",
    pending: [],
    pendingCount: null,
    securityCount: null,
  });
  t.equal(section.rebootRequired, null);
});

t.test('yum: updateinfo fails, the list stands with security unknown', async (t) => {
  const deps = fakeMachine(
    { [P.yum]: '' },
    {
      '/usr/bin/yum -C check-update': result(fx('dnf-check-update/1.txt'), 100),
      '/usr/bin/yum -C updateinfo list': result('', 1, { stderr: 'No such command: updateinfo.' }),
    },
  );
  const section = await collectLinuxPatches(undefined, deps);
  valid(t, section);
  t.match(section.sources[0], {
    manager: 'yum',
    ok: true,
    error:
      "security classification unknown: command '/usr/bin/yum -C updateinfo list' failed: exit code 1: No such command: updateinfo.",
    pendingCount: 15,
    securityCount: null,
  });
  t.ok(section.sources[0]?.pending.every((p) => p.security === null));
  t.equal(section.rebootRequired, null, 'no needs-restarting');
});

t.test('zypper: patches needed (exit 100), lock error, reboot-needed file', async (t) => {
  const ok = await collectLinuxPatches(
    undefined,
    fakeMachine(
      { [P.zypper]: '', [P.zypperRebootNeeded]: '' },
      {
        '/usr/bin/zypper --non-interactive --no-refresh list-patches': result(
          fx('zypper-list-patches/5.txt'),
          100,
        ),
      },
    ),
  );
  valid(t, ok);
  t.match(ok.sources[0], { manager: 'zypper', ok: true, pendingCount: 7, securityCount: 3 });
  t.equal(ok.rebootRequired, true);
  t.same(ok.rebootReasons, ['zypper: /run/reboot-needed']);

  const locked = await collectLinuxPatches(
    undefined,
    fakeMachine(
      { [P.zypper]: '' },
      {
        '/usr/bin/zypper --non-interactive --no-refresh list-patches': result('', 7, {
          stderr: 'System management is locked by the application with pid 1234 (zypper).',
        }),
      },
    ),
  );
  t.match(locked.sources[0], {
    ok: false,
    error: /exit code 7: System management is locked/,
    pendingCount: null,
    securityCount: null,
  });
  t.equal(locked.rebootRequired, null);
});

t.test('no package manager: no sources, reboot unknown', async (t) => {
  t.same(await collectLinuxPatches(undefined, fakeMachine({}, {})), {
    sources: [],
    rebootRequired: null,
    rebootReasons: [],
  });
});

t.test('combineReboot', async (t) => {
  t.same(
    combineReboot([
      { rebootRequired: false, reasons: [] },
      { rebootRequired: true, reasons: ['a', 'b'] },
      { rebootRequired: null, reasons: ['a'] },
    ]),
    { rebootRequired: true, rebootReasons: ['a', 'b'] },
  );
  t.same(combineReboot([{ rebootRequired: false, reasons: [] }]), {
    rebootRequired: false,
    rebootReasons: [],
  });
});

t.test('default deps: exists and readFile on real paths', async (t) => {
  t.equal(await defaultLinuxPatchDeps.exists('/definitely/not/here'), false);
  t.equal(await defaultLinuxPatchDeps.exists(tmpdir()), true);
  t.type(defaultLinuxPatchDeps.now(), Date);
  const r = await defaultLinuxPatchDeps.run(
    process.execPath,
    ['-e', 'process.stdout.write(process.env.LC_ALL ?? "")'],
    {
      timeoutMs: 10_000,
    },
  );
  t.equal(r.stdout, 'C', 'commands run in the C locale');
});
