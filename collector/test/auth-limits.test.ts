// Rate limits on failed authentications and enrollment attempts: the buckets on a fake
// clock, the address keys, and the limits as a client at a remote address meets them
// (inject() sets the address; loopback is exempt, so the other tests are not limited).
import t from 'tap';
import { createRequire } from 'node:module';
import type { InjectOptions } from 'fastify';
import type { WebSocket } from 'ws';
import { sampleReport } from '@vcio/shared/testing';
import {
  AddressBuckets,
  addressKey,
  AuthLimits,
  DEFAULT_AUTH_LIMITS,
  type TakeResult,
} from '../src/http/auth-limits.js';
import { CLOSE } from '../src/live/protocol.js';
import { testCollector, type TestCollector } from './helpers.js';

const REMOTE = '203.0.113.7';
const OTHER = '198.51.100.9';
const FAILURE_BURST = DEFAULT_AUTH_LIMITS.failures.burst;
const ENROLL_BURST = DEFAULT_AUTH_LIMITS.enrollments.burst;

const allowed = (r: TakeResult) => r.allowed;

t.test('a bucket gives its burst, then refuses with the wait until the next token', async (t) => {
  let now = 1_000_000;
  const buckets = new AddressBuckets({ burst: 3, refillEveryMs: 10_000 }, 100, () => now);
  t.same(
    [1, 2, 3].map(() => allowed(buckets.take('a'))),
    [true, true, true],
  );
  const refused = buckets.take('a');
  t.same(refused, { allowed: false, waitMs: 10_000, first: true });
  t.match(buckets.take('a'), { allowed: false, first: false }, 'the episode is reported once');
  t.equal(buckets.wait('a'), 10_000, 'wait() takes nothing');
  t.equal(buckets.wait('b'), 0, 'an unknown address waits for nothing');
  t.equal(buckets.size, 1, 'wait() does not create a bucket');

  now += 4_000;
  t.equal(buckets.wait('a'), 6_000);
  now += 6_000;
  t.ok(allowed(buckets.take('a')), 'one token back after refillEveryMs');
  t.notOk(allowed(buckets.take('a')));
  now += 1_000_000;
  t.same(
    [1, 2, 3, 4].map(() => allowed(buckets.take('a'))),
    [true, true, true, false],
    'capped at the burst',
  );
});

t.test('the map of buckets stays within its cap', async (t) => {
  let now = 0;
  const buckets = new AddressBuckets({ burst: 2, refillEveryMs: 1_000 }, 50, () => now);
  let largest = 0;
  for (let i = 0; i < 10_000; i++) {
    // Each address failing once: none of these buckets is full, so eviction must work.
    buckets.take(`10.0.${i >> 8}.${i & 255}`);
    largest = Math.max(largest, buckets.size);
  }
  t.equal(largest, 50, '10,000 addresses, never more than 50 buckets');
  t.ok(allowed(buckets.take('10.0.39.15')), 'the newest are kept');

  // A refilled (full) bucket is the same as none, so those are dropped before any that
  // still limit someone.
  const sweep = new AddressBuckets({ burst: 2, refillEveryMs: 1_000 }, 4, () => now);
  sweep.take('limited');
  sweep.take('limited');
  t.notOk(allowed(sweep.take('limited')));
  now += 100;
  for (const key of ['x', 'y', 'z']) sweep.take(key);
  now += 2_000; // x, y, z are full again; 'limited' is too, so make it empty once more
  sweep.take('limited');
  sweep.take('limited');
  t.notOk(allowed(sweep.take('limited')));
  sweep.take('new');
  t.equal(sweep.size, 2, 'the full buckets went, the limiting one stayed');
  t.notOk(allowed(sweep.take('limited')), 'still limited after the sweep');
});

