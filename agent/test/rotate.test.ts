// The agent's secret rotation (its crash windows), and how the running agent handles
// refused credentials (401), a machine mismatch (403) and a rotation the collector asks for.
import t from 'tap';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '@vcio/shared';
import { agentAuthorization } from '@vcio/shared/agent';
import { OutboxDelivery } from '../src/delivery.js';
import { RejectedError } from '../src/errors.js';
import { Outbox } from '../src/outbox.js';
import {
  CredentialKeeper,
  REFUSED_RETRY_MS,
  ROTATE_LOCK_FILE,
  rotateSecret,
  STALE_LOCK_MS,
} from '../src/rotate.js';
import { loadCredentials, saveCredentials } from '../src/state.js';
import { captureLogger } from './helpers/capture-logger.js';
import {
  startFakeCollector,
  type FakeCollector,
  type ReceivedRequest,
  type ScriptedResponse,
} from './helpers/collector-server.js';
import {
  AGENT_ID,
  credentialsFor,
  fastDeps,
  fastPolicy,
  makeReport,
  SECRET,
} from './helpers/reports.js';

const NEW_SECRET = 'the-new-secret-0123456789';

/** A collector that rotates like the real one: the old secret works until the new one is used. */
function rotatingCollector(options: { rotateStatus?: number; confirmStatus?: number } = {}) {
  return (req: ReceivedRequest): ScriptedResponse => {
    if (req.url.endsWith('/agent/rotate')) {
      if (options.rotateStatus)
        return { status: options.rotateStatus, body: { error: 'x', message: 'down' } };
      return { status: 200, body: { agentId: AGENT_ID, secret: NEW_SECRET } };
    }
    if (req.url.endsWith('/agent/rotate/confirm')) {
      if (options.confirmStatus)
        return { status: options.confirmStatus, body: { error: 'x', message: 'down' } };
      return { status: 200, body: { agentId: AGENT_ID, rotationPending: false } };
    }
    const report = req.json as Report;
    return {
      status: 202,
      body: { reportId: report.reportId, duplicate: false, ignoredSections: [] },
    };
  };
}

const authOf = (r: ReceivedRequest) => r.headers.authorization;
const OLD_AUTH = agentAuthorization(AGENT_ID, SECRET);
const NEW_AUTH = agentAuthorization(AGENT_ID, NEW_SECRET);

async function enrolledState(t: { testdir(): string }, collector: FakeCollector) {
  const dir = t.testdir();
  await saveCredentials(dir, credentialsFor(collector.url));
  return dir;
}

t.test('rotate: asks with the old secret, writes the new one, confirms with it', async (t) => {
  const collector = await startFakeCollector(rotatingCollector());
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const log = captureLogger();
  const { credentials, confirmed } = await rotateSecret({
    stateDir: dir,
    credentials: credentialsFor(collector.url),
    policy: fastPolicy(),
    deps: fastDeps(log.logger),
    logger: log.logger,
  });
  t.equal(confirmed, true);
  t.equal(credentials.secret, NEW_SECRET);
  t.equal((await loadCredentials(dir)).secret, NEW_SECRET, 'on disk');
  t.same(
    collector.received.map((r) => [r.url, authOf(r)]),
    [
      ['/api/v1/agent/rotate', OLD_AUTH],
      ['/api/v1/agent/rotate/confirm', NEW_AUTH],
    ],
  );
  t.notOk(log.text().includes(NEW_SECRET), 'the secret is never logged');
  t.same((await readdir(dir)).sort(), ['credentials.json'], 'no lock or temp file left');
});

t.test('crash windows: the agent always keeps a secret that works', async (t) => {
  // The rotation answer never arrives (collector fails): the old credentials stay on disk.
  const failing = await startFakeCollector(rotatingCollector({ rotateStatus: 400 }));
  t.teardown(failing.close);
  const dir = await enrolledState(t, failing);
  const options = {
    stateDir: dir,
    credentials: credentialsFor(failing.url),
    policy: fastPolicy(),
    deps: fastDeps(),
    logger: captureLogger().logger,
  };
  await t.rejects(rotateSecret(options), RejectedError);
  t.equal((await loadCredentials(dir)).secret, SECRET, 'old secret kept (still valid)');

  // Written, but the confirmation fails (as if the agent died right after the write): the
  // new secret is on disk, pending on the collector, and the next request completes it.
  const noConfirm = await startFakeCollector(rotatingCollector({ confirmStatus: 400 }));
  t.teardown(noConfirm.close);
  const dir2 = await enrolledState(t, noConfirm);
  const log = captureLogger();
  const result = await rotateSecret({
    ...options,
    stateDir: dir2,
    credentials: credentialsFor(noConfirm.url),
    logger: log.logger,
  });
  t.equal(result.confirmed, false);
  t.equal((await loadCredentials(dir2)).secret, NEW_SECRET);
  t.match(log.text(), /the next report completes it/);
});

t.test('one rotation at a time; a stale lock is taken over', async (t) => {
  const collector = await startFakeCollector(rotatingCollector());
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const lock = path.join(dir, ROTATE_LOCK_FILE);
  await writeFile(lock, '1\n');
  const options = {
    stateDir: dir,
    credentials: credentialsFor(collector.url),
    policy: fastPolicy(),
    deps: { ...fastDeps(), now: () => Date.now() },
    logger: captureLogger().logger,
  };
  await t.rejects(rotateSecret(options), { message: /another rotation is running/ });
  t.equal(collector.received.length, 0, 'nothing asked');
  const old = (Date.now() - STALE_LOCK_MS - 1000) / 1000;
  await utimes(lock, old, old);
  t.equal((await rotateSecret(options)).credentials.secret, NEW_SECRET, 'stale lock taken over');
});

