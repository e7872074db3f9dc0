// The software list goes up whole only when the collector does not hold it: through a real
// OutboxDelivery against a stand-in collector, and across an agent restart.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { softwareHash, type Report, type SoftwareItem } from '@vcio/shared';
import t from 'tap';
import { OutboxDelivery, withOutboxStatus } from '../src/delivery.js';
import { silentLogger } from '../src/log.js';
import { Outbox, OUTBOX_DIR } from '../src/outbox.js';
import { SOFTWARE_ACK_FILE, SoftwareUpload } from '../src/software-upload.js';
import { captureLogger } from './helpers/capture-logger.js';
import { startFakeCollector, type ScriptedResponse } from './helpers/collector-server.js';
import { credentialsFor, fastDeps, fastPolicy, makeReport } from './helpers/reports.js';

const item = (name: string, version: string): SoftwareItem => ({
  name,
  version,
  publisher: null,
  installedAt: null,
  arch: 'amd64',
  source: 'dpkg',
});

function withSoftware(n: number, items: SoftwareItem[]): Report {
  const report = makeReport(n);
  report.sections.software = {
    hash: softwareHash(items),
    count: items.length,
    items,
    sources: [{ source: 'dpkg', ok: true, error: null, count: items.length }],
  };
  return report;
}

type Answer = (report: Report) => ScriptedResponse;
const accept: Answer = (r) => ({
  status: 202,
  body: { reportId: r.reportId, duplicate: false, ignoredSections: [] },
});
const askResend: Answer = (r) => ({
  status: 202,
  body: { reportId: r.reportId, duplicate: false, ignoredSections: [], resend: ['software'] },
});

interface TestDirs {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

async function setup(t: TestDirs, answer: { next: Answer }, stateDir = t.testdir()) {
  const collector = await startFakeCollector((req) => answer.next(req.json as Report));
  t.teardown(collector.close);
  const open = async (): Promise<OutboxDelivery> => {
    const outbox = await Outbox.open(stateDir, { logger: silentLogger() });
    return new OutboxDelivery(
      outbox,
      credentialsFor(collector.url),
      fastPolicy(),
      fastDeps(silentLogger()),
      silentLogger(),
    );
  };
  const sentItems = (): (SoftwareItem[] | null | undefined)[] =>
    collector.received.map((r) => (r.json as Report).sections.software?.items);
  return { collector, open, sentItems, stateDir };
}

const openssl = [item('openssl', '3.0.11-1~deb12u2'), item('curl', '7.88.1-10+deb12u5')];
const upgraded = [item('openssl', '3.0.13-1~deb12u1'), item('curl', '7.88.1-10+deb12u5')];

t.test('whole once, then the hash alone while unchanged, whole again on a change', async (t) => {
  const answer = { next: accept };
  const { open, sentItems } = await setup(t, answer);
  const delivery = await open();
  for (const [n, items] of [openssl, openssl, upgraded, upgraded].entries()) {
    await delivery.deliver(withSoftware(n, items));
    await delivery.settled();
  }
  const sent = sentItems();
  t.equal(sent.length, 4);
  t.same(sent[0], openssl, 'first: the whole list');
  t.equal(sent[1], null, 'unchanged: hash only');
  t.same(sent[2], upgraded, 'changed: the whole list');
  t.equal(sent[3], null);
});

t.test(
  'the acknowledged hash survives a restart; a damaged file costs one full upload',
  async (t) => {
    const answer = { next: accept };
    const { open, sentItems, stateDir } = await setup(t, answer);
    const first = await open();
    await first.deliver(withSoftware(0, openssl));
    await first.settled();
    const saved = JSON.parse(
      await readFile(path.join(stateDir, OUTBOX_DIR, SOFTWARE_ACK_FILE), 'utf8'),
    ) as { hash: string };
    t.equal(saved.hash, softwareHash(openssl));

    const restarted = await open();
    await restarted.deliver(withSoftware(1, openssl));
    await restarted.settled();
    t.equal(sentItems()[1], null, 'after a restart: still hash only');

    await writeFile(path.join(stateDir, OUTBOX_DIR, SOFTWARE_ACK_FILE), '{not json');
    const damaged = await open();
    await damaged.deliver(withSoftware(2, openssl));
    await damaged.settled();
    t.same(sentItems()[2], openssl, 'unreadable ack: the whole list again');
  },
);

t.test('the collector asks for the list again: the next run sends it whole', async (t) => {
  const answer = { next: accept };
  const { open, sentItems } = await setup(t, answer);
  const delivery = await open();
  await delivery.deliver(withSoftware(0, openssl));
  await delivery.settled();
  answer.next = askResend;
  await delivery.deliver(withSoftware(1, openssl));
  await delivery.settled();
  answer.next = accept;
  await delivery.deliver(withSoftware(2, openssl));
  await delivery.settled();
  await delivery.deliver(withSoftware(3, openssl));
  await delivery.settled();
  t.same(
    sentItems().map((i) => (i === null ? 'hash' : 'whole')),
    ['whole', 'hash', 'whole', 'hash'],
  );
});

t.test('a rejected full list is not taken as acknowledged', async (t) => {
  const answer: { next: Answer } = { next: () => ({ status: 400, body: { error: 'bad' } }) };
  const { open, sentItems } = await setup(t, answer);
  const delivery = await open();
  await delivery.deliver(withSoftware(0, openssl));
  await delivery.settled();
  answer.next = accept;
  await delivery.deliver(withSoftware(1, openssl));
  await delivery.settled();
  t.same(sentItems()[1], openssl);
});

t.test('prepare leaves reports without software, and hash-only ones, alone', async (t) => {
  const upload = await SoftwareUpload.open(t.testdir(), silentLogger());
  const plain = makeReport(0);
  t.equal(upload.prepare(plain), plain);
  t.equal(upload.acknowledgedHash, null);
  const report = withSoftware(1, openssl);
  await upload.accepted(report, null);
  t.equal(upload.acknowledgedHash, softwareHash(openssl), 'a 2xx without a body still counts');
  const hashOnly = upload.prepare(withSoftware(2, openssl));
  t.equal(hashOnly.sections.software?.items, null);
  t.equal(upload.prepare(hashOnly), hashOnly);
});

t.test('an ack that cannot be written is kept in memory and logged', async (t) => {
  const log = captureLogger();
  const dir = path.join(t.testdir(), 'missing', 'dir');
  const upload = await SoftwareUpload.open(dir, log.logger);
  await upload.accepted(withSoftware(0, openssl), null);
  t.equal(upload.acknowledgedHash, softwareHash(openssl));
  t.match(log.text(), /software ack not saved/);
});

t.test('the outbox section rides with the system inventory and during outages', async (t) => {
  const plain = makeReport(0);
  t.equal(withOutboxStatus(plain, { queued: 0, dropped: 5 }), plain, 'nothing new to say');
  const waiting = withOutboxStatus(plain, { queued: 3, dropped: 5 });
  t.same(waiting.sections.outbox, { queued: 3, dropped: 5 });
  const inventory = makeReport(1);
  inventory.sections.system = {} as never;
  t.same(withOutboxStatus(inventory, { queued: 0, dropped: 0 }).sections.outbox, {
    queued: 0,
    dropped: 0,
  });
});