t.test('addresses are keyed per IPv4 address and per IPv6 /64, loopback exempt', async (t) => {
  t.equal(addressKey('203.0.113.7', true), '203.0.113.7');
  t.equal(addressKey('::ffff:203.0.113.7', true), '203.0.113.7', 'IPv4-mapped is IPv4');
  t.equal(addressKey('127.0.0.1', true), null);
  t.equal(addressKey('127.8.9.10', true), null);
  t.equal(addressKey('::ffff:127.0.0.1', true), null);
  t.equal(addressKey('::1', true), null);
  t.equal(addressKey('0:0:0:0:0:0:0:1', true), null);
  t.equal(addressKey('127.0.0.1', false), '127.0.0.1', 'loopback counted when not exempt');
  t.equal(addressKey('::1', false), '0:0:0:0::/64');
  t.equal(addressKey('2001:db8:1:2::1', true), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:DB8:1:2:ffff:eeee:dddd:cccc', true), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:db8::1', true), '2001:db8:0:0::/64');
  t.equal(addressKey('fe80::1%eth0', true), 'fe80:0:0:0::/64', 'the zone is dropped');
  t.equal(addressKey('64:ff9b::192.0.2.33', true), '64:ff9b:0:0::/64', 'embedded IPv4');
  t.equal(addressKey('2001:db8::1::2', true), '2001:db8::1::2', 'not IPv6: kept as is');
  t.equal(addressKey('2001:db8:zz::1', true), '2001:db8:zz::1');
  t.equal(addressKey('1:2:3:4:5:6:7', true), '1:2:3:4:5:6:7');
  t.equal(addressKey('::1.2.3.999', true), '::1.2.3.999');
  t.equal(new AuthLimits().key(undefined), null, 'no address (socket gone): not counted');
});

t.test('failed authentications from one address end in 429, nobody else is limited', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('limited-machine');
  const from = (remoteAddress: string, options: InjectOptions) =>
    c.app.inject({ ...options, remoteAddress });
  const wrong = { authorization: `Bearer ${c.secrets.adminToken}x` };
  const hosts = (remoteAddress: string, headers: Record<string, string>) =>
    from(remoteAddress, { method: 'GET', url: '/api/v1/hosts', headers });

  const statuses: number[] = [];
  for (let i = 0; i < FAILURE_BURST - 1; i++)
    statuses.push((await hosts(REMOTE, wrong)).statusCode);
  // Agents' failures count in the same bucket: a missing credential is a failure too.
  const noCredential = await from(REMOTE, {
    method: 'POST',
    url: '/api/v1/reports',
    payload: sampleReport({ agentId: agent.agentId, machineId: 'limited-machine' }),
  });
  statuses.push(noCredential.statusCode);
  t.same(
    statuses,
    new Array(FAILURE_BURST).fill(401),
    `the first ${FAILURE_BURST} failures are 401`,
  );

  const limited = await hosts(REMOTE, wrong);
  t.equal(limited.statusCode, 429);
  t.equal(limited.json().error, 'too_many_failures');
  const retry = Number(limited.headers['retry-after']);
  t.ok(
    retry >= 1 && retry <= DEFAULT_AUTH_LIMITS.failures.refillEveryMs / 1000,
    `Retry-After ${retry}`,
  );
  const agentLimited = await from(REMOTE, {
    method: 'POST',
    url: '/api/v1/reports',
    headers: { authorization: `${agent.authorization}x` },
    payload: sampleReport({ agentId: agent.agentId, machineId: 'limited-machine' }),
  });
  t.equal(agentLimited.statusCode, 429, 'a wrong agent secret is limited too');

  // Valid credentials from the same address still pass: one bad machine behind a shared
  // address must not stop the others.
  t.equal((await hosts(REMOTE, c.admin)).statusCode, 200, 'a valid API token still works');
  const report = await from(REMOTE, {
    method: 'POST',
    url: '/api/v1/reports',
    headers: { authorization: agent.authorization },
    payload: sampleReport({ agentId: agent.agentId, machineId: 'limited-machine' }),
  });
  t.equal(report.statusCode, 202, 'a valid agent still reports');

  t.equal((await hosts(OTHER, wrong)).statusCode, 401, 'another address is not limited');
  t.equal((await hosts('2001:db8:5:6::1', wrong)).statusCode, 401);
  for (let i = 0; i < FAILURE_BURST + 5; i++) await hosts('127.0.0.1', wrong);
  t.equal((await hosts('127.0.0.1', wrong)).statusCode, 401, 'loopback is exempt');
});

