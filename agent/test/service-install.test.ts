// install, uninstall and status on each platform, against a fake system: files under a
// temporary root, service-manager commands recorded instead of run, and a fake collector.
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import t, { type Test } from 'tap';
import { addServiceCommands } from '../src/cli/install.js';
import { defaultCommandEnv, defaultTransport, type CommandEnv } from '../src/cli/commands.js';
import { enroll } from '../src/enroll.js';
import { AgentError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { httpPost } from '../src/http-client.js';
import { silentLogger } from '../src/log.js';
import {
  formatStatus,
  installService,
  serviceStatus,
  uninstallService,
  type FlowContext,
  type InstallOptions,
} from '../src/service/install-flow.js';
import {
  hostPath,
  liveSystem,
  type CommandResult,
  type ServiceSystem,
} from '../src/service/system.js';
import { CREDENTIALS_FILE } from '../src/state.js';
import { DEFAULT_RETRY_POLICY } from '../src/transport.js';
import { AGENT_VERSION } from '../src/version.js';
import { closedPort, startFakeCollector, type FakeCollector } from './helpers/collector-server.js';

const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';
const TOKEN = 'et_acme.enroll-secret';

interface FakeSystem extends ServiceSystem {
  calls: string[];
  elevated: boolean;
  /** answers by command line prefix; default exit 0 */
  answers: Record<string, CommandResult>;
  exePath: string;
  sea: boolean;
}

async function fakeSystem(
  t: Test,
  platform: NodeJS.Platform,
  options: { systemd?: boolean; elevated?: boolean; sea?: boolean } = {},
): Promise<FakeSystem> {
  const dir = t.testdir();
  const root = path.join(dir, 'root');
  await mkdir(root, { recursive: true });
  if (options.systemd !== false)
    await mkdir(path.join(root, 'run/systemd/system'), { recursive: true });
  const exePath = path.join(dir, 'download', 'vcio-agent');
  await mkdir(path.dirname(exePath), { recursive: true });
  await writeFile(exePath, 'binary v1');
  const system: FakeSystem = {
    platform,
    root,
    env: { ProgramFiles: 'C:\\Program Files', ProgramData: 'C:\\ProgramData' },
    calls: [],
    answers: {},
    elevated: options.elevated ?? true,
    exePath,
    sea: options.sea ?? true,
    async run(command, args) {
      const line = [command, ...args].join(' ');
      system.calls.push(line);
      const key = Object.keys(system.answers).find((k) => line.startsWith(k));
      return key ? system.answers[key]! : { code: 0, stdout: '', stderr: '' };
    },
    isElevated: async () => system.elevated,
    executable: () => ({ path: system.exePath, singleExecutable: system.sea }),
    now: () => new Date('2026-12-04T10:00:00.000Z'),
  };
  return system;
}

function context(system: ServiceSystem, lines: string[] = []): FlowContext {
  return { system, activate: true, say: (l) => lines.push(l) };
}

const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 1, requestTimeoutMs: 5000 };

function enrollVia(): InstallOptions['enroll'] {
  return async (stateDir, url, token) => {
    await enroll({
      url,
      token,
      insecureHttp: false,
      machineId: 'machine-1',
      hostname: 'host-1',
      stateDir,
      policy,
      deps: {
        ...defaultTransport(),
        post: httpPost,
        sleep: async () => {},
        logger: silentLogger(),
      },
      logger: silentLogger(),
    });
  };
}

async function collector(t: Test, status = 201): Promise<FakeCollector> {
  const c = await startFakeCollector(
    status === 201
      ? [{ status, body: { agentId: AGENT_ID, secret: 'agent-secret', tenant: 'acme' } }]
      : [{ status, body: { error: 'unauthorized', message: 'unknown enrollment token' } }],
  );
  t.teardown(c.close);
  return c;
}

async function rejects(t: Test, promise: Promise<unknown>, code: number, message: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof AgentError, 'fails with an AgentError');
  t.equal((err as AgentError).exitCode, code, `exit code ${code}`);
  t.match((err as Error).message, message);
}

const read = (system: ServiceSystem, target: string) => readFile(hostPath(system, target), 'utf8');
const present = (system: ServiceSystem, target: string) =>
  stat(hostPath(system, target)).then(
    () => true,
    () => false,
  );

