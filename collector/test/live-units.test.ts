// The live feed's parts without a server: parsing client messages, the resume ring, the
// presence check, the per-client batching and the slow-client drop, the report summary.
import t from 'tap';
import { sampleReport } from '@vcio/shared/testing';
import { buildConfig } from '../src/config.js';
import { LiveClient, LiveHub, type LiveSocket } from '../src/live/hub.js';
import { PresenceTracker } from '../src/live/presence.js';
import { CLOSE, ProtocolError, parseClientMessage } from '../src/live/protocol.js';
import { EventRing } from '../src/live/ring.js';
import { summariseReport } from '../src/live/summary.js';
import { patchSource, patches, pending } from './sections.js';

t.test('client messages: each shape, and what is wrong with bad ones', async (t) => {
  t.same(parseClientMessage('{"type":"auth","token":"at_x.y"}'), { type: 'auth', token: 'at_x.y' });
  t.same(parseClientMessage('{"type":"subscribe"}'), { type: 'subscribe' });
  t.same(parseClientMessage('{"type":"subscribe","tenant":"default","since":42}'), {
    type: 'subscribe',
    tenant: 'default',
    since: 42,
  });
  t.same(parseClientMessage('{"type":"subscribe","host":"h-1"}'), {
    type: 'subscribe',
    host: 'h-1',
  });
  t.same(parseClientMessage('{"type":"unsubscribe","host":"h-1"}'), {
    type: 'unsubscribe',
    host: 'h-1',
  });
  t.same(parseClientMessage('{"type":"unsubscribe","tenant":"acme"}'), {
    type: 'unsubscribe',
    tenant: 'acme',
  });
  t.same(parseClientMessage('{"type":"ping"}'), { type: 'ping' });

  const bad: [string, string, RegExp][] = [
    ['not json', 'invalid_json', /JSON object/],
    ['[1,2]', 'invalid_json', /JSON object/],
    ['null', 'invalid_json', /JSON object/],
    ['{"type":"auth"}', 'invalid_message', /token/],
    ['{"type":"auth","token":""}', 'invalid_message', /token/],
    ['{"type":"subscribe","tenant":"a","host":"b"}', 'invalid_message', /not both/],
    ['{"type":"subscribe","tenant":"a b"}', 'invalid_message', /tenant must be/],
    ['{"type":"subscribe","host":7}', 'invalid_message', /host must be/],
    ['{"type":"subscribe","since":"5"}', 'invalid_message', /since/],
    ['{"type":"subscribe","since":1.5}', 'invalid_message', /since/],
    ['{"type":"hello"}', 'unknown_type', /auth, subscribe/],
    ['{}', 'unknown_type', /auth, subscribe/],
  ];
  for (const [text, code, message] of bad) {
    t.throws(() => parseClientMessage(text), new ProtocolError(code, ''), text);
    try {
      parseClientMessage(text);
    } catch (error) {
      t.match((error as ProtocolError).message, message, text);
    }
  }
});

const retained = (id: number, atMs: number) => ({
  event: { id, type: 'host.online' as const, at: '', tenant: 't', data: null },
  json: `{"id":${id}}`,
  atMs,
});

t.test('the resume ring: what it holds, by count and by age', async (t) => {
  const ring = new EventRing(3, 1000);
  const ids = (list: { event: { id: number } }[] | null) => list?.map((r) => r.event.id) ?? null;
  t.same(ids(ring.after(100, 100, 0)), [], 'nothing missed');
  t.equal(ring.after(99, 100, 0), null, 'an id before anything was kept');
  for (let id = 101; id <= 104; id++) ring.push(retained(id, id));
  t.equal(ring.length, 3, 'bounded by count');
  t.same(ids(ring.after(101, 104, 200)), [102, 103, 104]);
  t.same(ids(ring.after(103, 104, 200)), [104]);
  t.same(ids(ring.after(104, 104, 200)), []);
  t.equal(ring.after(100, 104, 200), null, 'evicted by count');
  t.equal(ring.after(105, 104, 200), null, 'an id from the future (another process)');
  t.equal(ring.after(101, 104, 1103), null, 'expired by age');
  t.same(ids(ring.after(103, 104, 1103)), [104]);
  ring.expire(10_000);
  t.equal(ring.length, 0);
});

