// OutboxDelivery against a stand-in collector: order, outages, rejections, restarts.
import { httpPost, type HttpPost } from '../src/http-client.js';
import { readdir } from 'node:fs/promises';
import type { Report } from '@vcio/shared';
import t from 'tap';
import { OutboxDelivery } from '../src/delivery.js';
import { RejectedError, StateDirError, UnreachableError } from '../src/errors.js';
import { silentLogger, type Logger } from '../src/log.js';
import { Outbox } from '../src/outbox.js';
import { captureLogger } from './helpers/capture-logger.js';
import {
  startFakeCollector,
  type FakeCollector,
  type ScriptedResponse,
} from './helpers/collector-server.js';
import { credentialsFor, fastDeps, fastPolicy, makeReport, SECRET } from './helpers/reports.js';

const accepted = (req: { json: unknown }, duplicate = false): ScriptedResponse => ({
  status: 202,
  body: { reportId: (req.json as Report).reportId, duplicate, ignoredSections: [] },
});

async function deliveryFor(
  stateDir: string,
  collector: { url: string },
  logger: Logger = silentLogger(),
  post?: HttpPost,
): Promise<OutboxDelivery> {
  const outbox = await Outbox.open(stateDir, { logger });
  const deps = fastDeps(logger);
  return new OutboxDelivery(
    outbox,
    credentialsFor(collector.url),
    fastPolicy(),
    post ? { ...deps, post } : deps,
    logger,
  );
}

const hosts = (c: FakeCollector): string[] =>
  c.received.map((r) => (r.json as Report).host.hostname);

t.test('deliver queues, then sends in order and empties the queue', async (t) => {
  const collector = await startFakeCollector((req) => accepted(req));
  t.teardown(collector.close);
  const log = captureLogger();
  const delivery = await deliveryFor(t.testdir(), collector, log.logger);
  for (let i = 0; i < 4; i++) await delivery.deliver(makeReport(i));
  await delivery.settled();
  t.same(hosts(collector), ['host-0', 'host-1', 'host-2', 'host-3']);
  t.equal(delivery.outbox.queued, 0);
  const sent = log.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'report sent');
  t.equal(sent.length, 4);
  t.match(sent[3], {
    status: 202,
    attempts: 1,
    ms: Number,
    duplicate: false,
    outbox: { queued: 0, dropped: 0 },
  });
  t.match(log.text(), /"msg":"report queued"/);
  t.notMatch(log.text(), SECRET);
});

t.test('an outage of N requests: every report arrives exactly once, in order', async (t) => {
  const failFirst = 7;
  const collector = await startFakeCollector((req, i) =>
    i < failFirst ? { status: 503 } : accepted(req),
  );
  t.teardown(collector.close);
  const delivery = await deliveryFor(t.testdir(), collector);
  const ids: string[] = [];
  // one report per "tick"; each tick's drain stops at the first failure
  for (let i = 0; i < 10; i++) {
    const report = makeReport(i);
    ids.push(report.reportId);
    await delivery.enqueue(report);
    const result = await delivery.drain();
    if (collector.received.length <= failFirst) t.type(result.error, UnreachableError);
  }
  const final = await delivery.drain();
  t.same(final, { sent: 0, rejected: 0, queued: 0 });
  const stored = collector.received
    .filter((r, i) => i >= failFirst)
    .map((r) => (r.json as Report).reportId);
  t.same(stored, ids, 'each accepted once, in enqueue order');
  t.equal(collector.received.length, failFirst + ids.length);
});

t.test('a restart picks up the queue where it was left', async (t) => {
  const stateDir = t.testdir();
  const down = await startFakeCollector([{ status: 503 }]);
  const first = await deliveryFor(stateDir, down);
  for (let i = 0; i < 3; i++) await first.enqueue(makeReport(i));
  const failed = await first.drain();
  t.type(failed.error, UnreachableError);
  t.equal(failed.queued, 3);
  await down.close();

  const up = await startFakeCollector((req) => accepted(req));
  t.teardown(up.close);
  const second = await deliveryFor(stateDir, up);
  t.equal(second.outbox.queued, 3);
  const result = await second.drain();
  t.same(result, { sent: 3, rejected: 0, queued: 0 });
  t.same(hosts(up), ['host-0', 'host-1', 'host-2']);
});

