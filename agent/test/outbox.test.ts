// The outbox on disk: order, restart, bounds, and what it finds when it opens.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { StateDirError } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import { COUNTERS_FILE, MAX_ASIDE, Outbox, OUTBOX_DIR } from '../src/outbox.js';
import { captureLogger } from './helpers/capture-logger.js';
import { makeReport } from './helpers/reports.js';

const logger = silentLogger();

async function drainAll(outbox: Outbox): Promise<string[]> {
  const hosts: string[] = [];
  for (let next = await outbox.oldest(); next; next = await outbox.oldest()) {
    hosts.push(next.report.host.hostname);
    await outbox.remove(next.name);
  }
  return hosts;
}

t.test('reports come out oldest first, and survive a restart', async (t) => {
  const stateDir = t.testdir();
  const outbox = await Outbox.open(stateDir, { logger });
  for (let i = 0; i < 5; i++) await outbox.enqueue(makeReport(i));
  t.equal(outbox.queued, 5);
  const dir = path.join(stateDir, OUTBOX_DIR);
  if (process.platform !== 'win32') {
    t.equal((await stat(dir)).mode & 0o777, 0o700);
    const [first] = (await readdir(dir)).sort();
    t.equal((await stat(path.join(dir, first!))).mode & 0o777, 0o600);
  }
  const first = await outbox.oldest();
  t.equal(first?.report.host.hostname, 'host-0');
  await outbox.remove(first!.name);
  await outbox.remove(first!.name); // already gone: harmless

  const reopened = await Outbox.open(stateDir, { logger });
  t.equal(reopened.queued, 4);
  t.ok(reopened.bytes > 0);
  await reopened.enqueue(makeReport(5));
  t.same(await drainAll(reopened), ['host-1', 'host-2', 'host-3', 'host-4', 'host-5']);
  t.equal(reopened.queued, 0);
  t.equal(reopened.bytes, 0);
  t.same(await readdir(dir), [], 'nothing left behind');
});

t.test('names sort in enqueue order even when the clock goes back', async (t) => {
  const stateDir = t.testdir();
  const outbox = await Outbox.open(stateDir, { logger });
  const realNow = Date.now;
  t.teardown(() => (Date.now = realNow));
  const a = await outbox.enqueue(makeReport(0));
  Date.now = () => realNow() - 3_600_000;
  const b = await outbox.enqueue(makeReport(1));
  t.ok(a < b, `${a} < ${b}`);
  Date.now = realNow;
  // a second process (or a restart) continues after the newest file on disk
  const other = await Outbox.open(stateDir, { logger });
  Date.now = () => realNow() - 3_600_000;
  const c = await other.enqueue(makeReport(2));
  t.ok(b < c, `${b} < ${c}`);
});

t.test('past a bound the oldest are dropped, counted and logged', async (t) => {
  const stateDir = t.testdir();
  const log = captureLogger();
  const outbox = await Outbox.open(stateDir, { logger: log.logger, limits: { maxReports: 3 } });
  t.equal(outbox.stats().lastDroppedAt, null, 'never dropped yet');
  const before = Date.now();
  for (let i = 0; i < 5; i++) await outbox.enqueue(makeReport(i));
  t.equal(outbox.queued, 3);
  const stats = outbox.stats();
  t.same({ queued: stats.queued, dropped: stats.dropped }, { queued: 3, dropped: 2 });
  const droppedAt = Date.parse(stats.lastDroppedAt ?? '');
  t.ok(droppedAt >= before && droppedAt <= Date.now(), 'when the drop happened');
  t.match(log.text(), /"msg":"outbox full: oldest reports dropped"/);
  t.match(log.text(), /"level":40/);
  const saved = JSON.parse(
    await readFile(path.join(stateDir, OUTBOX_DIR, COUNTERS_FILE), 'utf8'),
  ) as unknown;
  t.same(saved, { dropped: 2, corrupt: 0, rejected: 0, lastDroppedAt: stats.lastDroppedAt });

  // the counter is persisted; a smaller byte bound applies on the next open
  const oneSize = Math.ceil(outbox.bytes / 3);
  const reopened = await Outbox.open(stateDir, { logger, limits: { maxBytes: oneSize * 2 } });
  t.equal(reopened.queued, 2);
  t.equal(reopened.totals.dropped, 3);
  t.ok(
    Date.parse(reopened.stats().lastDroppedAt!) >= droppedAt,
    'the time of the last drop is kept across opens',
  );
  t.same(await drainAll(reopened), ['host-3', 'host-4'], 'the newest are kept');
});