t.test('presence: online on report, offline after the missed intervals', async (t) => {
  const p = new PresenceTracker({ offlineAfter: 3, cadenceSeconds: 60 });
  const first = p.reported('h1', 'ten', 'one', 0, 1.5);
  t.match(first, { online: true, hostId: 'h1' }, 'a first report brings the host online');
  t.equal(p.get('h1')!.intervalMs, 60_000, 'a short `once` interval does not shorten the cadence');
  t.equal(p.reported('h1', 'ten', 'one', 30_000, 60), null, 'no change while online');
  t.same(p.check(30_000 + 180_000), [], 'three intervals is still online');
  const gone = p.check(30_000 + 180_001);
  t.match(gone, [{ online: false, hostId: 'h1', missedIntervals: 3 }]);
  t.same(p.check(10_000_000), [], 'offline is reported once');
  t.match(p.reported('h1', 'ten', 'one', 10_000_000, null), { online: true });
  t.equal(p.get('h1')!.intervalMs, 60_000, 'a report without performance keeps the interval');

  p.reported('slow', 'ten', 'slow', 10_000_000, 300);
  t.equal(p.get('slow')!.intervalMs, 300_000, 'a slower agent cadence is learned');
  t.same(
    p.check(10_200_000).map((c) => c.hostId),
    ['h1'],
    'slow is not late yet; h1 is',
  );

  p.seed('old', 'other', 'old', 0, 1_000_000);
  p.seed('fresh', 'other', 'fresh', 990_000, 1_000_000);
  p.seed('slow', 'ten', 'slow', 0, 0); // already known from a report: kept
  t.equal(p.get('old')!.online, false);
  t.equal(p.get('fresh')!.online, true);
  t.same(p.online({ tenantId: 'other' }), ['fresh']);
  t.same(p.online({ tenantId: null }).sort(), ['fresh', 'slow']);
  t.same(p.online({ tenantId: null, hostId: 'fresh' }), ['fresh']);
  t.same(p.online({ tenantId: null, hostId: 'old' }), []);
});

class FakeSocket implements LiveSocket {
  frames: unknown[][] = [];
  bufferedAmount = 0;
  closedWith: [number, string] | null = null;
  throwOnSend = false;
  raw: (string | Buffer)[] = [];
  send(data: string | Buffer, options: { binary: boolean }): void {
    if (this.throwOnSend) throw new Error('socket closed');
    if (options.binary !== false) throw new Error('frames must be text');
    this.raw.push(data);
    this.frames.push(JSON.parse(data.toString()) as unknown[]);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }
}

const hubOptions = { batchMs: 5, maxBufferedBytes: 1000, resumeEvents: 100, resumeSeconds: 60 };

t.test('the hub batches events per client and filters by subscription', async (t) => {
  const hub = new LiveHub(hubOptions);
  t.teardown(() => hub.stop());
  const admin = new LiveClient(new FakeSocket(), null, 'at_admin');
  const scoped = new LiveClient(new FakeSocket(), 'acme', 'at_acme');
  const hostOnly = new LiveClient(new FakeSocket(), null, 'at_admin');
  hub.add(admin);
  hub.add(scoped);
  hub.add(hostOnly);
  admin.allTenants = true;
  scoped.allTenants = true; // still only its own tenant
  hostOnly.hosts.add('h2');

  const first = hub.publish('host.reported', 'default', 'h1', { n: 1 });
  hub.publish('host.reported', 'acme', 'h2', { n: 2 });
  hub.publish('agent.enrolled', 'acme', undefined, { n: 3 });
  t.equal(first.id, hub.lastId - 2, 'ids are consecutive');
  hub.flush();
  const sock = (c: LiveClient) => c.socket as FakeSocket;
  t.equal(sock(admin).frames.length, 1, 'one frame for three events');
  t.same(
    sock(admin).frames[0]!.map((e) => (e as { data: { n: number } }).data.n),
    [1, 2, 3],
  );
  t.same(
    sock(scoped).frames[0]!.map((e) => (e as { tenant: string }).tenant),
    ['acme', 'acme'],
    'a scoped client sees its tenant only',
  );
  t.same(
    sock(hostOnly).frames[0]!.map((e) => (e as { host?: string }).host),
    ['h2'],
  );
  t.ok(Buffer.isBuffer(sock(admin).raw[0]), 'all three events: the shared encoded frame');
  t.type(sock(scoped).raw[0], 'string', 'a subset: its own frame');
  hub.flush();
  t.equal(sock(admin).frames.length, 1, 'nothing sent twice');

  hub.broadcast({ type: 'heartbeat' });
  await new Promise((r) => setTimeout(r, 30));
  t.same(sock(scoped).frames[1], [{ type: 'heartbeat' }], 'flushed on the timer');

  sock(hostOnly).throwOnSend = true;
  hub.publish('host.online', 'acme', 'h2', {});
  t.doesNotThrow(() => hub.flush(), 'a socket that fails to send does not stop the others');
  t.equal(sock(admin).frames.length, 3);
});

