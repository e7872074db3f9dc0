import { httpPost } from '../src/http-client.js';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { enroll } from '../src/enroll.js';
import { AgentError, NotEnrolledError, RejectedError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { silentLogger } from '../src/log.js';
import { CREDENTIALS_FILE, loadCredentials } from '../src/state.js';
import { DEFAULT_RETRY_POLICY, type TransportDeps } from '../src/transport.js';
import { AGENT_VERSION } from '../src/version.js';
import { captureLogger } from './helpers/capture-logger.js';
import { startFakeCollector } from './helpers/collector-server.js';

const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';
const SECRET = 'sUp3r-s3cret-agent-key';
const TOKEN = 'enroll-token-for-acme';
const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, requestTimeoutMs: 5000 };

const deps = (logger = silentLogger()): TransportDeps => ({
  post: httpPost,
  sleep: async () => {},
  random: () => 0,
  now: () => 0,
  logger,
});

t.test('enroll exchanges the token for credentials and stores them', async (t) => {
  const collector = await startFakeCollector([
    { status: 201, body: { agentId: AGENT_ID, secret: SECRET, tenant: 'acme' } },
  ]);
  t.teardown(collector.close);
  const stateDir = path.join(t.testdir(), 'state');
  const log = captureLogger();
  const { credentials, file } = await enroll({
    url: `${collector.url}/`,
    token: TOKEN,
    insecureHttp: false,
    machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
    hostname: 'vm',
    stateDir,
    policy,
    deps: deps(log.logger),
    logger: log.logger,
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  t.equal(collector.received[0]?.url, '/api/v1/enroll');
  t.same(collector.received[0]?.json, {
    token: TOKEN,
    machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4',
    hostname: 'vm',
    agentVersion: AGENT_VERSION,
  });
  t.same(credentials, {
    collectorUrl: collector.url,
    agentId: AGENT_ID,
    secret: SECRET,
    tenant: 'acme',
    enrolledAt: '2026-01-02T03:04:05.000Z',
  });
  t.equal(file, path.join(stateDir, CREDENTIALS_FILE));
  t.same(await loadCredentials(stateDir), credentials);
  if (process.platform !== 'win32') t.equal((await stat(file)).mode & 0o777, 0o600);
  t.notMatch(log.text(), SECRET, 'the secret is never logged');
  t.notMatch(log.text(), TOKEN, 'nor the enrollment token');
  t.match(log.text(), /"msg":"enrolled"/);
});

t.test('enroll remembers --insecure-http for later requests', async (t) => {
  const collector = await startFakeCollector([
    { status: 200, body: { agentId: AGENT_ID, secret: SECRET, tenant: 'acme' } },
  ]);
  t.teardown(collector.close);
  const { credentials } = await enroll({
    url: collector.url,
    token: TOKEN,
    insecureHttp: true,
    machineId: 'm',
    hostname: 'vm',
    stateDir: t.testdir(),
    policy,
    deps: deps(),
    logger: silentLogger(),
  });
  t.equal(credentials.insecureHttp, true);
});

t.test('a bad token is a rejection (exit 5) carrying the collector reason', async (t) => {
  const collector = await startFakeCollector([
    {
      status: 401,
      body: { error: 'invalid_token', message: 'unknown or revoked enrollment token' },
    },
  ]);
  t.teardown(collector.close);
  const stateDir = t.testdir();
  const err = (await enroll({
    url: collector.url,
    token: 'wrong',
    insecureHttp: false,
    machineId: 'm',
    hostname: 'vm',
    stateDir,
    policy,
    deps: deps(),
    logger: silentLogger(),
  }).catch((e: unknown) => e)) as RejectedError;
  t.type(err, RejectedError);
  t.equal(err.exitCode, ExitCode.rejected);
  t.equal(
    err.message,
    'enrollment rejected by the collector: HTTP 401 invalid_token: unknown or revoked enrollment token',
  );
  t.equal(collector.received.length, 1);
  await t.rejects(loadCredentials(stateDir), NotEnrolledError, 'nothing stored');
});

t.test('an answer without credentials is an error, and nothing is stored', async (t) => {
  for (const body of [
    'not json',
    { agentId: 'not-a-uuid', secret: 'x', tenant: 't' },
    { agentId: AGENT_ID, secret: '', tenant: 't' },
  ]) {
    const collector = await startFakeCollector([{ status: 200, body }]);
    const stateDir = t.testdir();
    const err = await enroll({
      url: collector.url,
      token: TOKEN,
      insecureHttp: false,
      machineId: 'm',
      hostname: 'vm',
      stateDir,
      policy,
      deps: deps(),
      logger: silentLogger(),
    }).catch((e: unknown) => e);
    await collector.close();
    t.type(err, AgentError);
    t.match((err as Error).message, /^enrollment answer from the collector/);
    await t.rejects(loadCredentials(stateDir), NotEnrolledError);
  }
});
