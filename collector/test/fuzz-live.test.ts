// The live feed (GET /api/v1/live, see src/live/PROTOCOL.md) under generated bad input,
// over real sockets: malformed and mutated messages, binary frames, unknown types, huge
// frames, and subscriptions to another tenant's hosts. Every message gets a documented
// answer or a documented close code, never a crash, and nothing of the other tenant.
//
// Seeded: replay with VCIO_FUZZ_SEED=<seed>; more cases with VCIO_FUZZ_COUNT=<n>.
import t from 'tap';
import { createRequire } from 'node:module';
import type { WebSocket } from 'ws';
import { CLOSE } from '../src/live/protocol.js';
import { enrollIn, readOnlyToken, testCollector, type TestCollector } from './helpers.js';
import {
  FamilyCounts,
  Rng,
  STRANGE_STRINGS,
  fuzzCount,
  fuzzSeed,
  mutateJson,
  mutateJsonText,
  strangeValue,
} from './fuzz-support.js';
import { reportWith, security, send } from './sections.js';

const seed = fuzzSeed();
const total = fuzzCount(3_000);
/** characters per generated message: under the 16 KiB frame limit even at 3 bytes each */
const MAX_TEXT = 5_000;

// The ws package as @fastify/websocket installs it (the collector does not depend on it directly).
const requireHere = createRequire(import.meta.url);
const RealWebSocket = createRequire(requireHere.resolve('@fastify/websocket'))(
  'ws',
) as typeof WebSocket;

/** The answers a client message gets: exactly one of these per message, in order. */
const ANSWERS = new Set(['hello', 'error', 'subscribed', 'unsubscribed', 'pong']);
const ERROR_CODES = new Set([
  'invalid_json',
  'invalid_message',
  'unknown_type',
  'unauthenticated',
  'already_authenticated',
  'forbidden',
  'not_found',
]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

class FuzzClient {
  readonly messages: Message[] = [];
  answers = 0;
  private wake: (() => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  badFrames: string[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let batch: Message[];
      try {
        batch = JSON.parse(data.toString()) as Message[];
        if (!Array.isArray(batch)) throw new Error('not an array');
      } catch {
        this.badFrames.push(data.toString().slice(0, 200));
        return;
      }
      for (const m of batch) {
        this.messages.push(m);
        if (ANSWERS.has(m.type)) this.answers++;
      }
      this.wake?.();
    });
    ws.on('error', () => {}); // a close follows; its code is what the tests check
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake?.();
      }),
    );
  }

  static async open(
    c: TestCollector,
    t: { teardown(fn: () => unknown): void },
  ): Promise<FuzzClient> {
    const { port } = c.app.server.address() as { port: number };
    const client = new FuzzClient(new RealWebSocket(`ws://127.0.0.1:${port}/api/v1/live`));
    t.teardown(() => client.ws.terminate());
    await new Promise((resolve, reject) => {
      client.ws.once('open', resolve);
      client.ws.once('error', reject);
    });
    return client;
  }

  /** Waits until `n` answers in all have arrived (or the socket closed, or timeout). */
  async answered(n: number, timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers < n && this.ws.readyState === this.ws.OPEN && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.answers >= n;
  }
}

interface World {
  c: TestCollector;
  tokenA: string;
  tenantA: string;
  tenantB: { id: string; slug: string };
  hostA: string;
  hostB: string;
  sendB: () => Promise<unknown>;
}