t.test('a client that does not read is dropped, not buffered', async (t) => {
  const dropped: string[] = [];
  const hub = new LiveHub({ ...hubOptions, onDrop: (c) => dropped.push(c.tokenId) });
  t.teardown(() => hub.stop());
  const slow = new LiveClient(new FakeSocket(), null, 'at_slow');
  const fast = new LiveClient(new FakeSocket(), null, 'at_fast');
  for (const c of [slow, fast]) {
    hub.add(c);
    c.allTenants = true;
  }
  (slow.socket as FakeSocket).bufferedAmount = 1001;
  hub.publish('host.reported', 'default', 'h1', {});
  hub.flush();
  t.same((slow.socket as FakeSocket).closedWith?.[0], CLOSE.tooSlow);
  t.match((slow.socket as FakeSocket).closedWith?.[1], /too slow/);
  t.same(dropped, ['at_slow']);
  t.equal(hub.clientCount, 1);
  t.equal((fast.socket as FakeSocket).frames.length, 1, 'the others still get theirs');
  hub.sendTo(slow, { type: 'pong' });
  t.equal(slow.queue.length, 0, 'nothing is queued for a dropped client');
});

t.test('resume replays what the new subscription covers, once', async (t) => {
  const hub = new LiveHub(hubOptions);
  t.teardown(() => hub.stop());
  const since = hub.lastId;
  hub.publish('host.reported', 'default', 'h1', {});
  hub.publish('host.reported', 'acme', 'h2', {});
  hub.flush();
  hub.publish('host.reported', 'default', 'h3', {}); // still pending when the client resumes
  const client = new LiveClient(new FakeSocket(), null, 'at');
  hub.add(client);
  client.tenants.add('default');
  t.equal(
    hub.resume(client, since, (e) => e.tenant === 'default'),
    true,
  );
  hub.flush();
  const frames = (client.socket as FakeSocket).frames;
  t.same(
    frames.flat().map((e) => (e as { host: string }).host),
    ['h1', 'h3'],
    'missed events of the subscribed tenant, the pending one not twice',
  );
  t.equal(
    hub.resume(client, since - 1, () => true),
    false,
    'too old',
  );
  t.equal(
    hub.resume(client, undefined, () => true),
    true,
  );
});

t.test('the report summary reads OS, patches and performance', async (t) => {
  const perfOnly = summariseReport(sampleReport());
  t.equal(perfOnly.os, null, 'a performance report says nothing of the OS');
  t.equal(perfOnly.patches, null);
  t.ok(perfOnly.performance!.memoryUsedRatio! > 0 && perfOnly.performance!.memoryUsedRatio! < 1);

  const report = sampleReport({ sections: ['system', 'performance'] });
  report.sections.performance!.memory.totalBytes = 0;
  report.sections.performance!.memory.usedBytes = 0;
  report.sections.patches = {
    ...patches([
      patchSource('apt', [pending('openssl', '1', '2'), pending('curl', '1', '2')], {
        pendingCount: 2,
        securityCount: 1,
      }),
      patchSource('dnf', [], {
        ok: false,
        error: 'lock held',
        pendingCount: null,
        securityCount: null,
      }),
    ]),
    rebootRequired: true,
  };
  const full = summariseReport(report);
  t.match(full.os, { platform: report.sections.system!.os.platform });
  t.same(full.patches, { pending: 2, security: 1, rebootRequired: true, failedSources: 1 });
  t.equal(full.performance!.memoryUsedRatio, null, 'no memory total: no ratio');

  report.sections.patches.sources = [report.sections.patches.sources[1]!];
  t.same(
    summariseReport(report).patches,
    { pending: null, security: null, rebootRequired: true, failedSources: 1 },
    'no source could tell: unknown, not zero',
  );
});

t.test('the live feed flags: --offline-after and --heartbeat', async (t) => {
  const raw = {
    listen: '127.0.0.1:8080',
    dataDir: './data',
    logLevel: 'info',
    retentionDays: '30',
    bodyLimit: '4mb',
    synchronous: 'normal',
  };
  t.match(buildConfig(raw), { offlineAfter: 3, heartbeatSeconds: 20 }, 'defaults');
  t.match(buildConfig({ ...raw, offlineAfter: '5', heartbeat: '30' }), {
    offlineAfter: 5,
    heartbeatSeconds: 30,
  });
  t.throws(() => buildConfig({ ...raw, offlineAfter: '0' }), /--offline-after '0' must be/);
  t.throws(() => buildConfig({ ...raw, heartbeat: '1.5' }), /--heartbeat '1.5' must be/);
  t.throws(() => buildConfig({ ...raw, heartbeat: '3601' }), /from 1 to 3600/);
});