t.test('linux: install enrolls, copies the binary, writes the unit and starts it', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'linux');
  const lines: string[] = [];
  const result = await installService(context(system, lines), {
    url: c.url,
    token: TOKEN,
    site: 'head office',
    enroll: enrollVia(),
  });
  t.equal(result.enrolled, 'new');
  t.equal(result.upgraded, false);
  t.equal(c.received.length, 1, 'one enrollment');
  t.equal(await read(system, '/opt/vcio/vcio-agent'), 'binary v1');
  t.equal((await stat(hostPath(system, '/opt/vcio/vcio-agent'))).mode & 0o777, 0o755);
  const unit = await read(system, '/etc/systemd/system/vcio-agent.service');
  t.match(unit, /^ExecStart=\/opt\/vcio\/vcio-agent run --state-dir \/var\/lib\/vcio-agent$/m);
  t.same(system.calls, [
    'systemctl daemon-reload',
    'systemctl enable vcio-agent.service',
    'systemctl restart vcio-agent.service',
  ]);
  const credentials = JSON.parse(await read(system, `/var/lib/vcio-agent/${CREDENTIALS_FILE}`));
  t.equal(credentials.agentId, AGENT_ID);
  t.same(JSON.parse(await read(system, '/var/lib/vcio-agent/install.json')), {
    version: AGENT_VERSION,
    installedAt: '2026-12-04T10:00:00.000Z',
    binary: '/opt/vcio/vcio-agent',
    service: 'systemd',
    site: 'head office',
  });
  t.match(lines.join('\n'), /installed: vcio-agent .* as a systemd/);
});

t.test(
  'linux: install again keeps the credentials, upgrades the binary and repairs the unit',
  async (t) => {
    const c = await collector(t);
    const system = await fakeSystem(t, 'linux');
    await installService(context(system), {
      url: c.url,
      token: TOKEN,
      site: 'office',
      enroll: enrollVia(),
    });
    const before = await read(system, `/var/lib/vcio-agent/${CREDENTIALS_FILE}`);
    await writeFile(system.exePath, 'binary v2');
    await writeFile(hostPath(system, '/etc/systemd/system/vcio-agent.service'), 'damaged');
    system.calls.length = 0;
    const result = await installService(context(system), {
      url: `${c.url}/`,
      token: TOKEN,
      enroll: enrollVia(),
    });
    t.equal(result.enrolled, 'kept');
    t.equal(result.upgraded, true);
    t.equal(c.received.length, 1, 'no second enrollment');
    t.equal(await read(system, `/var/lib/vcio-agent/${CREDENTIALS_FILE}`), before);
    t.equal(await read(system, '/opt/vcio/vcio-agent'), 'binary v2', 'binary replaced');
    t.match(
      await read(system, '/etc/systemd/system/vcio-agent.service'),
      /^ExecStart=/m,
      'unit repaired',
    );
    t.same(system.calls, [
      'systemctl stop vcio-agent.service',
      'systemctl daemon-reload',
      'systemctl enable vcio-agent.service',
      'systemctl restart vcio-agent.service',
    ]);
    t.equal(
      JSON.parse(await read(system, '/var/lib/vcio-agent/install.json')).site,
      'office',
      'site kept',
    );
    const leftovers = (await readdir(hostPath(system, '/opt/vcio'))).filter(
      (n) => n !== 'vcio-agent',
    );
    t.same(leftovers, [], 'no temporary file left');
  },
);

t.test('install --re-enroll enrolls again; another collector without it is refused', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'linux');
  await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
  await rejects(
    t,
    installService(context(system), {
      url: 'https://other.example.com',
      token: TOKEN,
      enroll: enrollVia(),
    }),
    ExitCode.usage,
    /already enrolled with .* add --re-enroll/,
  );
  const result = await installService(context(system), {
    url: c.url,
    token: TOKEN,
    reEnroll: true,
    enroll: enrollVia(),
  });
  t.equal(result.enrolled, 'new');
  t.equal(c.received.length, 2);
  await rejects(
    t,
    installService(context(system), { reEnroll: true, enroll: enrollVia() }),
    ExitCode.usage,
    /--re-enroll needs --url and --token/,
  );
});

