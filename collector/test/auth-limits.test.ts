// Rate limits on failed authentications and enrollment attempts: the buckets on a fake
// clock, the address keys, and the limits as a client at a remote address meets them
// (inject() sets the address; loopback is exempt, so the other tests are not limited).
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { sampleReport } from '@vcio/shared/testing';
import {
  AddressBuckets,
  addressKey,
  AuthLimits,
  DEFAULT_AUTH_LIMITS,
  type TakeResult,
} from '../src/http/auth-limits.js';
import { testCollector } from './helpers.js';

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
    payload: sampleReport({ agentId: agent.agentId }),
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
    payload: sampleReport({ agentId: agent.agentId }),
  });
  t.equal(agentLimited.statusCode, 429, 'a wrong agent secret is limited too');

  // Valid credentials from the same address still pass: one bad machine behind a shared
  // address must not stop the others.
  t.equal((await hosts(REMOTE, c.admin)).statusCode, 200, 'a valid API token still works');
  const report = await from(REMOTE, {
    method: 'POST',
    url: '/api/v1/reports',
    headers: { authorization: agent.authorization },
    payload: sampleReport({ agentId: agent.agentId }),
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