t.test('on open: temp files of dead writers go, damaged reports are set aside', async (t) => {
  const stateDir = t.testdir();
  const seed = await Outbox.open(stateDir, { logger });
  await seed.enqueue(makeReport(0));
  const dir = path.join(stateDir, OUTBOX_DIR);
  const good = (await readdir(dir)).filter((n) => n.endsWith('.json') && n !== COUNTERS_FILE);
  const id = '01890000-0000-7000-8000-000000000000';
  await writeFile(path.join(dir, `0000000000000001-${id}.json`), '{"schema":"vcio.rep');
  await writeFile(path.join(dir, `0000000000000002-${id}.json`), '[1,2]');
  await writeFile(path.join(dir, `0000000000000003-${id}.json`), 'null');
  // pids above the kernel's maximum are never alive
  await writeFile(path.join(dir, `0000000000000004-${id}.json.4194999.abcd0123.tmp`), '{"sch');
  await writeFile(path.join(dir, 'garbage.tmp'), '');
  const ours = `0000000000000005-${id}.json.${process.pid}.abcd0123.tmp`;
  await writeFile(path.join(dir, ours), '{');
  await writeFile(path.join(dir, COUNTERS_FILE), 'not json');
  await writeFile(path.join(dir, 'README'), 'left alone');

  const log = captureLogger();
  const outbox = await Outbox.open(stateDir, { logger: log.logger });
  t.equal(outbox.queued, 1, 'the good report is still queued');
  t.same(outbox.totals, { dropped: 0, corrupt: 3, rejected: 0 });
  t.match(log.text(), /outbox counters reset/);
  t.match(log.text(), /unreadable reports set aside as \.corrupt/);
  t.same((await readdir(dir)).sort(), [
    `0000000000000001-${id}.json.corrupt`,
    `0000000000000002-${id}.json.corrupt`,
    `0000000000000003-${id}.json.corrupt`,
    `0000000000000005-${id}.json.${process.pid}.abcd0123.tmp`,
    ...good,
    'README',
    COUNTERS_FILE,
  ]);
  t.equal((await outbox.oldest())?.name, good[0]);
});

t.test('a report damaged after open is set aside when its turn comes', async (t) => {
  const stateDir = t.testdir();
  const outbox = await Outbox.open(stateDir, { logger });
  const bad = await outbox.enqueue(makeReport(0));
  await outbox.enqueue(makeReport(1));
  await writeFile(path.join(outbox.dir, bad), '');
  const next = await outbox.oldest();
  t.equal(next?.report.host.hostname, 'host-1');
  t.equal(outbox.totals.corrupt, 1);
  t.ok((await readdir(outbox.dir)).includes(`${bad}.corrupt`));
});

t.test('refresh picks up reports another process queued; vanished ones are skipped', async (t) => {
  const stateDir = t.testdir();
  const a = await Outbox.open(stateDir, { logger });
  const b = await Outbox.open(stateDir, { logger });
  await b.enqueue(makeReport(0));
  await a.enqueue(makeReport(1));
  await a.refresh();
  t.equal(a.queued, 2);
  await b.remove((await b.oldest())!.name); // b sent host-0 meanwhile
  t.same(await drainAll(a), ['host-1']);
});

t.test('only the newest set-aside files are kept', async (t) => {
  const stateDir = t.testdir();
  const outbox = await Outbox.open(stateDir, { logger });
  for (let i = 0; i < MAX_ASIDE + 3; i++) {
    const name = await outbox.enqueue(makeReport(i));
    await outbox.setAside(name, 'rejected');
  }
  const aside = (await readdir(outbox.dir)).filter((n) => n.endsWith('.rejected'));
  t.equal(aside.length, MAX_ASIDE);
  t.equal(outbox.totals.rejected, MAX_ASIDE + 3);
  t.equal(outbox.queued, 0);
});

t.test('a state directory that cannot hold the outbox is a state-dir error', async (t) => {
  const base = t.testdir({ 'a-file': '' });
  await t.rejects(Outbox.open(path.join(base, 'a-file'), { logger }), StateDirError);
  const stateDir = t.testdir({ [OUTBOX_DIR]: '' });
  const err = await Outbox.open(stateDir, { logger }).catch((e: unknown) => e);
  t.type(err, StateDirError);
  t.match((err as Error).message, /cannot create outbox directory/);
});