t.test('install refuses, changing nothing, when', async (t) => {
  t.test('not elevated: exit 8', async (t) => {
    const system = await fakeSystem(t, 'linux', { elevated: false });
    await rejects(
      t,
      installService(context(system), {
        url: 'http://127.0.0.1:1',
        token: TOKEN,
        enroll: enrollVia(),
      }),
      ExitCode.notElevated,
      /install needs administrator rights: run it as root/,
    );
    t.same(system.calls, []);
    t.notOk(await present(system, '/var/lib/vcio-agent'));
  });
  t.test('not elevated on Windows: says how', async (t) => {
    const system = await fakeSystem(t, 'win32', { elevated: false });
    await rejects(
      t,
      installService(context(system), {
        url: 'http://127.0.0.1:1',
        token: TOKEN,
        enroll: enrollVia(),
      }),
      ExitCode.notElevated,
      /Run as administrator/,
    );
  });
  t.test('no systemd: exit 9', async (t) => {
    const system = await fakeSystem(t, 'linux', { systemd: false });
    await rejects(
      t,
      installService(context(system), {
        url: 'http://127.0.0.1:1',
        token: TOKEN,
        enroll: enrollVia(),
      }),
      ExitCode.unsupported,
      /systemd is not running on this machine/,
    );
    t.notOk(await present(system, '/opt/vcio/vcio-agent'));
  });
  t.test('an OS without a supported service manager: exit 9', async (t) => {
    const system = await fakeSystem(t, 'freebsd');
    await rejects(
      t,
      installService(context(system), {
        url: 'http://127.0.0.1:1',
        token: TOKEN,
        enroll: enrollVia(),
      }),
      ExitCode.unsupported,
      /cannot run as a service on freebsd/,
    );
  });
  t.test('running from node and a script, not the single executable: exit 9', async (t) => {
    const system = await fakeSystem(t, 'linux', { sea: false });
    await rejects(
      t,
      installService(context(system), {
        url: 'http://127.0.0.1:1',
        token: TOKEN,
        enroll: enrollVia(),
      }),
      ExitCode.unsupported,
      /pnpm build:agent/,
    );
  });
  t.test('the token is refused: exit 5', async (t) => {
    const c = await collector(t, 401);
    const system = await fakeSystem(t, 'linux');
    await rejects(
      t,
      installService(context(system), { url: c.url, token: 'et_bad.token', enroll: enrollVia() }),
      ExitCode.rejected,
      /401/,
    );
    t.notOk(await present(system, '/opt/vcio/vcio-agent'));
    t.notOk(await present(system, '/etc/systemd/system/vcio-agent.service'));
    t.same(system.calls, []);
  });
  t.test('the collector is unreachable: exit 4', async (t) => {
    const system = await fakeSystem(t, 'linux');
    const port = await closedPort();
    await rejects(
      t,
      installService(context(system), {
        url: `http://127.0.0.1:${port}`,
        token: TOKEN,
        enroll: enrollVia(),
      }),
      ExitCode.unreachable,
      /ECONNREFUSED|unreachable|refused/i,
    );
    t.notOk(await present(system, '/opt/vcio/vcio-agent'));
  });
  t.test('not enrolled and no token: usage error', async (t) => {
    const system = await fakeSystem(t, 'linux');
    await rejects(
      t,
      installService(context(system), { url: 'http://127.0.0.1:1', enroll: enrollVia() }),
      ExitCode.usage,
      /not enrolled yet: install needs --url and --token/,
    );
  });
  t.test('the service manager fails: exit 1 with its message', async (t) => {
    const c = await collector(t);
    const system = await fakeSystem(t, 'linux');
    system.answers['systemctl enable'] = {
      code: 1,
      stdout: '',
      stderr: 'Failed to enable unit: Access denied',
    };
    await rejects(
      t,
      installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() }),
      ExitCode.unexpected,
      /'systemctl enable vcio-agent.service' failed \(exit 1\): Failed to enable unit: Access denied/,
    );
  });
});

t.test('windows: the task is registered from its XML and run', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'win32');
  await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
  t.equal(await read(system, 'C:\\Program Files\\vcio\\vcio-agent.exe'), 'binary v1');
  const xml = await readFile(hostPath(system, 'C:\\ProgramData\\vcio\\agent\\vcio-agent-task.xml'));
  t.match(
    xml.subarray(2).toString('utf16le'),
    /<Command>C:\\Program Files\\vcio\\vcio-agent\.exe<\/Command>/,
  );
  t.same(system.calls, [
    'schtasks /Create /TN vcio-agent /XML C:\\ProgramData\\vcio\\agent\\vcio-agent-task.xml /F',
    'schtasks /Run /TN vcio-agent',
  ]);
  system.calls.length = 0;
  system.answers['schtasks /End'] = {
    code: 1,
    stdout: '',
    stderr: 'ERROR: The task is not running.',
  };
  await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
  t.equal(system.calls[0], 'schtasks /End /TN vcio-agent', 'stopped before the binary is replaced');
  t.equal(system.calls.length, 3, 'a failing /End (not running) is expected');
});

