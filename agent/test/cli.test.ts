// The compiled CLI, run as a separate process: exit codes, stdout/stderr discipline, and the
// enroll → once → run flow against a stand-in collector.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Report } from '@vcio/shared';
import t, { type TAP } from 'tap';
import { collectorNames, collectorsFor } from '../src/collectors/index.js';
import { ExitCode } from '../src/exit-codes.js';
import { SOFTWARE_ACK_FILE } from '../src/software-upload.js';
import { CREDENTIALS_FILE } from '../src/state.js';
import { AGENT_VERSION } from '../src/version.js';
import { closedPort, startFakeCollector, type FakeCollector } from './helpers/collector-server.js';
import { contractErrors } from './helpers/contract.js';
import { runCli, startCli } from './helpers/run-cli.js';

// Each case starts the agent one or more times (~0.5-1.5 s each); the whole file needs
// longer than tap's default 30 s, more so when test files run in parallel.
t.setTimeout(180_000);

const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';
const SECRET = 'cli-test-secret-0123456789';
/** What a full report from this machine holds: every collector's section, and the outbox's. */
const everything = [...collectorsFor(process.platform).map((c) => c.name), 'outbox'].sort();
const accepted = { status: 202, body: { reportId: 'x', duplicate: false, ignoredSections: [] } };

function stateEnv(dir: string): Record<string, string> {
  return { VCIO_AGENT_STATE_DIR: dir };
}

async function enrolledState(t: Pick<TAP, 'testdir'>, collector: FakeCollector): Promise<string> {
  const dir = t.testdir({
    [CREDENTIALS_FILE]: JSON.stringify({
      collectorUrl: collector.url,
      agentId: AGENT_ID,
      secret: SECRET,
      tenant: 'acme',
      enrolledAt: '2026-01-01T00:00:00.000Z',
    }),
  });
  return dir;
}

t.test('--version and --help', async (t) => {
  const version = await runCli(['--version']);
  t.equal(version.code, 0);
  t.equal(version.stdout, `${AGENT_VERSION}\n`);
  const help = await runCli(['--help']);
  t.equal(help.code, 0);
  for (const command of ['collect', 'enroll', 'once', 'run'])
    t.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
  t.match(help.stdout, /--state-dir <dir>.*\(env: VCIO_AGENT_STATE_DIR\)/s);
  const flat = help.stdout.replace(/\s+/g, ' ');
  t.match(
    flat,
    '--log-level <level> log level of the JSON logs on stderr (choices: "fatal", "error", "warn", "info", "debug", "trace", "silent", default: "info", env: VCIO_AGENT_LOG_LEVEL)',
  );
  for (const [command, flag] of [
    ['collect', '--only <names>'],
    ['enroll', '--insecure-http'],
    ['once', '--max-attempts <n>'],
    ['run', '--performance-every <seconds>'],
  ] as const) {
    const r = await runCli([command, '--help']);
    t.equal(r.code, 0, `${command} --help`);
    t.match(r.stdout, flag);
  }
});

t.test('usage errors exit 2 with one line naming the problem', async (t) => {
  const badFlag = await runCli(['collect', '--bogus']);
  t.equal(badFlag.code, ExitCode.usage);
  t.match(badFlag.stderr, /^vcio-agent: error: unknown option '--bogus'\n/);
  t.equal(badFlag.stdout, '');
  t.equal((await runCli([])).code, ExitCode.usage, 'no command');
  t.equal((await runCli(['frobnicate'])).code, ExitCode.usage, 'unknown command');
  const badLevel = await runCli(['collect'], { VCIO_AGENT_LOG_LEVEL: 'loud' });
  t.equal(badLevel.code, ExitCode.usage);
  t.match(badLevel.stderr, /Allowed choices are fatal, error/);
  const badNumber = await runCli(['run', '--performance-every', '0']);
  t.equal(badNumber.code, ExitCode.usage);
  t.match(badNumber.stderr, /must be a number greater than 0/);
  const missing = await runCli(['enroll', '--url', 'https://vcio.example.com']);
  t.equal(missing.code, ExitCode.usage);
  t.match(missing.stderr, /required option '--token <token>' not specified/);
  const unknownCollector = await runCli(
    ['collect', '--only', 'system,nope'],
    stateEnv(t.testdir()),
  );
  t.equal(unknownCollector.code, ExitCode.usage);
  t.equal(
    unknownCollector.stderr,
    `vcio-agent: error: unknown collector 'nope' in --only; valid collectors: ${collectorNames().join(', ')}\n`,
  );
  const insecure = await runCli(
    ['enroll', '--url', 'http://192.0.2.1', '--token', 't'],
    stateEnv(t.testdir()),
  );
  t.equal(insecure.code, ExitCode.usage);
  t.match(insecure.stderr, /refusing plain http:\/\/ to 192\.0\.2\.1/);
});