t.test('enrollment attempts per address are limited', async (t) => {
  const c = await testCollector(t);
  const enroll = (remoteAddress: string, token: string, machineId: string) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      remoteAddress,
      payload: { token, machineId, hostname: machineId, agentVersion: '0.1.0' },
    });

  const statuses: number[] = [];
  for (let i = 0; i < ENROLL_BURST; i++) {
    statuses.push((await enroll(REMOTE, c.secrets.enrollToken, `m-${i}`)).statusCode);
  }
  t.same(statuses, new Array(ENROLL_BURST).fill(201), `${ENROLL_BURST} enrollments at once`);
  const refused = await enroll(REMOTE, c.secrets.enrollToken, 'one-too-many');
  t.equal(refused.statusCode, 429);
  t.equal(refused.json().error, 'too_many_enrollments');
  const retry = Number(refused.headers['retry-after']);
  t.ok(
    retry >= 1 && retry <= DEFAULT_AUTH_LIMITS.enrollments.refillEveryMs / 1000,
    `Retry-After ${retry}`,
  );
  const malformed = await c.app.inject({
    method: 'POST',
    url: '/api/v1/enroll',
    remoteAddress: REMOTE,
    payload: { nonsense: true },
  });
  t.equal(malformed.statusCode, 429, 'refused before the body is looked at');
  t.equal((await enroll(OTHER, c.secrets.enrollToken, 'elsewhere')).statusCode, 201);
});

t.test('failed enrollments count as failed authentications', async (t) => {
  const c = await testCollector(t);
  const enroll = (token: string, machineId: string) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      remoteAddress: OTHER,
      payload: { token, machineId, hostname: machineId, agentVersion: '0.1.0' },
    });
  const [id] = c.secrets.enrollToken.split('.');
  const statuses: number[] = [];
  for (let i = 0; i < FAILURE_BURST; i++)
    statuses.push((await enroll(`${id}.wrong${i}`, `m-${i}`)).statusCode);
  t.same(statuses, new Array(FAILURE_BURST).fill(401));
  const next = await enroll(c.secrets.enrollToken, 'honest');
  t.equal(next.statusCode, 429, 'the address waits, even with a good token');
  t.equal(next.json().error, 'too_many_failures');
  t.ok(Number(next.headers['retry-after']) >= 1);
  const api = await c.app.inject({
    method: 'GET',
    url: '/api/v1/hosts',
    remoteAddress: OTHER,
    headers: { authorization: 'Bearer at_nobody.nothing' },
  });
  t.equal(api.statusCode, 429, 'and its API failures are limited as well');
});

/** The value of `name{surface="..."}` in a scrape of /metrics (from loopback, exempt). */
async function counter(c: TestCollector, name: string, surface: string): Promise<number> {
  const scrape = await c.app.inject({ method: 'GET', url: '/metrics', headers: c.admin });
  const line = new RegExp(`^${name}\\{surface="${surface}"\\} (\\d+)$`, 'm').exec(scrape.body);
  if (!line)
    throw new Error(`${name}{surface="${surface}"} not in /metrics (${scrape.statusCode})`);
  return Number(line[1]);
}

t.test("/metrics: wrong scrape credentials count with the address's other failures", async (t) => {
  const scrapeToken = 'scrape-token-0123456789';
  const c = await testCollector(t, {
    metrics: { auth: { bearerToken: scrapeToken, basic: null } },
  });
  const scrapeAs = (remoteAddress: string, token: string) =>
    c.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress,
      headers: { authorization: `Bearer ${token}` },
    });
  const metricsCount = async () => {
    const res = await scrapeAs('127.0.0.1', scrapeToken);
    const line = /^vcio_auth_failures_total\{surface="metrics"\} (\d+)$/m.exec(res.body);
    return {
      failures: Number(line?.[1]),
      limited: Number(
        /^vcio_auth_rate_limited_total\{surface="metrics"\} (\d+)$/m.exec(res.body)?.[1],
      ),
    };
  };
  const before = await metricsCount();

  // Half the burst on the API, half on /metrics: one bucket for the address.
  const half = FAILURE_BURST / 2;
  for (let i = 0; i < half; i++) {
    const res = await c.app.inject({
      method: 'GET',
      url: '/api/v1/hosts',
      remoteAddress: REMOTE,
      headers: { authorization: 'Bearer at_nobody.nothing' },
    });
    t.equal(res.statusCode, 401);
  }
  const statuses: number[] = [];
  for (let i = 0; i < FAILURE_BURST - half; i++)
    statuses.push((await scrapeAs(REMOTE, 'wrong-token')).statusCode);
  t.same(statuses, new Array(FAILURE_BURST - half).fill(401), 'under the limit: 401');
  const limited = await scrapeAs(REMOTE, 'wrong-token');
  t.equal(limited.statusCode, 429, 'past the limit: 429');
  t.equal(limited.json().error, 'too_many_failures');
  t.ok(Number(limited.headers['retry-after']) >= 1, 'with Retry-After');
  const noHeader = await c.app.inject({ method: 'GET', url: '/metrics', remoteAddress: REMOTE });
  t.equal(noHeader.statusCode, 429, 'no credential at all is a failure too');

  t.equal((await scrapeAs(REMOTE, scrapeToken)).statusCode, 200, 'the right token still scrapes');
  t.equal((await scrapeAs(OTHER, 'wrong-token')).statusCode, 401, 'another address is not limited');
  for (let i = 0; i < FAILURE_BURST + 2; i++) await scrapeAs('127.0.0.1', 'wrong-token');
  t.equal((await scrapeAs('127.0.0.1', 'wrong-token')).statusCode, 401, 'loopback is exempt');

  const after = await metricsCount();
  // REMOTE: burst-half + 2 refused-by-limit; OTHER: 1; loopback: burst + 3 (counted, not limited)
  t.equal(
    after.failures - before.failures,
    FAILURE_BURST - half + 2 + 1 + FAILURE_BURST + 3,
    'every failure counted, loopback too',
  );
  t.equal(after.limited - before.limited, 2, 'the 429s counted');
});