t.test('macOS: the LaunchDaemon is bootstrapped, and booted out before an upgrade', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'darwin');
  await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
  t.match(
    await read(system, '/Library/LaunchDaemons/com.vcio.agent.plist'),
    /<string>com\.vcio\.agent<\/string>/,
  );
  t.equal(await read(system, '/usr/local/vcio/vcio-agent'), 'binary v1');
  t.same(system.calls, [
    'launchctl enable system/com.vcio.agent',
    'launchctl bootstrap system /Library/LaunchDaemons/com.vcio.agent.plist',
  ]);
  system.calls.length = 0;
  await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
  t.equal(system.calls[0], 'launchctl bootout system/com.vcio.agent');
});

t.test(
  'uninstall stops and removes the service and binary, keeps state unless --purge',
  async (t) => {
    const c = await collector(t);
    for (const purge of [false, true]) {
      const system = await fakeSystem(t, 'linux');
      await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
      system.calls.length = 0;
      await uninstallService(context(system), { purge });
      t.same(system.calls, [
        'systemctl stop vcio-agent.service',
        'systemctl disable vcio-agent.service',
        'systemctl daemon-reload',
        'systemctl reset-failed vcio-agent.service',
      ]);
      t.notOk(await present(system, '/etc/systemd/system/vcio-agent.service'));
      t.notOk(await present(system, '/opt/vcio/vcio-agent'));
      t.notOk(await present(system, '/opt/vcio'), 'empty program directory removed');
      t.equal(
        await present(system, `/var/lib/vcio-agent/${CREDENTIALS_FILE}`),
        !purge,
        `purge: ${purge}`,
      );
    }
    const system = await fakeSystem(t, 'linux', { elevated: false });
    await rejects(
      t,
      uninstallService(context(system), {}),
      ExitCode.notElevated,
      /uninstall needs/,
    );
  },
);

t.test('status: installed, running, enrolled, last report', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'linux');
  let status = await serviceStatus(context(system));
  t.match(status, {
    installed: false,
    running: false,
    enrolled: false,
    lastReportAt: null,
    outbox: null,
  });
  await installService(context(system), {
    url: c.url,
    token: TOKEN,
    site: 'branch',
    enroll: enrollVia(),
  });
  system.answers['systemctl is-active'] = { code: 0, stdout: 'active\n', stderr: '' };
  const outbox = hostPath(system, '/var/lib/vcio-agent/outbox');
  await mkdir(outbox, { recursive: true });
  await utimes(outbox, new Date('2026-12-04T09:59:00Z'), new Date('2026-12-04T09:59:00Z'));
  status = await serviceStatus(context(system));
  t.match(status, {
    installed: true,
    running: true,
    serviceDetail: 'systemd: active',
    enrolled: true,
    agentId: AGENT_ID,
    tenant: 'acme',
    version: AGENT_VERSION,
    site: 'branch',
    lastReportAt: '2026-12-04T09:59:00.000Z',
    outbox: { queued: 0, oldestQueuedAt: null },
  });
  const text = formatStatus(status);
  t.match(text, /^installed: +yes \(\/opt\/vcio\/vcio-agent, version /m);
  t.match(text, /^running: +yes \(systemd: active\)$/m);
  t.match(text, new RegExp(`^enrolled: +yes \\(agent ${AGENT_ID}, tenant acme`, 'm'));
  t.match(text, /^last report: +2026-12-04T09:59:00.000Z$/m);

  // a report waiting: the last delivery is unknown, the oldest waiting one is shown
  const seq = String(Date.parse('2026-12-04T09:58:00Z')).padStart(16, '0');
  await writeFile(path.join(outbox, `${seq}-0192f1c4-7d2a-7c3e-9b1a-2f3e4d5c6b7a.json`), '{}');
  system.answers['systemctl is-active'] = { code: 3, stdout: 'failed\n', stderr: '' };
  status = await serviceStatus(context(system));
  t.match(status, {
    running: false,
    lastReportAt: null,
    outbox: { queued: 1, oldestQueuedAt: '2026-12-04T09:58:00.000Z' },
  });
  t.match(formatStatus(status), /^last report: +waiting$/m);
  t.match(formatStatus(status), /^outbox: +1 queued, oldest from 2026-12-04T09:58:00.000Z$/m);

  // damaged credentials: status still answers, and says what is wrong
  await writeFile(hostPath(system, `/var/lib/vcio-agent/${CREDENTIALS_FILE}`), '{');
  status = await serviceStatus(context(system));
  t.equal(status.enrolled, null);
  t.match(formatStatus(status), /^problem: +.*not valid JSON/m);
});

