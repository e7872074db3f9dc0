// The live feed through the real route, over real sockets (injectWS's in-memory stream
// drops the client's control frames: pongs and close handshakes): authentication, tenant scoping, subscriptions, the events of a report, presence,
// heartbeats, resume, and every bad input answered with an error rather than a crash.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createRequire } from 'node:module';
import type { WebSocket } from 'ws';
import { sampleReport, sampleSystem } from '@vcio/shared/testing';
import { liveClientCount, type LiveOptions } from '../src/live/index.js';
import { CLOSE } from '../src/live/protocol.js';
import { CONSOLE_CSP } from '../src/routes/console.js';
import { buildServer } from '../src/server.js';
import {
  enrollIn,
  readOnlyToken as scopedToken,
  testCollector,
  type TestCollector,
} from './helpers.js';
import { patchSource, patches, pending, reportWith, send } from './sections.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** testCollector (helpers.ts) with the live feed's settings made short for tests. */
const liveCollector = (t: Teardown, live: Partial<LiveOptions> = {}): Promise<TestCollector> =>
  testCollector(t, { live: { batchMs: 2, ...live }, listen: true });

// The ws package as @fastify/websocket installs it (the collector does not depend on it directly).
const requireHere = createRequire(import.meta.url);
const RealWebSocket = createRequire(requireHere.resolve('@fastify/websocket'))(
  'ws',
) as typeof WebSocket;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

/** A websocket client that records every message and waits for the ones a test expects. */
class Client {
  readonly messages: Message[] = [];
  private seen = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      for (const m of JSON.parse(data.toString()) as Message[]) this.messages.push(m);
      for (const w of this.waiters) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async open(
    c: { app: TestCollector['app'] },
    t: Teardown,
    options: { headers?: Record<string, string>; autoPong?: boolean } = {},
  ) {
    const { port } = c.app.server.address() as { port: number };
    const client = new Client(new RealWebSocket(`ws://127.0.0.1:${port}/api/v1/live`, options));
    t.teardown(() => client.ws.terminate());
    await new Promise((resolve, reject) => {
      client.ws.once('open', resolve);
      client.ws.once('error', reject);
    });
    return client;
  }