t.test('collect --only system prints one valid report on stdout and sends nothing', async (t) => {
  const r = await runCli(['collect', '--only', 'system'], stateEnv(t.testdir()));
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  t.same(contractErrors(Report, report), []);
  t.same(Object.keys(report.sections), ['system']);
  t.equal(
    report.agent.id,
    '00000000-0000-0000-0000-000000000000',
    'not enrolled: the nil agent id',
  );
  if (process.platform === 'linux')
    t.equal(report.host.machineId, readFileSync('/etc/machine-id', 'utf8').trim());
  t.equal(r.stdout.split('\n').length, 2, 'one line of JSON');
  const pretty = await runCli(
    ['collect', '--only', 'performance', '--pretty'],
    stateEnv(t.testdir()),
  );
  t.equal(pretty.code, 0);
  t.match(pretty.stdout, /^\{\n {2}"schema": "vcio\.report\/v1",/);
});

t.test('once without enrollment exits 3', async (t) => {
  const r = await runCli(['once'], stateEnv(t.testdir()));
  t.equal(r.code, ExitCode.notEnrolled);
  t.match(
    r.stderr,
    /^vcio-agent: error: not enrolled: no credentials in .*; run vcio-agent enroll --url URL --token TOKEN\n$/,
  );
});

t.test('enroll, then once: a valid gzip report reaches the collector', async (t) => {
  const collector = await startFakeCollector((req) =>
    req.url === '/api/v1/enroll'
      ? { status: 201, body: { agentId: AGENT_ID, secret: SECRET, tenant: 'acme' } }
      : accepted,
  );
  t.teardown(collector.close);
  const dir = path.join(t.testdir(), 'state');
  const enrolled = await runCli(
    ['enroll', '--url', collector.url, '--token', 'tok-123'],
    stateEnv(dir),
  );
  t.equal(enrolled.code, 0, enrolled.stderr);
  t.match(
    enrolled.stdout,
    `enrolled: agent ${AGENT_ID}, tenant acme, credentials in ${path.join(dir, CREDENTIALS_FILE)}`,
  );

  const again = await runCli(
    ['enroll', '--url', collector.url, '--token', 'tok-123'],
    stateEnv(dir),
  );
  t.equal(again.code, 0, 're-running the install script is harmless');
  t.match(again.stdout, /^already enrolled: agent /);
  const elsewhere = await runCli(
    ['enroll', '--url', 'https://other.example.com', '--token', 'tok-123'],
    stateEnv(dir),
  );
  t.equal(elsewhere.code, ExitCode.usage);
  t.match(elsewhere.stderr, /already enrolled with http:\/\/127\.0\.0\.1:\d+ .*pass --force/);
  t.equal(collector.received.length, 1, 'neither contacted the collector');

  const once = await runCli(['once'], stateEnv(dir));
  t.equal(once.code, 0, once.stderr);
  t.equal(once.stdout, '');
  const sent = collector.received.filter((r) => r.url === '/api/v1/reports');
  t.equal(sent.length, 1);
  t.equal(sent[0]?.headers['content-encoding'], 'gzip');
  const report = sent[0]?.json as Report;
  t.same(contractErrors(Report, report), []);
  t.equal(report.agent.id, AGENT_ID);
  t.same(Object.keys(report.sections).sort(), everything, 'every collector, and the outbox');
  const logLines = once.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(
    logLines.find((l) => l.msg === 'report sent'),
    { status: 202, attempts: 1, ms: Number, reportId: report.reportId },
  );
  t.notMatch(
    once.stderr + enrolled.stderr + enrolled.stdout,
    SECRET,
    'the secret appears in no output',
  );
});

t.test('enroll with a bad token exits 5', async (t) => {
  const collector = await startFakeCollector([
    { status: 401, body: { error: 'invalid_token', message: 'unknown enrollment token' } },
  ]);
  t.teardown(collector.close);
  const r = await runCli(
    ['enroll', '--url', collector.url, '--token', 'wrong'],
    stateEnv(t.testdir()),
  );
  t.equal(r.code, ExitCode.rejected);
  t.match(
    r.stderr,
    /vcio-agent: error: enrollment rejected by the collector: HTTP 401 invalid_token: unknown enrollment token\n$/,
  );
});

t.test('once: rejected exits 5, unreachable exits 4', async (t) => {
  const rejecting = await startFakeCollector([
    { status: 401, body: { error: 'unauthorized', message: 'agent revoked' } },
  ]);
  t.teardown(rejecting.close);
  const r = await runCli(['once'], stateEnv(await enrolledState(t, rejecting)));
  t.equal(r.code, ExitCode.rejected);
  t.match(
    r.stderr,
    /vcio-agent: error: report rejected by the collector: HTTP 401 unauthorized: agent revoked\n$/,
  );

  const port = await closedPort();
  const down = { url: `http://127.0.0.1:${port}` } as FakeCollector;
  const u = await runCli(['once', '--max-attempts', '2'], stateEnv(await enrolledState(t, down)));
  t.equal(u.code, ExitCode.unreachable);
  t.match(
    u.stderr,
    /vcio-agent: error: collector unreachable: report not accepted after 2 attempts .*ECONNREFUSED/,
  );
});

t.test('state directory problems exit 6; --log-level debug adds the stack', async (t) => {
  const base = t.testdir({ 'a-file': '' });
  const r = await runCli([
    'enroll',
    '--url',
    'https://vcio.example.com',
    '--token',
    't',
    '--state-dir',
    path.join(base, 'a-file', 'state'),
  ]);
  t.equal(r.code, ExitCode.stateDir);
  t.match(r.stderr, /^vcio-agent: error: cannot read .*: ENOTDIR\n$/);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace by default');

  const damaged = t.testdir({ [CREDENTIALS_FILE]: '{' });
  const d = await runCli(['once', '--log-level', 'debug'], stateEnv(damaged));
  t.equal(d.code, ExitCode.stateDir);
  t.match(d.stderr, /vcio-agent: error: .*credentials\.json is not valid JSON/);
  t.match(d.stderr, /\n\s+at /, 'stack trace with --log-level debug');
});

t.test('run: reports on its cadence and stops cleanly on SIGTERM', async (t) => {
  const collector = await startFakeCollector([accepted]);
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const agent = startCli(['run', '--performance-every', '1', '--jitter', '0'], stateEnv(dir));
  const deadline = Date.now() + 20_000;
  while (collector.received.length < 5 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  agent.child.kill('SIGTERM');
  const result = await agent.done;
  t.equal(result.code, 0, result.stderr);
  t.ok(collector.received.length >= 5, `${collector.received.length} reports`);
  const reports = collector.received.map((r) => r.json as Report);
  const sections = (r: Report | undefined): string[] =>
    Object.keys(r?.sections ?? {}).filter((s) => s !== 'outbox');
  // The first tick runs every collector, in two reports: the fast lane (performance,
  // system) at once, and the slow one (patches, software, security) when it is done;
  // performance reports go on meanwhile, the metrics never wait for a scan.
  const fast = reports.find((r) => sections(r).includes('system'));
  const slow = reports.find((r) => sections(r).includes('patches'));
  t.same(sections(fast).sort(), ['performance', 'system'], 'the fast lane');
  t.same(sections(slow).sort(), ['patches', 'security', 'software'], 'the slow lane');
  t.same(
    [...sections(fast), ...sections(slow), 'outbox'].sort(),
    everything,
    'the first tick sends everything',
  );
  const rest = reports.filter((r) => r !== fast && r !== slow);
  t.ok(rest.length >= 2);
  for (const r of rest) t.same(sections(r), ['performance'], 'then only what is due');
  for (const report of reports) t.same(contractErrors(Report, report), []);
  // steady state: the last report's interval is the time since the one before it
  const interval = rest.at(-1)?.sections.performance?.intervalSeconds ?? 0;
  t.ok(
    interval > 0.5 && interval < 10,
    `the interval is the time since the previous report (${interval} s)`,
  );
  t.match(result.stderr, /"msg":"agent started"/);
  t.match(result.stderr, /"msg":"agent stopped"/);
  t.equal(result.stdout, '');
});

t.test('once: a report kept while the collector is down goes out with the next run', async (t) => {
  const port = await closedPort();
  const dir = await enrolledState(t, { url: `http://127.0.0.1:${port}` } as FakeCollector);
  const down = await runCli(['once', '--max-attempts', '1'], stateEnv(dir));
  t.equal(down.code, ExitCode.unreachable, 'exit 4: the RMM script sees it');
  t.match(
    down.stderr,
    /"outbox":\{"queued":1,"dropped":0,"lastDroppedAt":null\},"msg":"report queued"/,
  );
  const queued = readdirSync(path.join(dir, 'outbox')).filter((n) => n.endsWith('.json'));
  t.equal(queued.filter((n) => n !== 'counters.json').length, 1, 'one report on disk');

  const collector = await startFakeCollector([accepted]);
  t.teardown(collector.close);
  writeFileSync(
    path.join(dir, CREDENTIALS_FILE),
    JSON.stringify({
      collectorUrl: collector.url,
      agentId: AGENT_ID,
      secret: SECRET,
      tenant: 'acme',
      enrolledAt: '2026-01-01T00:00:00.000Z',
    }),
  );
  const up = await runCli(['once'], stateEnv(dir));
  t.equal(up.code, 0, up.stderr);
  const reports = collector.received.map((r) => r.json as Report);
  t.equal(reports.length, 2, 'the kept report, then the new one');
  t.ok(reports[0]!.collectedAt <= reports[1]!.collectedAt, 'oldest first');
  t.not(reports[0]!.reportId, reports[1]!.reportId);
  t.same(
    readdirSync(path.join(dir, 'outbox')).filter(
      (n) => n !== 'counters.json' && n !== SOFTWARE_ACK_FILE,
    ),
    [],
    'queue empty',
  );
});

t.test('once: a report the collector refuses (400) is set aside, exit 5', async (t) => {
  const collector = await startFakeCollector([
    { status: 400, body: { error: 'invalid_report', message: 'bad' } },
  ]);
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const r = await runCli(['once'], stateEnv(dir));
  t.equal(r.code, ExitCode.rejected);
  t.match(r.stderr, /report rejected by the collector: HTTP 400 invalid_report: bad\n$/);
  const files = readdirSync(path.join(dir, 'outbox'));
  t.equal(files.filter((n) => n.endsWith('.rejected')).length, 1);
  t.equal(files.filter((n) => /^\d{16}-.*\.json$/.test(n)).length, 0, 'not retried forever');
});

t.test('run: a collector outage delays reports but loses or doubles none', async (t) => {
  const ids = new Set<string>();
  const collector = await startFakeCollector((req, index) => {
    if (index < 3) return { status: 503 };
    const { reportId } = req.json as Report;
    const duplicate = ids.has(reportId);
    ids.add(reportId);
    return { status: 202, body: { reportId, duplicate, ignoredSections: [] } };
  });
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const agent = startCli(
    ['run', '--performance-every', '1', '--jitter', '0', '--max-attempts', '1'],
    stateEnv(dir),
  );
  const deadline = Date.now() + 20_000;
  while (collector.received.length < 8 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  agent.child.kill('SIGTERM');
  const result = await agent.done;
  t.equal(result.code, 0, result.stderr);
  const stored = collector.received.slice(3).map((r) => r.json as Report);
  t.equal(new Set(stored.map((r) => r.reportId)).size, stored.length, 'no report twice');
  const times = stored.map((r) => r.collectedAt);
  t.same(times, [...times].sort(), 'in the order they were collected');
  t.same(
    collector.received.slice(0, 3).map((r) => (r.json as Report).reportId),
    Array.from({ length: 3 }, () => stored[0]!.reportId),
    'the oldest report is retried until it is through; nothing overtakes it',
  );
  t.match(result.stderr, /"msg":"agent stopped"/);
});
