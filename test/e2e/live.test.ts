// The live feed against the real collector process and the real agent: sign in over the
// socket, tenant scoping, an enrollment and a report arriving as events, heartbeats, and a
// reconnect that resumes from the last event id.
import t from 'tap';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  enrollAgent,
  runAgent,
  startCollectorProcess,
  tempDir,
  type CollectorProcess,
} from '../lib/processes.js';
import { FeedClient } from '../lib/feed-client.js';

/** A second tenant and a read token scoped to it, written straight into the database. */
function addScopedTenant(collector: CollectorProcess): { tenantId: string; token: string } {
  const db = new Database(join(collector.dataDir, 'vcio.db'));
  try {
    db.pragma('busy_timeout = 5000');
    const tenantId = randomUUID();
    db.prepare('INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)').run(
      tenantId,
      'acme',
      'Acme',
      Date.now(),
    );
    const id = `at_${randomBytes(6).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    db.prepare(
      `INSERT INTO api_tokens (id, tenant_id, role, name, secret_hash, created_at)
       VALUES (?, ?, 'read', 'e2e', ?, ?)`,
    ).run(id, tenantId, createHash('sha256').update(secret, 'utf8').digest(), Date.now());
    return { tenantId, token: `${id}.${secret}` };
  } finally {
    db.close();
  }
}

t.test('the live feed of a real collector, fed by a real agent', async (t) => {
  const collector = await startCollectorProcess(['--heartbeat', '1']);
  const stateDir = tempDir('agent');
  t.teardown(async () => {
    await collector.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const open = async () => {
    const client = await new FeedClient(collector).opened();
    t.teardown(() => client.ws.terminate());
    return client;
  };
  const tenantId = collector.bootstrap.tenant.id;

  // a wrong token: an error, then the close code
  const wrong = await open();
  wrong.send({ type: 'auth', token: 'at_nobody.nothing' });
  t.match(await wrong.type('error'), { error: 'unauthenticated' });
  t.equal((await wrong.closed).code, 4401);

  const admin = await open();
  admin.send({ type: 'auth', token: collector.bootstrap.adminToken });
  const hello = await admin.type('hello');
  t.match(hello, { tenant: null, heartbeatSeconds: 1 });
  admin.send({ type: 'subscribe', tenant: collector.bootstrap.tenant.slug });
  t.match(await admin.type('subscribed'), { tenant: tenantId, online: [] });

  const scope = addScopedTenant(collector);
  const scoped = await open();
  scoped.send({ type: 'auth', token: scope.token });
  t.match(await scoped.type('hello'), { tenant: scope.tenantId });
  scoped.send({ type: 'subscribe', tenant: tenantId });
  t.match(await scoped.type('error'), { error: 'forbidden' }, 'not its tenant');
  scoped.send({ type: 'subscribe' });
  t.match(await scoped.type('subscribed'), { tenant: scope.tenantId });

  const enroll = await enrollAgent(collector, stateDir);
  t.equal(enroll.code, 0, enroll.stderr);
  t.match(await admin.type('agent.enrolled'), {
    tenant: tenantId,
    data: { hostname: hostname() },
  });

  const once = await runAgent(['once', '--state-dir', stateDir]);
  t.equal(once.code, 0, once.stderr);
  const online = await admin.type('host.online');
  const reported = await admin.type('host.reported');
  t.equal(reported.host, online.host);
  t.match(reported.data, {
    hostname: hostname(),
    os: { platform: process.platform },
  });
  t.ok(reported.data.sections.includes('system'));
  t.ok(reported.data.performance, 'the summary carries the performance sample');
  const heartbeat = await admin.type('heartbeat', 5000);
  t.ok(heartbeat.lastId >= reported.id, 'heartbeats carry the last event id');

  // the scoped client saw nothing of the default tenant
  scoped.send({ type: 'ping' });
  await scoped.type('pong');
  t.notOk(
    scoped.messages.some((m) => m.tenant === tenantId),
    'a scoped token sees no event of another tenant',
  );

  // disconnect, miss a report, reconnect and resume from the last id seen
  admin.ws.close();
  await admin.closed;
  const again = await runAgent(['once', '--state-dir', stateDir]);
  t.equal(again.code, 0, again.stderr);
  const resumed = await open();
  resumed.send({ type: 'auth', token: collector.bootstrap.adminToken });
  await resumed.type('hello');
  resumed.send({ type: 'subscribe', tenant: tenantId, since: reported.id });
  const missed = await resumed.type('host.reported');
  t.ok(missed.id > reported.id, 'the missed report, after the last id seen');
  t.equal(missed.host, reported.host);
  t.ok(missed.data.lastSeen > reported.data.lastSeen);
  t.notOk(resumed.messages.some((m) => m.type === 'resume_gap'));

  const stale = await open();
  stale.send({ type: 'auth', token: collector.bootstrap.adminToken });
  await stale.type('hello');
  stale.send({ type: 'subscribe', since: 12 });
  t.match(await stale.type('resume_gap'), { since: 12 }, 'an id from long ago: reload');

  // the token never reaches the collector's logs
  const secret = collector.bootstrap.adminToken.split('.')[1]!;
  t.notOk(
    collector.logs.some((line) => line.includes(secret)),
    'the admin token is not logged',
  );
});