t.test('a rejected report (400) is set aside and the queue moves on', async (t) => {
  const collector = await startFakeCollector((req) =>
    (req.json as Report).host.hostname === 'host-1'
      ? { status: 400, body: { error: 'invalid_report', message: 'bad section' } }
      : accepted(req),
  );
  t.teardown(collector.close);
  const log = captureLogger();
  const delivery = await deliveryFor(t.testdir(), collector, log.logger);
  for (let i = 0; i < 3; i++) await delivery.enqueue(makeReport(i));
  const result = await delivery.drain();
  t.equal(result.sent, 2);
  t.equal(result.rejected, 1);
  t.equal(result.queued, 0);
  t.type(result.rejection, RejectedError);
  t.equal(result.rejection?.status, 400);
  t.same(hosts(collector), ['host-0', 'host-1', 'host-2']);
  t.equal(delivery.outbox.totals.rejected, 1);
  const aside = (await readdir(delivery.outbox.dir)).filter((n) => n.endsWith('.rejected'));
  t.equal(aside.length, 1);
  t.match(log.text(), /"msg":"report rejected, set aside"/);
});

// 403 (machine_mismatch, agent_mismatch) is about the report: set aside (rotate.test.ts).
t.test('refused credentials (401) stop the drain and keep every report', async (t) => {
  for (const status of [401]) {
    const collector = await startFakeCollector([
      { status, body: { error: 'unauthorized', message: 'agent revoked' } },
    ]);
    const log = captureLogger();
    const delivery = await deliveryFor(t.testdir(), collector, log.logger);
    for (let i = 0; i < 3; i++) await delivery.enqueue(makeReport(i));
    const result = await delivery.drain();
    await collector.close();
    t.type(result.error, RejectedError);
    t.equal(result.queued, 3, `${status}: all kept`);
    t.equal(collector.received.length, 1, `${status}: stopped at the first`);
    t.match(log.text(), /"level":50.*"msg":"report queued"/);
  }
});

t.test('a retried report the collector already has counts as sent', async (t) => {
  const collector = await startFakeCollector((req) => accepted(req, true));
  t.teardown(collector.close);
  const log = captureLogger();
  const delivery = await deliveryFor(t.testdir(), collector, log.logger);
  await delivery.enqueue(makeReport(0));
  t.same(await delivery.drain(), { sent: 1, rejected: 0, queued: 0 });
  t.match(log.text(), /"duplicate":true/);
});

t.test('a drain asked for while one runs joins it; stopping ends it early', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const collector = await startFakeCollector((req) => accepted(req));
  t.teardown(collector.close);
  const slowPost: HttpPost = async (url, request) => {
    await gate;
    return httpPost(url, request);
  };
  const delivery = await deliveryFor(t.testdir(), collector, silentLogger(), slowPost);
  await delivery.enqueue(makeReport(0));
  const first = delivery.drain();
  await delivery.deliver(makeReport(1)); // queued while the first send waits
  const joined = delivery.drain();
  release();
  t.same(await first, await joined);
  await delivery.settled();
  t.same(hosts(collector), ['host-0', 'host-1']);

  const stop = new AbortController();
  stop.abort();
  await delivery.enqueue(makeReport(2));
  const stopped = await delivery.drain(stop.signal);
  t.same(stopped, { sent: 0, rejected: 0, queued: 1 });
});

t.test('an unusable collector URL stops the drain; a failing disk is reported', async (t) => {
  const delivery = await deliveryFor(t.testdir(), { url: 'http://192.0.2.1' });
  await delivery.enqueue(makeReport(0));
  const result = await delivery.drain();
  t.match(result.error?.message, /refusing plain http/);
  t.equal(result.queued, 1);

  Object.assign(delivery.outbox, { dir: '/nonexistent/outbox' });
  const broken = await delivery.drain();
  t.equal(broken.error?.exitCode, 6);
  await t.rejects(delivery.deliver(makeReport(1)), StateDirError);
});