  send(message: object | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (after those already taken) that matches; fails after timeoutMs. */
  next(match: (m: Message) => boolean = () => true, timeoutMs = 3000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        while (this.seen < this.messages.length) {
          const m = this.messages[this.seen++];
          if (match(m)) {
            this.waiters = this.waiters.filter((w) => w !== check);
            clearTimeout(timer);
            resolve(m);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(
          new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`),
        );
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  type(type: string, timeoutMs?: number): Promise<Message> {
    return this.next((m) => m.type === type, timeoutMs);
  }

  async signIn(token: string): Promise<Message> {
    this.send({ type: 'auth', token });
    return this.type('hello');
  }
}

t.test(
  'authentication: first message, header, wrong token, timeout, nothing before auth',
  async (t) => {
    const c = await liveCollector(t, { authTimeoutSeconds: 0.3 });

    const viaMessage = await Client.open(c, t);
    const hello = await viaMessage.signIn(c.secrets.adminToken);
    t.match(hello, { type: 'hello', tenant: null, heartbeatSeconds: 20, resumeSeconds: 60 });
    t.type(hello.lastId, 'number');
    viaMessage.send({ type: 'auth', token: c.secrets.adminToken });
    t.match(await viaMessage.type('error'), { error: 'already_authenticated' });

    const viaHeader = await Client.open(c, t, {
      headers: { authorization: `Bearer ${c.secrets.adminToken}` },
    });
    t.match(await viaHeader.type('hello'), { type: 'hello' });
    t.equal(liveClientCount(), 2, 'connected clients, for the metrics');
    const scrape = await c.app.inject({ method: 'GET', url: '/metrics', headers: c.admin });
    if (scrape.statusCode === 200) t.match(scrape.body, /^vcio_live_clients 2$/m);
    else t.fail(`/metrics answered ${scrape.statusCode}: ${scrape.body.slice(0, 200)}`);

    const wrong = await Client.open(c, t);
    wrong.send({ type: 'auth', token: `${c.secrets.adminToken.split('.')[0]}.wrong` });
    t.match(await wrong.type('error'), {
      error: 'unauthenticated',
      message: /unknown, revoked or wrong/,
    });
    t.equal((await wrong.closed).code, CLOSE.unauthenticated);

    const badHeader = await Client.open(c, t, { headers: { authorization: 'Basic nope' } });
    t.equal((await badHeader.closed).code, CLOSE.unauthenticated);

    const early = await Client.open(c, t);
    early.send({ type: 'subscribe' });
    t.match(await early.type('error'), { message: /auth/ });
    t.equal((await early.closed).code, CLOSE.unauthenticated);

    const silent = await Client.open(c, t);
    t.match(await silent.type('error', 2000), { message: /timed out/ });
    t.equal((await silent.closed).code, CLOSE.unauthenticated);

    const garbage = await Client.open(c, t);
    garbage.send('{');
    t.match(await garbage.type('error'), { error: 'invalid_json' });
    garbage.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    t.match(await garbage.type('error'), { error: 'invalid_json', message: /text frames/ });
    t.equal(garbage.ws.readyState, garbage.ws.OPEN, 'bad input is answered, not fatal');

    // pipelined: auth and subscribe sent at once, handled in order
    const eager = await Client.open(c, t);
    eager.send({ type: 'auth', token: c.secrets.adminToken });
    eager.send({ type: 'subscribe', tenant: 'default' });
    await eager.type('hello');
    t.match(await eager.type('subscribed'), { tenant: c.secrets.tenant.id });

    const flood = await Client.open(c, t);
    await flood.signIn(c.secrets.adminToken);
    for (let i = 0; i < 2000; i++) flood.send({ type: 'subscribe', tenant: 'default' });
    t.equal((await flood.closed).code, CLOSE.flooding, 'a flood of messages is cut');

    const plain = await c.app.inject({ method: 'GET', url: '/api/v1/live' });
    t.equal(plain.statusCode, 426, 'plain HTTP is told to upgrade');
    t.match(plain.json(), { error: 'upgrade_required' });
  },
);

t.test('a report becomes host.reported (and host.online) with its summary', async (t) => {
  const c = await liveCollector(t);
  const client = await Client.open(c, t);
  await client.signIn(c.secrets.adminToken);
  client.send({ type: 'subscribe', tenant: 'default' });
  const subscribed = await client.type('subscribed');
  t.match(subscribed, { tenant: c.secrets.tenant.id, online: [] });

  const agent = await c.enroll('m-1');
  t.match(await client.type('agent.enrolled'), {
    tenant: c.secrets.tenant.id,
    data: { agentId: agent.agentId, hostname: 'host-m-1', machineId: 'm-1' },
  });

  const report = reportWith(agent, 'm-1', {
    ...sampleReport({ sections: ['system', 'performance'] }).sections,
    patches: {
      ...patches([patchSource('apt', [pending('openssl', '1', '2')])]),
      rebootRequired: true,
    },
  });
  t.equal((await send(c, agent, report)).statusCode, 202);
  const online = await client.type('host.online');
  const reported = await client.type('host.reported');
  t.ok(reported.id > online.id, 'online first, then the report');
  t.match(reported, {
    tenant: c.secrets.tenant.id,
    host: online.host,
    data: {
      hostId: online.host,
      hostname: report.host.hostname,
      agentId: agent.agentId,
      reportId: report.reportId,
      sections: ['system', 'performance', 'patches'],
      os: { platform: report.sections.system!.os.platform },
      patches: { pending: 1, security: 0, rebootRequired: true, failedSources: 0 },
      performance: { intervalSeconds: report.sections.performance!.intervalSeconds },
    },
  });
  t.ok(Date.parse(reported.at) > 0 && Date.parse(reported.data.lastSeen) > 0);

  // the second report: no new online event, a new host.reported with null OS
  await send(c, agent, reportWith(agent, 'm-1', { performance: report.sections.performance! }));
  const second = await client.type('host.reported');
  t.equal(second.id, reported.id + 1, 'ids are consecutive');
  t.equal(second.data.os, null, 'a performance-only report says nothing of the OS');
  t.notOk(
    client.messages.some((m) => m.type === 'host.online' && m.id > reported.id),
    'no second host.online',
  );

  client.send({ type: 'ping' });
  t.match(await client.type('pong'), { lastId: second.id });

  client.send({ type: 'unsubscribe', tenant: 'default' });
  await client.type('unsubscribed');
  await send(c, agent, reportWith(agent, 'm-1', { performance: report.sections.performance! }));
  client.send({ type: 'ping' });
  await client.type('pong');
  t.notOk(
    client.messages.some((m) => m.type === 'host.reported' && m.id > second.id),
    'nothing after unsubscribing',
  );
});

t.test('tenant scoping: a scoped token sees its tenant only', async (t) => {
  const c = await liveCollector(t);
  const acme = { id: randomUUID(), slug: 'acme', name: 'Acme', createdAt: new Date() };
  await c.store.tenants.createTenant(acme);
  const acmeToken = await scopedToken(c, acme.id);

  const scoped = await Client.open(c, t);
  t.match(await scoped.signIn(acmeToken), { tenant: acme.id });
  scoped.send({ type: 'subscribe', tenant: 'default' });
  t.match(await scoped.type('error'), { error: 'forbidden' });
  scoped.send({ type: 'subscribe', tenant: 'nope' });
  t.match(await scoped.type('error'), { error: 'not_found', message: /no tenant nope/ });
  scoped.send({ type: 'subscribe' }); // everything it may see: its tenant
  t.match(await scoped.type('subscribed'), { tenant: acme.id });

  const admin = await Client.open(c, t);
  await admin.signIn(c.secrets.adminToken);
  admin.send({ type: 'subscribe' });
  t.notOk((await admin.type('subscribed')).tenant, 'an admin subscribes to every tenant');

  const mine = await enrollIn(c, acme.id, 'acme-1');
  const theirs = await c.enroll('default-1');
  await send(
    c,
    theirs,
    reportWith(theirs, 'default-1', { performance: sampleReport().sections.performance! }),
  );
  await send(
    c,
    mine,
    reportWith(mine, 'acme-1', { performance: sampleReport().sections.performance! }),
  );

  const adminSaw = await admin.next((m) => m.type === 'host.reported' && m.tenant === acme.id);
  t.ok(admin.messages.some((m) => m.type === 'host.reported' && m.tenant === c.secrets.tenant.id));
  const scopedSaw = await scoped.type('host.reported');
  t.equal(scopedSaw.tenant, acme.id);
  scoped.send({ type: 'ping' });
  await scoped.type('pong');
  t.notOk(
    scoped.messages.some((m) => m.tenant !== undefined && m.tenant !== acme.id),
    'nothing of another tenant',
  );

  const otherHost = admin.messages.find(
    (m) => m.type === 'host.reported' && m.tenant === c.secrets.tenant.id,
  ).host;
  scoped.send({ type: 'subscribe', host: otherHost });
  t.match(
    await scoped.type('error'),
    { error: 'not_found' },
    'another tenant’s host does not exist',
  );
  scoped.send({ type: 'subscribe', host: adminSaw.host });
  t.match(await scoped.type('subscribed'), { host: adminSaw.host, online: [adminSaw.host] });
  scoped.send({ type: 'subscribe', host: 'no-such-host' });
  t.match(await scoped.type('error'), { error: 'not_found' });

  // a host subscription alone
  const hostOnly = await Client.open(c, t);
  await hostOnly.signIn(c.secrets.adminToken);
  hostOnly.send({ type: 'subscribe', host: otherHost });
  await hostOnly.type('subscribed');
  await send(
    c,
    mine,
    reportWith(mine, 'acme-1', { performance: sampleReport().sections.performance! }),
  );
  await send(
    c,
    theirs,
    reportWith(theirs, 'default-1', { performance: sampleReport().sections.performance! }),
  );
  const got = await hostOnly.type('host.reported');
  t.equal(got.host, otherHost, 'only the subscribed host');
  hostOnly.send({ type: 'unsubscribe', host: otherHost });
  await hostOnly.type('unsubscribed');
  hostOnly.send({ type: 'unsubscribe' });
  await hostOnly.type('unsubscribed');
});

t.test(
  'heartbeats over a real socket, and a client that stops answering pings is cut',
  async (t) => {
    const c = await liveCollector(t, { heartbeatSeconds: 0.1 });
    const client = await Client.open(c, t);
    t.match(await client.signIn(c.secrets.adminToken), { heartbeatSeconds: 0.1 });
    const beat = await client.type('heartbeat');
    t.type(beat.lastId, 'number');
    t.ok(Date.parse(beat.at) > 0);
    for (let i = 0; i < 4; i++) await client.type('heartbeat');
    t.equal(client.ws.readyState, client.ws.OPEN, 'a client that answers pings stays');

    const dead = await Client.open(c, t, { autoPong: false });
    await dead.signIn(c.secrets.adminToken);
    const closed = await dead.closed;
    t.equal(closed.code, 1006, 'terminated without a close handshake');
  },
);

t.test('resume with since: the missed events, or resume_gap when too old', async (t) => {
  const c = await liveCollector(t, { resumeEvents: 3 });
  const agent = await c.enroll('m-1');
  const perf = { performance: sampleReport().sections.performance! };

  const first = await Client.open(c, t);
  await first.signIn(c.secrets.adminToken);
  first.send({ type: 'subscribe', tenant: c.secrets.tenant.id });
  await first.type('subscribed');
  await send(c, agent, reportWith(agent, 'm-1', perf));
  const seen = await first.type('host.reported');
  first.ws.close();
  await first.closed;

  await send(c, agent, reportWith(agent, 'm-1', perf));
  await send(c, agent, reportWith(agent, 'm-1', perf));

  const again = await Client.open(c, t);
  await again.signIn(c.secrets.adminToken);
  again.send({ type: 'subscribe', tenant: 'default', since: seen.id });
  const missed = [await again.type('host.reported'), await again.type('host.reported')];
  t.same(
    missed.map((m) => m.id),
    [seen.id + 1, seen.id + 2],
    'exactly what was missed, in order',
  );
  const ack = await again.type('subscribed');
  t.equal(ack.lastId, seen.id + 2);
  t.notOk(again.messages.some((m) => m.type === 'resume_gap'));

  await send(c, agent, reportWith(agent, 'm-1', perf));
  await send(c, agent, reportWith(agent, 'm-1', perf));
  const late = await Client.open(c, t);
  await late.signIn(c.secrets.adminToken);
  late.send({ type: 'subscribe', since: seen.id });
  t.match(await late.type('resume_gap'), { since: seen.id, message: /reload/ });
  late.send({ type: 'subscribe', since: 1 });
  t.match(await late.type('resume_gap'), { since: 1 }, 'an id from an earlier collector process');
});

t.test('presence: offline after missed intervals, online again on a report', async (t) => {
  const c = await liveCollector(t, {
    cadenceSeconds: 0.1,
    offlineAfter: 2,
    presenceCheckSeconds: 0.05,
  });
  const agent = await c.enroll('m-1');
  const client = await Client.open(c, t);
  await client.signIn(c.secrets.adminToken);
  client.send({ type: 'subscribe' });
  await client.type('subscribed');
  await send(c, agent, reportWith(agent, 'm-1', {}));
  const online = await client.type('host.online');
  const offline = await client.type('host.offline', 3000);
  t.match(offline, { host: online.host, data: { hostId: online.host, hostname: 'm-1' } });
  t.ok(offline.data.missedIntervals >= 2);
  await send(c, agent, reportWith(agent, 'm-1', {}));
  t.match(await client.type('host.online'), { host: online.host });
});

t.test('presence is seeded from the store at start-up', async (t) => {
  const c = await liveCollector(t);
  const agent = await c.enroll('m-1');
  await send(c, agent, reportWith(agent, 'm-1', {}));
  const hostId = (await c.store.hosts.listHosts({ limit: 1, offset: 0 })).hosts[0]!.id;

  // a second server on the same store: a fresh feed that must know the host from the store
  const app = buildServer({
    config: { bodyLimitBytes: 1024 * 1024, tls: null },
    store: c.store,
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const client = await Client.open({ app }, t);
  await client.signIn(c.secrets.adminToken);
  client.send({ type: 'subscribe', tenant: 'default' });
  t.match(await client.type('subscribed'), { online: [hostId] });
  client.send({ type: 'subscribe', host: hostId });
  t.match(await client.type('subscribed'), { host: hostId });
});

t.test('storage failures are answered, not thrown', async (t) => {
  const c = await liveCollector(t);
  const client = await Client.open(c, t);
  await client.signIn(c.secrets.adminToken);
  const getTenant = c.store.tenants.getTenant;
  c.store.tenants.getTenant = async () => {
    throw new Error('disk on fire');
  };
  t.teardown(() => {
    c.store.tenants.getTenant = getTenant;
  });
  client.send({ type: 'subscribe', tenant: 'default' });
  t.match(await client.type('error'), { error: 'unavailable' });

  const findApiToken = c.store.access.findApiToken;
  c.store.access.findApiToken = async () => {
    throw new Error('disk on fire');
  };
  t.teardown(() => {
    c.store.access.findApiToken = findApiToken;
  });
  const other = await Client.open(c, t);
  other.send({ type: 'auth', token: c.secrets.adminToken });
  t.match(await other.type('error'), { error: 'unavailable' });
  t.equal((await other.closed).code, 1011);
});

t.test('the console page and its files, with a content security policy', async (t) => {
  const c = await liveCollector(t);
  const page = await c.app.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.equal(page.headers['content-security-policy'], CONSOLE_CSP);
  t.match(CONSOLE_CSP, /script-src 'self'/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.match(page.body, /<script type="module" src="\/console\/app.js">/);
  for (const [url, type] of [
    ['/console/app.js', /javascript/],
    ['/console/style.css', /css/],
    ['/console/vendor/uPlot.esm.js', /javascript/],
    ['/console/vendor/uPlot.min.css', /css/],
  ] as const) {
    const res = await c.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    t.match(res.headers['content-type'], type, url);
    t.ok(res.body.length > 500, `${url} has content`);
  }
  t.match(
    (await c.app.inject({ method: 'GET', url: '/console/vendor/uPlot.esm.js' })).body,
    /export/,
  );
  t.equal((await c.app.inject({ method: 'GET', url: '/console/nope.js' })).statusCode, 404);
});

t.test(
  'posture events: a host scored, findings opened and resolved, the tenant score',
  async (t) => {
    const c = await liveCollector(t);
    const client = await Client.open(c, t);
    await client.signIn(c.secrets.adminToken);
    client.send({ type: 'subscribe', tenant: 'default' });
    await client.type('subscribed');
    const agent = await c.enroll('m-posture-live');
    const stale = pending('openssl', '3.0.11', '3.0.13', {
      security: true,
      severity: 'important',
      releasedAt: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    });
    const withUpdate = patches([
      patchSource('apt', [stale], { checkedAt: new Date().toISOString() }),
    ]);
    t.equal(
      (
        await send(
          c,
          agent,
          reportWith(agent, 'm-posture-live', { system: sampleSystem(), patches: withUpdate }),
        )
      ).statusCode,
      202,
    );
    const hostScore = await client.next(
      (m) => m.type === 'posture.changed' && m.data.scope === 'host',
    );
    t.ok(hostScore.host, 'a host event names its host');
    t.equal(hostScore.data.previousScore, null, 'the first assessment');
    t.type(hostScore.data.score, 'number');
    const opened = await client.next(
      (m) => m.type === 'finding.opened' && m.data.checkId === 'patch-security-pending-14d',
    );
    t.match(opened.data, {
      severity: String,
      title: String,
      remediation: String,
      resolvedAt: null,
    });
    const tenantScore = await client.next(
      (m) => m.type === 'posture.changed' && m.data.scope === 'tenant',
    );
    t.notOk(tenantScore.host, 'a tenant event has no host');

    const fixed = patches([patchSource('apt', [], { checkedAt: new Date().toISOString() })]);
    t.equal(
      (await send(c, agent, reportWith(agent, 'm-posture-live', { patches: fixed }))).statusCode,
      202,
    );
    const resolved = await client.next(
      (m) => m.type === 'finding.resolved' && m.data.checkId === 'patch-security-pending-14d',
    );
    t.equal(resolved.data.resolution, 'fixed');
    t.equal(resolved.data.id, opened.data.id, 'the same finding, closed');
  },
);