async function world(
  t: { teardown(fn: () => unknown): void },
  authTimeoutSeconds = 10,
): Promise<World> {
  const c = await testCollector(t, { live: { batchMs: 2, authTimeoutSeconds }, listen: true });
  const ids: Record<string, string> = {};
  const senders: Record<string, () => Promise<unknown>> = {};
  for (const name of ['a', 'b']) {
    const tenant = {
      id: `tenant-${name}`,
      slug: `live-${name}`,
      name: `Live ${name}`,
      createdAt: new Date(),
    };
    await c.store.tenants.createTenant(tenant);
    const agent = await enrollIn(c, tenant.id, `live-machine-${name}`);
    senders[name] = () =>
      send(
        c,
        agent,
        reportWith(
          agent,
          `live-machine-${name}`,
          { security: security() },
          { hostname: `secret-host-${name}` },
        ),
      );
    await senders[name]!();
    const hosts = await c.app.inject({
      method: 'GET',
      url: `/api/v1/hosts?tenant=${tenant.slug}`,
      headers: c.admin,
    });
    ids[name] = hosts.json<{ hosts: { id: string }[] }>().hosts[0]!.id;
  }
  return {
    c,
    tokenA: await readOnlyToken(c, 'tenant-a'),
    tenantA: 'tenant-a',
    tenantB: { id: 'tenant-b', slug: 'live-b' },
    hostA: ids.a!,
    hostB: ids.b!,
    sendB: senders.b!,
  };
}

/** One client message: valid ones, mutated ones, and garbage. */
function message(rng: Rng, w: World, counts: FamilyCounts): string | Buffer {
  const valid = rng.pick([
    { type: 'subscribe' },
    { type: 'subscribe', tenant: w.tenantA },
    { type: 'subscribe', host: w.hostA, since: 1 },
    { type: 'subscribe', tenant: w.tenantB.slug },
    { type: 'subscribe', tenant: w.tenantB.id, since: 0 },
    { type: 'subscribe', host: w.hostB },
    { type: 'unsubscribe', host: w.hostB },
    { type: 'unsubscribe', tenant: w.tenantB.slug },
    { type: 'unsubscribe' },
    { type: 'ping' },
    { type: 'auth', token: w.tokenA },
  ]);
  switch (rng.int(6)) {
    case 0:
      counts.add('valid-or-other-tenant');
      return JSON.stringify(valid);
    case 1:
      counts.add('mutated');
      return JSON.stringify(mutateJson(valid, rng)).slice(0, MAX_TEXT);
    case 2:
      counts.add('mutated-text');
      return mutateJsonText(JSON.stringify(valid), rng).slice(0, MAX_TEXT);
    case 3:
      counts.add('unknown-type');
      return JSON.stringify({
        type: rng.pick([...STRANGE_STRINGS.slice(0, 30), 42, null, ['subscribe']]),
      });
    case 4:
      counts.add('binary');
      return Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)));
    default:
      counts.add('strange-value');
      return JSON.stringify(strangeValue(rng)).slice(0, MAX_TEXT);
  }
}

t.test('a signed-in client: every fuzzed message answered, never the other tenant', async (t) => {
  t.comment(`seed ${seed}, ${total} messages (replay: VCIO_FUZZ_SEED=${seed})`);
  const w = await world(t);
  const rng = new Rng(seed);
  const counts = new FamilyCounts();
  const client = await FuzzClient.open(w.c, t);
  client.ws.send(JSON.stringify({ type: 'auth', token: w.tokenA }));
  t.ok(await client.answered(1), 'hello');

  // In batches below the 100-message flood limit, waiting for every answer in between.
  let sent = 1;
  while (sent - 1 < total && client.ws.readyState === client.ws.OPEN) {
    const batch = Math.min(50, total - (sent - 1));
    for (let i = 0; i < batch; i++) client.ws.send(message(rng, w, counts));
    sent += batch;
    if (!(await client.answered(sent))) break;
  }
  t.comment(`tried ${counts.total}: ${counts}`);
  const closedEarly = client.ws.readyState !== client.ws.OPEN ? await client.closed : null;
  t.equal(closedEarly, null, 'the connection stays open after bad input');
  t.equal(client.answers, sent, 'every message got exactly one answer');
  t.same(client.badFrames, [], 'every frame is a JSON array');

  const errors = client.messages.filter((m) => m.type === 'error');
  const undocumented = errors.filter(
    (m) => !ERROR_CODES.has(m.error) || typeof m.message !== 'string',
  );
  t.same(undocumented.slice(0, 5), [], 'errors carry a documented code and a message');
  t.ok(errors.length > total / 3, `${errors.length} errors for the bad messages`);

  // Tenant B's data reaches neither the answers nor, after a report of B's, the events.
  await w.sendB();
  client.ws.send(JSON.stringify({ type: 'subscribe' }));
  client.ws.send(JSON.stringify({ type: 'ping' }));
  await client.answered(sent + 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const text = JSON.stringify(client.messages);
  for (const id of [w.tenantB.id, w.hostB, 'secret-host-b']) {
    t.notOk(text.includes(`"${id}"`), `nothing names tenant B's ${id}`);
  }
  t.ok(
    client.messages.some((m) => m.type === 'subscribed' && m.tenant === w.tenantA),
    'valid subscriptions to its own tenant took effect',
  );

  const health = await w.c.app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200, 'the collector is still up');
});