t.test('status on Windows and macOS asks their service managers', async (t) => {
  const win = await fakeSystem(t, 'win32');
  await mkdir(path.dirname(hostPath(win, 'C:\\Program Files\\vcio\\vcio-agent.exe')), {
    recursive: true,
  });
  await writeFile(hostPath(win, 'C:\\Program Files\\vcio\\vcio-agent.exe'), 'x');
  await mkdir(hostPath(win, 'C:\\ProgramData\\vcio\\agent'), { recursive: true });
  await writeFile(hostPath(win, 'C:\\ProgramData\\vcio\\agent\\vcio-agent-task.xml'), 'x');
  win.answers['schtasks /Query'] = {
    code: 0,
    stdout: '"\\vcio-agent","N/A","Running"\r\n',
    stderr: '',
  };
  t.match(await serviceStatus(context(win)), {
    installed: true,
    running: true,
    serviceDetail: 'task: Running',
  });

  const mac = await fakeSystem(t, 'darwin');
  await mkdir(hostPath(mac, '/usr/local/vcio'), { recursive: true });
  await writeFile(hostPath(mac, '/usr/local/vcio/vcio-agent'), 'x');
  await mkdir(hostPath(mac, '/Library/LaunchDaemons'), { recursive: true });
  await writeFile(hostPath(mac, '/Library/LaunchDaemons/com.vcio.agent.plist'), 'x');
  mac.answers['launchctl print'] = {
    code: 0,
    stdout: 'system/com.vcio.agent = {\n\tstate = running\n',
    stderr: '',
  };
  t.match(await serviceStatus(context(mac)), { running: true, serviceDetail: 'launchd: running' });
  mac.answers['launchctl print'] = { code: 113, stdout: '', stderr: 'Could not find service' };
  t.match(await serviceStatus(context(mac)), {
    running: false,
    serviceDetail: 'launchd: not loaded',
  });
});

// The commands as the CLI wires them: quiet by default, --verbose, install.log, --root.
function cliProgram(system: FakeSystem, out: string[], err: string[]): Command {
  const program = new Command('vcio-agent')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) })
    .option('--state-dir <dir>')
    .option('--log-level <level>', '', 'info');
  const envFor = (): CommandEnv => ({
    ...defaultCommandEnv,
    readMachineId: async () => 'machine-1',
    hostname: () => 'host-1',
    transport: defaultTransport(),
    logger: silentLogger(),
    stateDir: '/unused',
    stdout: async (text) => void out.push(text),
    stopSignal: () => new AbortController().signal,
  });
  addServiceCommands(program, envFor, (root) => ({ ...system, root: root ?? system.root }));
  return program;
}

t.test('CLI: install is silent, logs to install.log, --verbose prints the steps', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'linux');
  const out: string[] = [];
  await cliProgram(system, out, []).parseAsync(['install', '--url', c.url, '--token', TOKEN], {
    from: 'user',
  });
  t.same(out, [], 'nothing printed');
  const log = await read(system, '/var/lib/vcio-agent/install.log');
  t.match(log, /2026-12-04T10:00:00.000Z enrolled: agent 6f1c5a3e/);
  t.match(log, /ran: systemctl restart vcio-agent.service/);
  t.match(log, /install done$/m);
  t.notMatch(log, TOKEN, 'the token is never logged');

  await cliProgram(system, out, []).parseAsync(['install', '--verbose'], { from: 'user' });
  t.match(out.join(''), /enrollment: kept, agent 6f1c5a3e/);
  t.match(out.join(''), /upgraded: vcio-agent/);

  out.length = 0;
  await cliProgram(system, out, []).parseAsync(['status', '--json'], { from: 'user' });
  t.match(JSON.parse(out.join('')), { installed: true, enrolled: true, tenant: 'acme' });

  out.length = 0;
  await cliProgram(system, out, []).parseAsync(['uninstall', '--verbose', '--purge'], {
    from: 'user',
  });
  t.match(out.join(''), /state: removed \/var\/lib\/vcio-agent/);
});