// The ws package as @fastify/websocket installs it (the collector does not depend on it directly).
const requireHere = createRequire(import.meta.url);
const RealWebSocket = createRequire(requireHere.resolve('@fastify/websocket'))(
  'ws',
) as typeof WebSocket;

/** Opens the live feed, sends `first` (if any), and collects what comes until the close. */
async function liveSession(
  c: TestCollector,
  first: object | null,
): Promise<{
  messages: { type: string; error?: string; retryAfterSeconds?: number }[];
  code: number;
}> {
  const { port } = c.app.server.address() as { port: number };
  const ws = new RealWebSocket(`ws://127.0.0.1:${port}/api/v1/live`);
  const messages: { type: string }[] = [];
  ws.on('message', (data) => messages.push(...(JSON.parse(data.toString()) as { type: string }[])));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  if (first) ws.send(JSON.stringify(first));
  const code = await new Promise<number>((resolve) => {
    ws.on('message', () => {
      // a hello means signed in: nothing more to wait for
      if (messages.some((m) => m.type === 'hello')) ws.close(1000);
    });
    ws.once('close', (closeCode) => resolve(closeCode));
  });
  return { messages, code };
}

t.test(
  'the live websocket: failures count, and past the limit the socket is closed 1008',
  async (t) => {
    const c = await testCollector(t, {
      listen: true,
      live: { batchMs: 2, authTimeoutSeconds: 0.2 },
    });
    // The sockets come from 127.0.0.1: make loopback count for this collector.
    c.app.authLimits!.options.exemptLoopback = false;
    const before = {
      failures: await counter(c, 'vcio_auth_failures_total', 'live'),
      limited: await counter(c, 'vcio_auth_rate_limited_total', 'live'),
    };
    const [id] = c.secrets.adminToken.split('.');
    const codes: number[] = [];
    codes.push((await liveSession(c, null)).code); // no token in time
    codes.push((await liveSession(c, { type: 'ping' })).code); // a command before auth
    for (let i = 2; i < FAILURE_BURST; i++)
      codes.push((await liveSession(c, { type: 'auth', token: `${id}.wrong${i}` })).code);
    t.same(codes, new Array(FAILURE_BURST).fill(CLOSE.unauthenticated), 'under the limit: 4401');

    const limited = await liveSession(c, { type: 'auth', token: `${id}.wrong` });
    t.equal(limited.code, CLOSE.tooManyFailures, 'past the limit: closed 1008');
    t.match(limited.messages, [{ type: 'error', error: 'too_many_failures' }]);
    const wait = limited.messages[0]?.retryAfterSeconds ?? 0;
    t.ok(
      wait >= 1 && wait <= DEFAULT_AUTH_LIMITS.failures.refillEveryMs / 1000,
      `retry after ${wait} s`,
    );

    const good = await liveSession(c, { type: 'auth', token: c.secrets.adminToken });
    t.match(good.messages, [{ type: 'hello' }], 'a valid token still signs in');
    const api = await c.app.inject({
      method: 'GET',
      url: '/api/v1/hosts',
      remoteAddress: '127.0.0.1',
      headers: { authorization: 'Bearer at_nobody.nothing' },
    });
    t.equal(api.statusCode, 429, 'the same bucket as the REST API');

    c.app.authLimits!.options.exemptLoopback = true; // the scrapes below come from loopback
    t.equal(
      await counter(c, 'vcio_auth_failures_total', 'live'),
      before.failures + FAILURE_BURST + 1,
    );
    t.equal(await counter(c, 'vcio_auth_rate_limited_total', 'live'), before.limited + 1);
  },
);
