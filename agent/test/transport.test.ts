import { httpPost } from '../src/http-client.js';
import type { Report } from '@vcio/shared';
import t from 'tap';
import { RejectedError, UnreachableError, UsageError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { silentLogger } from '../src/log.js';
import { NIL_AGENT_ID } from '../src/report-builder.js';
import type { Credentials } from '../src/state.js';
import {
  apiUrl,
  backoffDelayMs,
  checkCollectorUrl,
  DEFAULT_RETRY_POLICY,
  describeErrorBody,
  describeFetchError,
  isLoopbackHost,
  isRetryableStatus,
  parseRetryAfter,
  postJson,
  postWithRetry,
  sendReport,
  type TransportDeps,
} from '../src/transport.js';
import { closedPort, startFakeCollector } from './helpers/collector-server.js';

const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';
const SECRET = 'the-agent-secret-value';

function deps(): TransportDeps & { slept: number[] } {
  const slept: number[] = [];
  return {
    post: httpPost,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new Error('aborted');
      slept.push(ms);
    },
    random: () => 0.5,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    logger: silentLogger(),
    slept,
  };
}

const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, requestTimeoutMs: 5000 };

const report: Report = {
  schema: 'vcio.report/v1',
  reportId: '0b8f2f8e-2d7a-4f39-9a51-5e2b9e0d1c11',
  agent: { id: AGENT_ID, version: '0.1.0' },
  host: { machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4', hostname: 'vm' },
  collectedAt: '2026-01-01T00:00:00.000Z',
  sections: {},
  errors: [],
};

const credentialsFor = (url: string): Credentials => ({
  collectorUrl: url,
  agentId: AGENT_ID,
  secret: SECRET,
  tenant: 'acme',
  enrolledAt: '2026-01-01T00:00:00.000Z',
});

t.test('a report arrives gzip-compressed with the agent credentials', async (t) => {
  const collector = await startFakeCollector([
    { status: 202, body: { reportId: report.reportId, duplicate: false, ignoredSections: [] } },
  ]);
  t.teardown(collector.close);
  const result = await sendReport(report, credentialsFor(collector.url), { policy, deps: deps() });
  t.equal(result.status, 202);
  t.equal(result.attempts, 1);
  t.same(result.accepted, { reportId: report.reportId, duplicate: false, ignoredSections: [] });
  const [req] = collector.received;
  t.equal(req?.method, 'POST');
  t.equal(req?.url, '/api/v1/reports');
  t.equal(req?.headers['content-encoding'], 'gzip');
  t.equal(req?.headers['content-type'], 'application/json');
  t.equal(req?.headers.authorization, `Bearer ${AGENT_ID}.${SECRET}`);
  t.equal(req?.raw[0], 0x1f, 'gzip magic byte');
  t.same(req?.json, report, 'the body decompresses to the report');
});

t.test('5xx and 429 are retried with backoff until accepted', async (t) => {
  const collector = await startFakeCollector([
    { status: 503, body: { error: 'unavailable', message: 'starting' } },
    { status: 429 },
    { status: 500 },
    { status: 202, body: {} },
  ]);
  t.teardown(collector.close);
  const d = deps();
  const result = await sendReport(report, credentialsFor(collector.url), { policy, deps: d });
  t.equal(result.status, 202);
  t.equal(result.attempts, 4);
  t.equal(collector.received.length, 4);
  t.same(d.slept, [500, 1000, 2000], 'full jitter with random()=0.5: half of 1 s, 2 s, 4 s');
  t.same(
    collector.received.map((r) => r.json),
    [report, report, report, report],
    'the same report id every time',
  );
});

t.test('Retry-After in seconds or as an HTTP date wins over the backoff', async (t) => {
  const collector = await startFakeCollector([
    { status: 429, headers: { 'retry-after': '7' } },
    { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' } },
    { status: 503, headers: { 'retry-after': '999999' } },
    { status: 202 },
  ]);
  t.teardown(collector.close);
  const d = deps();
  await sendReport(report, credentialsFor(collector.url), { policy, deps: d });
  t.same(d.slept, [7000, 30_000, DEFAULT_RETRY_POLICY.capDelayMs], 'capped at 5 minutes');
});

t.test('a 400 is not retried and says what the collector said', async (t) => {
  const collector = await startFakeCollector([
    { status: 400, body: { error: 'invalid_report', message: '/sections/system/cpu: required' } },
  ]);
  t.teardown(collector.close);
  const err = (await sendReport(report, credentialsFor(collector.url), {
    policy,
    deps: deps(),
  }).catch((e: unknown) => e)) as RejectedError;
  t.type(err, RejectedError);
  t.equal(err.exitCode, ExitCode.rejected);
  t.equal(err.status, 400);
  t.equal(
    err.message,
    'report rejected by the collector: HTTP 400 invalid_report: /sections/system/cpu: required',
  );
  t.equal(collector.received.length, 1, 'no retry');
});

t.test('401, 403, 413 are rejections too', async (t) => {
  for (const [status, body] of [
    [401, { error: 'unauthorized', message: 'unknown agent' }],
    [403, 'Forbidden'],
    [413, ''],
  ] as const) {
    const collector = await startFakeCollector([{ status, body }]);
    const err = (await sendReport(report, credentialsFor(collector.url), {
      policy,
      deps: deps(),
    }).catch((e: unknown) => e)) as Error;
    await collector.close();
    t.type(err, RejectedError, String(status));
    t.equal(collector.received.length, 1);
    t.match(err.message, new RegExp(`^report rejected by the collector: HTTP ${status}`));
  }
});

t.test('a collector that stays down is "unreachable" after the last attempt', async (t) => {
  const collector = await startFakeCollector([{ status: 502, body: 'Bad Gateway' }]);
  t.teardown(collector.close);
  const err = (await sendReport(report, credentialsFor(collector.url), {
    policy,
    deps: deps(),
  }).catch((e: unknown) => e)) as UnreachableError;
  t.type(err, UnreachableError);
  t.equal(err.exitCode, ExitCode.unreachable);
  t.match(
    err.message,
    /^collector unreachable: report not accepted after 4 attempts \(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/reports\): HTTP 502 Bad Gateway$/,
  );
  t.equal(collector.received.length, 4);
});

t.test('connection refused is retried, then unreachable with the cause', async (t) => {
  const port = await closedPort();
  const d = deps();
  const err = (await sendReport(report, credentialsFor(`http://127.0.0.1:${port}`), {
    policy: { ...policy, maxAttempts: 2 },
    deps: d,
  }).catch((e: unknown) => e)) as UnreachableError;
  t.type(err, UnreachableError);
  t.match(err.message, /after 2 attempts .*ECONNREFUSED/);
  t.same(d.slept, [500]);
});

t.test('stopping the agent ends the retries without waiting', async (t) => {
  const collector = await startFakeCollector([{ status: 503 }]);
  t.teardown(collector.close);
  const stop = new AbortController();
  stop.abort();
  const err = (await sendReport(report, credentialsFor(collector.url), {
    policy,
    deps: deps(),
    signal: stop.signal,
  }).catch((e: unknown) => e)) as Error;
  t.match(err.message, /^stopping: gave up retrying the report \(last problem: HTTP 503\)$/);
  t.equal(
    collector.received.length,
    1,
    'the request on the wire was completed, no new one started',
  );

  const d = deps();
  const stopDuringWait = new AbortController();
  d.sleep = async () => {
    stopDuringWait.abort();
    throw new Error('aborted');
  };
  await t.rejects(
    sendReport(report, credentialsFor(collector.url), {
      policy,
      deps: d,
      signal: stopDuringWait.signal,
    }),
    /^stopping/,
  );
});

t.test('plain http:// only to loopback unless allowed', async (t) => {
  t.equal(checkCollectorUrl('https://vcio.example.com', false).hostname, 'vcio.example.com');
  t.equal(checkCollectorUrl('http://127.0.0.1:8080', false).port, '8080');
  t.equal(checkCollectorUrl('http://localhost:8080', false).hostname, 'localhost');
  t.equal(checkCollectorUrl('http://[::1]:8080', false).hostname, '[::1]');
  t.equal(checkCollectorUrl('http://vcio.lan', true).hostname, 'vcio.lan');
  t.throws(() => checkCollectorUrl('http://vcio.lan', false), UsageError);
  t.throws(() => checkCollectorUrl('http://vcio.lan', false), {
    message: /^refusing plain http:\/\/ to vcio\.lan: .* pass --insecure-http/,
  });
  t.throws(() => checkCollectorUrl('ftp://vcio.lan', false), /must start with https:\/\//);
  t.throws(() => checkCollectorUrl('not a url', false), /invalid collector URL 'not a url'/);
  t.throws(
    () => checkCollectorUrl('https://user:pw@vcio.lan', false),
    /must not contain a user name or password/,
  );
  const err = (await sendReport(report, credentialsFor('http://192.0.2.10'), {
    policy,
    deps: deps(),
  }).catch((e: unknown) => e)) as UsageError;
  t.type(err, UsageError, 'sendReport checks the stored URL too');
  await t.rejects(
    sendReport(
      report,
      { ...credentialsFor('http://192.0.2.10:1'), insecureHttp: true },
      { policy: { ...policy, maxAttempts: 1, requestTimeoutMs: 200 }, deps: deps() },
    ),
    UnreachableError,
    'allowed when enrolled with --insecure-http',
  );
});

t.test('helpers', async (t) => {
  t.ok(isLoopbackHost('127.0.0.1'));
  t.ok(isLoopbackHost('127.1.2.3'));
  t.ok(isLoopbackHost('LOCALHOST'));
  t.ok(isLoopbackHost('agent.localhost'));
  t.ok(isLoopbackHost('[::1]'));
  t.notOk(isLoopbackHost('128.0.0.1'));
  t.notOk(isLoopbackHost('localhost.example.com'));

  t.equal(apiUrl('https://h/', 'reports'), 'https://h/api/v1/reports');
  t.equal(apiUrl('https://h/vcio', 'enroll'), 'https://h/vcio/api/v1/enroll');

  const p = { ...DEFAULT_RETRY_POLICY };
  t.equal(
    backoffDelayMs(0, p, () => 0.999),
    999,
  );
  t.equal(
    backoffDelayMs(3, p, () => 0.5),
    4000,
  );
  t.equal(
    backoffDelayMs(20, p, () => 0.5),
    150_000,
    'capped at 5 minutes before jitter',
  );
  t.equal(
    backoffDelayMs(5, p, () => 0),
    0,
  );

  t.equal(parseRetryAfter(null, 0), null);
  t.equal(parseRetryAfter('120', 0), 120_000);
  t.equal(
    parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', Date.parse('2026-01-01T00:00:00Z')),
    60_000,
  );
  t.equal(
    parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', Date.parse('2026-01-02T00:00:00Z')),
    0,
    'a past date means now',
  );
  t.equal(parseRetryAfter('soon', 0), null);

  for (const s of [408, 429, 500, 502, 503, 504]) t.ok(isRetryableStatus(s), String(s));
  for (const s of [400, 401, 403, 404, 409, 413, 422]) t.notOk(isRetryableStatus(s), String(s));

  t.equal(
    describeErrorBody('{"error":"invalid_token","message":"unknown enrollment token"}'),
    'invalid_token: unknown enrollment token',
  );
  t.equal(describeErrorBody('{"message":"only a message"}'), 'only a message');
  t.equal(describeErrorBody('{"other":1}'), '{"other":1}');
  t.equal(describeErrorBody('<html>502</html>'), '<html>502</html>');

  const timeout = new Error('The operation was aborted due to timeout');
  timeout.name = 'TimeoutError';
  t.equal(describeFetchError(timeout, 30_000), 'no answer within 30 s');
  t.equal(
    describeFetchError(new TypeError('fetch failed', { cause: { code: 'EAI_AGAIN' } }), 1),
    'EAI_AGAIN',
  );
  t.equal(describeFetchError('weird', 1), 'weird');
});

t.test('a request that gets no answer in time is retried', async (t) => {
  const collector = await startFakeCollector((_req, i) =>
    i === 0 ? { status: 202, headers: {} } : { status: 202 },
  );
  t.teardown(collector.close);
  let calls = 0;
  const d = deps();
  d.post = async (url, request) => {
    calls++;
    if (calls === 1) {
      const err = new Error('The operation was aborted due to timeout');
      err.name = 'TimeoutError';
      throw err;
    }
    return httpPost(url, request);
  };
  const result = await postWithRetry(
    `${collector.url}/x`,
    { a: 1 },
    { what: 'thing', policy, deps: d },
  );
  t.equal(result.attempts, 2);
});

t.test('postJson sends plain JSON when not compressing, and honours a caller signal', async (t) => {
  const collector = await startFakeCollector([{ status: 200, body: { ok: true } }]);
  t.teardown(collector.close);
  const response = await postJson(
    `${collector.url}/plain`,
    { hello: 'world' },
    { timeoutMs: 5000, signal: new AbortController().signal },
  );
  t.equal(response.status, 200);
  t.same(JSON.parse(response.body), { ok: true });
  t.equal(collector.received[0]?.headers['content-encoding'], undefined);
  t.same(collector.received[0]?.json, { hello: 'world' });
});

t.test('a 2xx without a JSON body still counts as stored', async (t) => {
  const collector = await startFakeCollector([{ status: 202, body: 'stored' }]);
  t.teardown(collector.close);
  const result = await sendReport(
    { ...report, agent: { id: NIL_AGENT_ID, version: '0.1.0' } },
    credentialsFor(collector.url),
    { policy, deps: deps() },
  );
  t.equal(result.accepted, null);
});