t.test(
  'CLI: a failed install is logged with its reason when the state directory exists',
  async (t) => {
    const c = await collector(t);
    const system = await fakeSystem(t, 'linux');
    await cliProgram(system, [], []).parseAsync(['install', '--url', c.url, '--token', TOKEN], {
      from: 'user',
    });
    system.answers['systemctl restart'] = { code: 1, stdout: '', stderr: 'Job failed' };
    const err = await cliProgram(system, [], [])
      .parseAsync(['install'], { from: 'user' })
      .catch((e: unknown) => e);
    t.ok(err instanceof AgentError);
    t.match(
      await read(system, '/var/lib/vcio-agent/install.log'),
      /install failed: 'systemctl restart vcio-agent.service' failed \(exit 1\): Job failed/,
    );
  },
);

t.test('CLI: --root stages the files and leaves the service manager alone', async (t) => {
  const c = await collector(t);
  const system = await fakeSystem(t, 'linux', { elevated: false, systemd: false });
  const staging = path.join(path.dirname(system.root!), 'staging');
  await cliProgram(system, [], []).parseAsync(
    ['--state-dir', '/srv/vcio', 'install', '--root', staging, '--url', c.url, '--token', TOKEN],
    { from: 'user' },
  );
  t.same(system.calls, [], 'no systemctl');
  const unit = await readFile(path.join(staging, 'etc/systemd/system/vcio-agent.service'), 'utf8');
  t.match(
    unit,
    /^ExecStart=\/opt\/vcio\/vcio-agent run --state-dir \/srv\/vcio$/m,
    '--state-dir reaches the unit',
  );
  t.ok(await stat(path.join(staging, 'srv/vcio', CREDENTIALS_FILE)));
  t.match(
    await readFile(path.join(staging, 'srv/vcio/install.log'), 'utf8'),
    /staged under .*: the systemd service was not registered/,
  );
  const out: string[] = [];
  await cliProgram(system, out, []).parseAsync(
    ['--state-dir', '/srv/vcio', 'status', '--root', staging],
    {
      from: 'user',
    },
  );
  t.match(out.join(''), /^installed: +yes/m);
  t.match(out.join(''), /^running: +unknown \(not queried \(--root\)\)$/m);
});

t.test(
  'windows: uninstall run by the installed binary moves it aside (Windows cannot delete it)',
  async (t) => {
    const c = await collector(t);
    const system = await fakeSystem(t, 'win32');
    await installService(context(system), { url: c.url, token: TOKEN, enroll: enrollVia() });
    system.exePath = hostPath(system, 'C:\\Program Files\\vcio\\vcio-agent.exe');
    const lines: string[] = [];
    await uninstallService(context(system, lines), {});
    const moved = /moved to (.+)$/m.exec(lines.join('\n'))?.[1];
    t.ok(moved, 'says where it went');
    t.teardown(() => rm(moved!, { force: true }));
    t.equal(await readFile(moved!, 'utf8'), 'binary v1');
    t.notOk(await present(system, 'C:\\Program Files\\vcio\\vcio-agent.exe'));
    t.same(system.calls.slice(-2), [
      'schtasks /End /TN vcio-agent',
      'schtasks /Delete /TN vcio-agent /F',
    ]);
  },
);

t.test('liveSystem runs commands and reports their exit codes', async (t) => {
  const live = liveSystem();
  t.equal(live.root, undefined);
  t.same(await live.run(process.execPath, ['-e', 'process.stdout.write("hi"); process.exit(3)']), {
    code: 3,
    stdout: 'hi',
    stderr: '',
  });
  t.equal((await live.run('vcio-no-such-command', [])).code, 127, 'not installed: 127');
  t.equal(await live.isElevated(), process.getuid?.() === 0);
  t.same(
    live.executable(),
    { path: process.execPath, singleExecutable: false },
    'tests run under node',
  );
});