// Malformed JSON or a binary frame before sign-in is answered with an error and the
// connection waits for auth (live.test.ts); the sign-in timeout then closes it. A short
// timeout here keeps the test quick.
t.test('before sign-in: anything but a valid auth closes 4401; huge frames 1009', async (t) => {
  const w = await world(t, 0.5);
  const rng = new Rng(seed ^ 0x5eed);
  const counts = new FamilyCounts();
  const closes = new FamilyCounts();
  const wrong: string[] = [];
  const connections = fuzzCount(3_000) >= 3_000 ? 120 : 30;
  for (let round = 0; round < connections / 10; round++) {
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const client = await FuzzClient.open(w.c, t);
        let expected: number[] = [CLOSE.unauthenticated];
        switch (rng.int(4)) {
          case 0:
            counts.add('huge-frame');
            client.ws.send(
              rng.chance(0.5) ? 'x'.repeat(17 * 1024 + rng.int(1 << 20)) : Buffer.alloc(1 << 20),
            );
            expected = [1009];
            break;
          case 1:
            counts.add('wrong-token');
            client.ws.send(
              JSON.stringify({
                type: 'auth',
                token: rng.pick([...STRANGE_STRINGS.slice(0, 34), `${w.tokenA}x`]) || 'x',
              }),
            );
            break;
          case 2:
            counts.add('abrupt');
            client.ws.terminate();
            expected = [1006];
            break;
          default: {
            counts.add('bad-first-message');
            const m = message(rng, w, new FamilyCounts());
            // a first message that happens to be a valid auth signs in: close it ourselves
            if (typeof m === 'string' && m.includes('"auth"') && m.includes(w.tokenA)) {
              client.ws.close(1000);
              expected = [1000, CLOSE.unauthenticated];
            } else client.ws.send(m);
          }
        }
        const { code } = await client.closed;
        closes.add(String(code));
        if (!expected.includes(code)) wrong.push(`closed ${code}, expected ${expected.join('/')}`);
      }),
    );
  }
  t.comment(`tried ${counts.total} connections: ${counts}; close codes: ${closes}`);
  t.same(wrong, [], 'every connection closed with the documented code');
  const health = await w.c.app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200, 'the collector is still up');
});

t.test('a huge frame after sign-in closes 1009; a flood 4429; the feed goes on', async (t) => {
  const w = await world(t);
  const big = await FuzzClient.open(w.c, t);
  big.ws.send(JSON.stringify({ type: 'auth', token: w.tokenA }));
  await big.answered(1);
  big.ws.send(JSON.stringify({ type: 'subscribe', tenant: 'x'.repeat(20_000) }));
  t.equal((await big.closed).code, 1009);

  const flood = await FuzzClient.open(w.c, t);
  flood.ws.send(JSON.stringify({ type: 'auth', token: w.tokenA }));
  for (let i = 0; i < 1000; i++)
    flood.ws.send(JSON.stringify({ type: 'subscribe', host: w.hostB }));
  t.equal((await flood.closed).code, CLOSE.flooding);

  const after = await FuzzClient.open(w.c, t);
  after.ws.send(JSON.stringify({ type: 'auth', token: w.tokenA }));
  after.ws.send(JSON.stringify({ type: 'ping' }));
  t.ok(await after.answered(2), 'a new client is served');
});
