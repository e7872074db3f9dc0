import { win32 } from 'node:path';
import { SecuritySection } from '@vcio/shared';
import t from 'tap';
import {
  collectWindowsSecurity,
  MANAGE_BDE_ARGS,
  NETSH_ARGS,
  SECURITY_SCRIPT_TIMEOUT_MS,
  sshdConfigPath,
  system32Tool,
  TOOL_TIMEOUT_MS,
  W32TM_ARGS,
} from '../src/collectors/security/windows.js';
import { WINDOWS_SECURITY_SCRIPT } from '../src/collectors/security/windows-script.js';
import { createSecurityCollector } from '../src/collectors/security/index.js';
import type { CollectContext } from '../src/collectors/types.js';
import { CommandStartError, type CommandResult, type RunOptions } from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const win = (name: string): string => readFixture(`security/windows/${name}`);
const SSHD_CONFIG = 'C:\\ProgramData\\ssh\\sshd_config';

type Answer = CommandResult | Error;

/**
 * A Windows host answering commands by executable name (and arguments, except for the
 * PowerShell script); a command without an answer is not installed (ENOENT), as in replay.
 */
function fakeHost(
  answers: Record<string, Answer>,
  files: Record<string, string | NodeJS.ErrnoException> = {},
  env: NodeJS.ProcessEnv = { SystemRoot: 'C:\\Windows', ProgramData: 'C:\\ProgramData' },
): { host: HostAccess; calls: { key: string; file: string; options: RunOptions }[] } {
  const calls: { key: string; file: string; options: RunOptions }[] = [];
  const host: HostAccess = {
    platform: 'win32',
    env,
    now: () => new Date('2026-01-05T10:00:00Z'),
    exists: async (path) => path in files,
    readFile: async (path) => {
      const f = files[path];
      if (f === undefined)
        throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
      if (typeof f !== 'string') throw f;
      return f;
    },
    run: async (file, args, options) => {
      const exe = win32.basename(file).toLowerCase();
      const key = args.includes('-Command') ? exe : [exe, ...args].join(' ');
      calls.push({ key, file, options });
      const answer = answers[key];
      if (answer === undefined)
        throw new CommandStartError(key, 'ENOENT', new Error('spawn ENOENT'));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { host, calls };
}

function ctx(host: HostAccess): CollectContext & { logs(): string } {
  const { logger, text } = captureLogger();
  return { logger, signal: new AbortController().signal, host, logs: text };
}

const script = (name: string): CommandResult => commandResult(win(`security-json/${name}`));
const W32TM = `w32tm.exe ${W32TM_ARGS.join(' ')}`;
const NETSH = `netsh.exe ${NETSH_ARGS.join(' ')}`;
const MANAGE_BDE = `manage-bde.exe ${MANAGE_BDE_ARGS.join(' ')}`;

/** Groups with a null fact and no reason: must be none (ssh.permitRootLogin is n/a on Windows). */
function unexplained(section: SecuritySection): string[] {
  return (Object.entries(section) as [string, Record<string, unknown>][])
    .filter(([name, group]) =>
      Object.entries(group).some(
        ([k, v]) => k !== 'reason' && v === null && !(name === 'ssh' && k === 'permitRootLogin'),
      ),
    )
    .filter(([, group]) => group.reason === null)
    .map(([name]) => name);
}

t.test(
  'administrator (synthetic script document): a full answer from the script, w32tm and sshd_config; no fallback runs',
  async (t) => {
    const { host, calls } = fakeHost(
      {
        'powershell.exe': script('synthetic-admin-workstation.json'),
        [W32TM]: commandResult(win('w32tm-status/checkmk-en-synced-verbose.txt')),
      },
      {
        [SSHD_CONFIG]:
          '# sshd_config\r\nPasswordAuthentication no\r\nMatch Group administrators\r\n  PasswordAuthentication yes\r\n',
      },
    );
    const section = await collectWindowsSecurity(ctx(host));
    t.same(contractErrors(SecuritySection, section), []);
    t.same(calls.map((c) => c.key).sort(), ['powershell.exe', W32TM]);
    const ps = calls.find((c) => c.key === 'powershell.exe')!;
    t.equal(ps.file, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    t.equal(ps.options.timeoutMs, SECURITY_SCRIPT_TIMEOUT_MS);
    t.equal(calls.find((c) => c.key === W32TM)!.file, 'C:\\Windows\\System32\\w32tm.exe');

    t.match(section.firewall, { enabled: false, reason: null });
    t.equal(section.encryption.volumes.length, 2);
    t.equal(section.encryption.reason, null);
    t.match(section.antimalware.products, [
      { name: 'Microsoft Defender Antivirus', enabled: true, upToDate: true },
    ]);
    t.match(section.automaticUpdates, {
      enabled: true,
      installsAutomatically: true,
      detail: 'no policy: Windows default',
    });
    t.ok(section.listening.services.some((s) => s.port === 22 && s.process === 'sshd'));
    t.same(
      section.ssh,
      {
        present: true,
        permitRootLogin: null,
        passwordAuthentication: false,
        reason: 'PermitRootLogin does not apply on Windows (no root account)',
      },
      'the Match block does not count',
    );
    t.same(section.administrators, {
      groups: ['Administrators'],
      members: [
        'WIN10\\Administrator',
        'hacklab\\Domain Admins',
        'hacklab\\m3g9tr0n',
        'WIN10\\vs2022',
      ],
      reason: null,
    });
    t.same(section.guest, { enabled: false, reason: null });
    t.same(section.secureBoot, { enabled: true, reason: null });
    t.same(section.timeSync, {
      synchronized: true,
      service: 'w32time',
      source: 'time.windows.com',
      offsetSeconds: 0.0038147,
      reason: null,
    });
    t.same(unexplained(section), [], 'every unknown fact has a reason');
  },
);

t.test(
  'standard user (synthetic script document): BitLocker and Confirm-SecureBootUEFI denied; unknown with reasons, never false',
  async (t) => {
    const { host, calls } = fakeHost({
      'powershell.exe': script('synthetic-standard-user.json'),
      [W32TM]: commandResult(win('w32tm-status/set-ntpconfig-nist.txt')),
    });
    const section = await collectWindowsSecurity(ctx(host));
    t.same(contractErrors(SecuritySection, section), []);
    t.notOk(
      calls.some((c) => c.key === MANAGE_BDE),
      'manage-bde needs the same rights: not run',
    );
    t.same(section.encryption, {
      volumes: [],
      reason: 'Get-BitLockerVolume needs administrator rights (Access denied)',
    });
    t.same(
      section.secureBoot,
      { enabled: true, reason: null },
      'from the registry value readable by users',
    );
    t.same(section.ssh, {
      present: false,
      permitRootLogin: null,
      passwordAuthentication: null,
      reason: 'OpenSSH Server is not installed (no sshd service)',
    });
    t.same(
      section.antimalware.products.map((p) => p.name),
      ['Microsoft Defender Antivirus', 'Symantec Endpoint Protection'],
    );
    t.match(section.automaticUpdates, {
      mechanism: 'windows-update-policy',
      installsAutomatically: false,
    });
    t.match(section.timeSync, {
      synchronized: true,
      source: 'time.nist.gov',
      offsetSeconds: null,
      reason: 'w32tm printed no phase offset',
    });
    t.same(unexplained(section), [], 'every unknown fact has a reason');
  },
);

t.test(
  'Windows Server (synthetic PS 5.1 document): net localgroup fallback, BIOS, W32Time stopped',
  async (t) => {
    const { host, calls } = fakeHost({
      'powershell.exe': script('synthetic-server-ps51-quirks.json'),
      [W32TM]: commandResult(win('w32tm-status/pactus-service-not-started.txt'), {
        exitCode: -2147023834,
      }),
      'net.exe localgroup Administrators': commandResult(
        win('net-localgroup-admins/1.txt').replace(/\n/g, '\r\n'),
      ),
    });
    const c = ctx(host);
    const section = await collectWindowsSecurity(c);
    t.same(contractErrors(SecuritySection, section), []);
    t.equal(calls.find((x) => x.key.startsWith('net.exe'))!.file, 'C:\\Windows\\System32\\net.exe');
    t.same(
      section.administrators,
      {
        groups: ['Administrators'],
        members: ['Administrator', 'ilfserveradm', 'INLANEFREIGHT\\Domain Admins'],
        reason: null,
      },
      'Get-LocalGroupMember failed on the group; net localgroup read it',
    );
    t.same(section.secureBoot, { enabled: false, reason: null });
    t.same(section.timeSync, {
      synchronized: false,
      service: 'w32time',
      source: null,
      offsetSeconds: null,
      reason: 'the Windows Time service (W32Time) is not running',
    });
    t.equal(section.antimalware.reason, null, 'no Security Center on a server is expected');
    t.match(section.encryption.volumes, [{ mount: 'C:', encrypted: false, protectionOn: false }]);
    t.same(unexplained(section), [], 'every unknown fact has a reason');
  },
);

t.test(
  'the script cannot run: the text fallbacks answer what they can, the rest is unknown',
  async (t) => {
    const { host, calls } = fakeHost({
      [W32TM]: commandResult(win('w32tm-status/checkmk-fr-synced-verbose.txt')),
      [NETSH]: commandResult(win('netsh-advfirewall/3.txt')),
      [MANAGE_BDE]: commandResult(win('manage-bde-status/3.txt')),
      'net.exe localgroup Administrators': commandResult(win('net-localgroup-admins/3.txt')),
    });
    const c = ctx(host);
    const section = await collectWindowsSecurity(c);
    t.same(contractErrors(SecuritySection, section), []);
    t.match(c.logs(), /PowerShell script failed/);
    t.same(
      calls.filter((x) => x.key !== 'powershell.exe').map((x) => x.options.timeoutMs),
      [TOOL_TIMEOUT_MS, TOOL_TIMEOUT_MS, TOOL_TIMEOUT_MS, TOOL_TIMEOUT_MS],
    );
    t.match(section.firewall, { enabled: false, reason: null });
    t.equal(section.firewall.products.length, 3);
    t.match(section.encryption, {
      volumes: [{ mount: 'C:', encrypted: true, protectionOn: true }],
      reason: null,
    });
    t.equal(section.administrators.members.length, 4);
    t.match(section.timeSync, {
      synchronized: true,
      source: 'VM IC Time Synchronization Provider',
    });
    for (const group of [
      'antimalware',
      'automaticUpdates',
      'listening',
      'ssh',
      'guest',
      'secureBoot',
    ] as const)
      t.match(
        section[group].reason,
        /the PowerShell security script failed: .*powershell\.exe' was not found/,
        group,
      );
    t.equal(section.ssh.present, null);
    t.equal(section.guest.enabled, null);
    t.same(unexplained(section), [], 'every unknown fact has a reason');
  },
);

t.test('fallbacks that fail too: both errors in the reason', async (t) => {
  const { host } = fakeHost({
    'powershell.exe': commandResult(
      '{"Firewall":{"Error":"The term Get-NetFirewallProfile is not recognized","Type":"System.Management.Automation.CommandNotFoundException"},' +
        '"BitLocker":{"Error":"The term Get-BitLockerVolume is not recognized","Type":"System.Management.Automation.CommandNotFoundException"},' +
        '"Administrators":{"Error":"Failed to compare two elements in the array."},"AdministratorsGroup":"Administratoren"}',
    ),
    [NETSH]: commandResult('', {
      exitCode: 1,
      stdout: 'The requested operation requires elevation.',
    }),
    [MANAGE_BDE]: commandResult('ERROR: An attempt to access a required resource was denied.', {
      exitCode: -1,
    }),
    'net.exe localgroup Administratoren': commandResult('', {
      exitCode: 2,
      stderr: 'System error 1376 has occurred.',
    }),
    [W32TM]: commandResult('The following error occurred: Access is denied. (0x80070005)', {
      exitCode: 5,
    }),
  });
  const section = await collectWindowsSecurity(ctx(host));
  t.same(contractErrors(SecuritySection, section), []);
  t.match(
    section.firewall.reason,
    /^Get-NetFirewallProfile failed: The term Get-NetFirewallProfile is not recognized; command '.*netsh\.exe advfirewall show allprofiles' failed: exit code 1: The requested operation requires elevation\.$/,
  );
  t.match(
    section.encryption.reason,
    /^Get-BitLockerVolume failed: The term Get-BitLockerVolume is not recognized; command '.*manage-bde\.exe -status' failed: exit code -1/,
  );
  t.same(section.administrators.groups, ['Administratoren'], 'the group by its localised name');
  t.match(
    section.administrators.reason,
    /Get-LocalGroupMember failed: Failed to compare two elements in the array\.; command '.*net\.exe localgroup Administratoren' failed: exit code 2: System error 1376/,
  );
  t.match(section.timeSync, {
    synchronized: null,
    reason: /^w32tm \/query \/status was refused: access denied/,
  });
  t.match(section.guest.reason, /'Guest' missing from the script output/);
  t.same(unexplained(section), [], 'every unknown fact has a reason');
});

t.test('fallbacks that answer nothing useful', async (t) => {
  const { host } = fakeHost({
    'powershell.exe': commandResult('{"Firewall":{"Error":"x"},"BitLocker":{"Error":"y"}}'),
    [NETSH]: commandResult('No profiles.'),
    [MANAGE_BDE]: commandResult(
      'BitLocker Drive Encryption: Configuration Tool version 10.0.22621\r\n',
    ),
    [W32TM]: commandResult('Leap Indicator: unknown\r\n'),
  });
  const section = await collectWindowsSecurity(ctx(host));
  t.match(section.firewall.reason, /netsh printed no firewall profile/);
  t.match(section.encryption.reason, /manage-bde listed no volume/);
  t.match(section.timeSync.reason, /^w32tm output not understood: 'Leap Indicator: unknown'/);
  t.match(section.administrators.reason, /net\.exe' was not found/);
});

t.test('script output problems: non-zero exit, truncation, a start failure', async (t) => {
  for (const [answer, expected] of [
    [
      commandResult('', {
        exitCode: 1,
        stderr: 'Execution of scripts is disabled on this system.',
      }),
      /exit code 1: Execution of scripts is disabled/,
    ],
    [commandResult('{"Fire', { truncated: true }), /went past/],
    [new Error('spawn EPERM'), /spawn EPERM/],
    [commandResult('not json'), /not JSON/],
  ] as [Answer, RegExp][]) {
    const { host } = fakeHost({ 'powershell.exe': answer });
    const section = await collectWindowsSecurity(ctx(host));
    t.same(contractErrors(SecuritySection, section), []);
    t.match(section.guest.reason, expected);
    t.match(section.timeSync.reason, /w32tm could not be run: .*w32tm\.exe' was not found/);
  }
});

t.test('sshd_config: missing means defaults, unreadable means unknown', async (t) => {
  const doc = '{"Ssh":{"Installed":true,"Status":"Stopped","StartType":"Disabled"}}';
  const missing = fakeHost({ 'powershell.exe': commandResult(doc) });
  t.same(
    (await collectWindowsSecurity(ctx(missing.host))).ssh,
    {
      present: true,
      permitRootLogin: null,
      passwordAuthentication: true,
      reason: 'PermitRootLogin does not apply on Windows (no root account)',
    },
    'no config file: sshd defaults (PasswordAuthentication yes)',
  );
  const denied = fakeHost(
    { 'powershell.exe': commandResult(doc) },
    {
      [SSHD_CONFIG]: Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }),
    },
  );
  t.same((await collectWindowsSecurity(ctx(denied.host))).ssh, {
    present: true,
    permitRootLogin: null,
    passwordAuthentication: null,
    reason:
      "C:\\ProgramData\\ssh\\sshd_config is not readable by the agent's account; PermitRootLogin does not apply on Windows (no root account)",
  });
  const included = fakeHost(
    { 'powershell.exe': commandResult(doc) },
    {
      [SSHD_CONFIG]: 'Include sshd_config.d\\*.conf\r\nPasswordAuthentication no\r\n',
    },
  );
  t.match((await collectWindowsSecurity(ctx(included.host))).ssh, {
    passwordAuthentication: null,
    reason: /could not be listed \(Include is not followed on Windows\)/,
  });
  const failed = fakeHost({
    'powershell.exe': commandResult('{"Ssh":{"Error":"Cannot find any service"}}'),
  });
  t.match((await collectWindowsSecurity(ctx(failed.host))).ssh, {
    present: null,
    reason: 'Get-Service sshd failed: Cannot find any service',
  });
});

t.test(
  'paths: Sysnative from a 32-bit agent, defaults without SystemRoot or ProgramData',
  async (t) => {
    t.equal(
      system32Tool({ SystemRoot: 'D:\\Win', PROCESSOR_ARCHITEW6432: 'AMD64' }, 'netsh.exe'),
      'D:\\Win\\Sysnative\\netsh.exe',
    );
    t.equal(
      system32Tool({ windir: 'C:\\WINDOWS' }, 'w32tm.exe'),
      'C:\\WINDOWS\\System32\\w32tm.exe',
    );
    t.equal(system32Tool({}, 'net.exe'), 'C:\\Windows\\System32\\net.exe');
    t.equal(sshdConfigPath({}), SSHD_CONFIG);
    t.equal(sshdConfigPath({ ProgramData: 'E:\\PD' }), 'E:\\PD\\ssh\\sshd_config');
    const { host, calls } = fakeHost(
      {},
      {},
      { SystemRoot: 'C:\\Windows', PROCESSOR_ARCHITEW6432: 'AMD64' },
    );
    await collectWindowsSecurity(ctx(host));
    t.ok(
      calls.every((c) => c.file.includes('\\Sysnative\\')),
      calls.map((c) => c.file).join(', '),
    );
    t.ok(calls.some((c) => c.key === 'powershell.exe'));
    t.ok(WINDOWS_SECURITY_SCRIPT.length > 0);
  },
);

t.test('the security collector sends a win32 host to this reader', async (t) => {
  const { host, calls } = fakeHost({});
  const collector = createSecurityCollector();
  t.ok(collector.platforms.includes('win32'));
  const section = await collector.collect(ctx(host));
  t.same(contractErrors(SecuritySection, section), []);
  t.ok(calls.some((c) => c.key === 'powershell.exe'));
});