async function keeperDelivery(dir: string, collector: FakeCollector, clock: { now: number }) {
  const log = captureLogger();
  const deps = { ...fastDeps(log.logger), now: () => clock.now };
  const keeper = new CredentialKeeper(dir, await loadCredentials(dir), {
    policy: fastPolicy(),
    deps,
    logger: log.logger,
  });
  const outbox = await Outbox.open(dir, { logger: log.logger });
  return {
    delivery: new OutboxDelivery(outbox, keeper, fastPolicy(), deps, log.logger),
    log,
    keeper,
  };
}

t.test('refused credentials: logged once, not asked again, until they change', async (t) => {
  let refuse = true;
  const collector = await startFakeCollector((req) =>
    refuse || authOf(req) !== agentAuthorization('7e57a9e1-0000-4000-8000-000000000001', 'renewed')
      ? { status: 401, body: { error: 'agent_revoked', message: 'agent was revoked' } }
      : rotatingCollector()(req),
  );
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const clock = { now: 1_000_000 };
  const { delivery, log } = await keeperDelivery(dir, collector, clock);
  for (let i = 0; i < 3; i++) await delivery.enqueue(makeReport(i));

  const first = await delivery.drain();
  t.type(first.error, RejectedError);
  t.equal(first.queued, 3, 'every report kept');
  t.equal(collector.received.length, 1);
  for (let tick = 0; tick < 5; tick++) {
    clock.now += 60_000;
    await delivery.deliver(makeReport(10 + tick));
    await delivery.settled();
  }
  t.equal(collector.received.length, 1, 'not asked again every tick');
  t.equal(delivery.outbox.queued, 8);
  const refusals = log.lines.filter((l) => l.includes('the collector refuses this agent'));
  t.equal(refusals.length, 1, 'logged once');
  t.match(refusals[0], /enroll --force/);

  clock.now += REFUSED_RETRY_MS;
  await delivery.drain();
  t.equal(collector.received.length, 2, 'one try after the wait');
  t.equal(log.lines.filter((l) => l.includes('the collector refuses this agent')).length, 1);

  // Enrolled again (another process wrote credentials.json): used at once, and the queued
  // reports go out as the new agent.
  refuse = false;
  await saveCredentials(dir, {
    ...credentialsFor(collector.url),
    agentId: '7e57a9e1-0000-4000-8000-000000000001',
    secret: 'renewed',
  });
  const after = await delivery.drain();
  t.equal(after.error, undefined);
  t.equal(after.sent, 8);
  const sent = collector.received.slice(2).map((r) => (r.json as Report).agent.id);
  t.same(new Set(sent), new Set(['7e57a9e1-0000-4000-8000-000000000001']), 'sent as the new agent');
});

t.test('a 401 after another process rotated: the new credentials are used at once', async (t) => {
  const collector = await startFakeCollector((req) =>
    authOf(req) === NEW_AUTH
      ? rotatingCollector()(req)
      : { status: 401, body: { error: 'invalid_credentials', message: 'old secret' } },
  );
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const { delivery, log } = await keeperDelivery(dir, collector, { now: 0 });
  await saveCredentials(dir, { ...credentialsFor(collector.url), secret: NEW_SECRET });
  await delivery.enqueue(makeReport(0));
  t.same(await delivery.drain(), { sent: 1, rejected: 0, queued: 0 });
  t.notOk(log.text().includes('the collector refuses'), 'no refusal logged');
});

t.test('403 machine_mismatch (a cloned machine): set aside, the queue does not loop', async (t) => {
  const collector = await startFakeCollector([
    {
      status: 403,
      body: {
        error: 'machine_mismatch',
        message: 'these credentials were enrolled for another machine; re-enroll this machine',
      },
    },
  ]);
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const { delivery, log } = await keeperDelivery(dir, collector, { now: 0 });
  for (let i = 0; i < 3; i++) await delivery.enqueue(makeReport(i));
  const result = await delivery.drain();
  t.equal(result.queued, 0, 'nothing left to retry');
  t.equal(result.rejected, 3);
  t.equal(collector.received.length, 3, 'each sent once');
  const aside = (await readdir(delivery.outbox.dir)).filter((n) => n.endsWith('.rejected'));
  t.equal(aside.length, 3, 'set aside as .rejected');
  t.match(log.text(), /re-enroll this machine/);
});

t.test('the collector asks for a rotation: the agent rotates by itself', async (t) => {
  let asked = true;
  const collector = await startFakeCollector((req) => {
    const answer = rotatingCollector()(req);
    if (req.url.endsWith('/reports') && asked) {
      return { ...answer, body: { ...(answer.body as object), rotateSecret: true } };
    }
    if (req.url.endsWith('/agent/rotate/confirm')) asked = false;
    return answer;
  });
  t.teardown(collector.close);
  const dir = await enrolledState(t, collector);
  const { delivery, keeper } = await keeperDelivery(dir, collector, { now: 0 });
  await delivery.enqueue(makeReport(0));
  await delivery.drain();
  await delivery.settled();
  t.equal((await loadCredentials(dir)).secret, NEW_SECRET, 'written');
  t.equal(keeper.current().secret, NEW_SECRET, 'in use');
  await delivery.enqueue(makeReport(1));
  await delivery.drain();
  t.same(
    collector.received.map((r) => [r.url.replace('/api/v1/', ''), authOf(r) === NEW_AUTH]),
    [
      ['reports', false],
      ['agent/rotate', false],
      ['agent/rotate/confirm', true],
      ['reports', true],
    ],
  );
});
