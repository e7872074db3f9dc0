// The CLI in-process, for the paths a separate process cannot reach on this machine
// (an unreadable machine id, an unexpected crash) and for the command wiring itself.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Report } from '@vcio/shared';
import t, { type TAP } from 'tap';
import { main, type CliIo, type CommandEnvOverrides } from '../src/cli/program.js';
import { selectCollectors } from '../src/cli/commands.js';
import { MachineIdError, UsageError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { CREDENTIALS_FILE, loadCredentials } from '../src/state.js';
import { startFakeCollector } from './helpers/collector-server.js';
import { contractErrors } from './helpers/contract.js';

const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  logs: string;
}

async function run(
  t: Pick<TAP, 'teardown'>,
  argv: string[],
  overrides: CommandEnvOverrides = {},
  stop = new AbortController().signal,
): Promise<Run> {
  // Not t.testdir(): a second call in the same test would wipe the state dir made by the first.
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'vcio-agent-log-'));
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
    const code = await main(argv, io, {
      readMachineId: async () => 'test-machine-id',
      hostname: () => 'test-host',
      ...overrides,
    });
    return { code, stdout, stderr, logs: readFileSync(logFile, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

t.test(
  'collect in-process: valid report, nil agent id when the state dir is unreadable',
  async (t) => {
    const base = t.testdir({ 'a-file': '' });
    const r = await run(t, [
      'collect',
      '--only',
      'system',
      '--state-dir',
      path.join(base, 'a-file'),
    ]);
    t.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    t.same(contractErrors(Report, report), []);
    t.equal(report.agent.id, '00000000-0000-0000-0000-000000000000');
    t.same(report.host, { machineId: 'test-machine-id', hostname: 'test-host' });
  },
);

t.test('collect uses the enrolled agent id when there is one', async (t) => {
  const dir = t.testdir({
    [CREDENTIALS_FILE]: JSON.stringify({
      collectorUrl: 'https://c',
      agentId: AGENT_ID,
      secret: 's',
      tenant: 't',
      enrolledAt: '2026-01-01T00:00:00Z',
    }),
  });
  const r = await run(t, ['collect', '--only', 'system', '--state-dir', dir]);
  t.equal((JSON.parse(r.stdout) as Report).agent.id, AGENT_ID);
});

t.test('an unreadable machine id exits 7', async (t) => {
  const r = await run(t, ['collect', '--state-dir', t.testdir()], {
    readMachineId: async () => {
      throw new MachineIdError("cannot read this machine's id: /etc/machine-id: ENOENT");
    },
  });
  t.equal(r.code, ExitCode.machineId);
  t.equal(r.stderr, "vcio-agent: error: cannot read this machine's id: /etc/machine-id: ENOENT\n");
  t.equal(r.stdout, '');
});

t.test('an unexpected failure exits 1 with one line, the stack only at debug level', async (t) => {
  const boom = { readMachineId: async () => Promise.reject(new RangeError('boom')) };
  const r = await run(t, ['collect', '--state-dir', t.testdir()], boom);
  t.equal(r.code, ExitCode.unexpected);
  t.equal(r.stderr, 'vcio-agent: error: boom\n');
  const d = await run(t, ['collect', '--state-dir', t.testdir(), '--log-level', 'trace'], boom);
  t.match(d.stderr, /^vcio-agent: error: boom\nRangeError: boom\n\s+at /);
  const odd = await run(t, ['collect', '--state-dir', t.testdir()], {
    readMachineId: async () => Promise.reject('a string'),
  });
  t.equal(odd.stderr, 'vcio-agent: error: a string\n');
});

t.test('help and version in-process', async (t) => {
  const help = await run(t, ['enroll', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, '--token <token>');
  t.match(help.stdout.replace(/\s+/g, ' '), 'env: VCIO_AGENT_ENROLL_TOKEN');
  const bad = await run(t, ['once', '--max-attempts', '0']);
  t.equal(bad.code, ExitCode.usage);
  t.match(
    bad.stderr,
    /^vcio-agent: error: option '--max-attempts <n>' argument '0' is invalid\. must be a whole number of at least 1/,
  );
  t.equal((await run(t, ['run', '--jitter', '1'])).code, ExitCode.usage);
});

t.test('enroll --force replaces credentials, even damaged ones', async (t) => {
  const collector = await startFakeCollector([
    { status: 201, body: { agentId: AGENT_ID, secret: 'new-secret', tenant: 'acme' } },
  ]);
  t.teardown(collector.close);
  const dir = t.testdir({ [CREDENTIALS_FILE]: '{broken' });
  const without = await run(t, [
    'enroll',
    '--url',
    collector.url,
    '--token',
    'tok',
    '--state-dir',
    dir,
  ]);
  t.equal(without.code, ExitCode.stateDir, 'a damaged file is reported, not silently replaced');
  const forced = await run(t, [
    'enroll',
    '--url',
    collector.url,
    '--token',
    'tok',
    '--force',
    '--state-dir',
    dir,
  ]);
  t.equal(forced.code, 0, forced.stderr);
  t.equal((await loadCredentials(dir)).secret, 'new-secret');
  t.notMatch(forced.logs, 'new-secret');
});

t.test('run in-process stops when asked and reports what it did', async (t) => {
  const stop = new AbortController();
  const collector = await startFakeCollector(() => {
    stop.abort();
    return { status: 202, body: {} };
  });
  t.teardown(collector.close);
  const dir = t.testdir({
    [CREDENTIALS_FILE]: JSON.stringify({
      collectorUrl: collector.url,
      agentId: AGENT_ID,
      secret: 's',
      tenant: 't',
      enrolledAt: '2026-01-01T00:00:00Z',
    }),
  });
  const r = await run(
    t,
    [
      'run',
      '--state-dir',
      dir,
      '--performance-every',
      '30',
      '--system-every',
      '60',
      '--software-every',
      '7200',
      '--security-every',
      '1800',
      '--max-attempts',
      '1',
    ],
    {},
    stop.signal,
  );
  t.equal(r.code, 0, r.stderr);
  t.equal(collector.received.length, 1);
  t.match(r.logs, /"msg":"agent stopped"/);
  t.match(r.logs, /"ticks":1/);
});

t.test('--only selection', async (t) => {
  t.same(
    selectCollectors(' performance , ,system', 'linux').map((c) => c.name),
    ['system', 'performance'],
  );
  t.throws(() => selectCollectors(',', 'linux'), UsageError);
  t.throws(() => selectCollectors('system', 'aix'), {
    message: "collector 'system' does not run on aix",
  });
});
