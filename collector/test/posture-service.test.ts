// The posture service's scheduling: what re-assesses a host and when, retries after a
// failure, and the software-lifecycle cache that spares reading a host's whole package list.
import t from 'tap';
import { testCollector } from './helpers.js';
import { dpkg, hostKeyOf, reportWith, security, send, software } from './sections.js';
import { samplePerformance, sampleSystem } from '@vcio/shared/testing';

async function withHost(t: {
  teardown(fn: () => unknown): void;
  equal: (a: unknown, b: unknown) => void;
}) {
  const c = await testCollector(t);
  const agent = await c.enroll('m-svc');
  const full = reportWith(agent, 'm-svc', {
    system: sampleSystem('svc'),
    security: security(),
    software: software([dpkg('nodejs', '18.19.0+dfsg-6~deb12u2'), dpkg('openssl', '3.0.15-1')]),
  });
  t.equal((await send(c, agent, full)).statusCode, 202);
  await c.app.posture.idle();
  const { id } = hostKeyOf(c, 'm-svc');
  const assessedAt = async () => (await c.store.posture.getHostPosture(id))!.assessedAt.getTime();
  return { c, agent, id, assessedAt };
}

t.test(
  'a performance-only report waits its turn; a state report is assessed at once',
  async (t) => {
    const { c, agent, assessedAt } = await withHost(t);
    const first = await assessedAt();
    const perf = reportWith(agent, 'm-svc', { performance: samplePerformance(3) });
    t.equal((await send(c, agent, perf)).statusCode, 202);
    await new Promise((r) => setTimeout(r, 400));
    await c.app.posture.idle();
    t.equal(await assessedAt(), first, 'not re-assessed within 30 minutes of the last time');
    const state = reportWith(agent, 'm-svc', { security: security() });
    t.equal((await send(c, agent, state)).statusCode, 202);
    await c.app.posture.idle();
    t.ok((await assessedAt()) > first, 're-assessed after a state section');
  },
);

t.test('the software list is read only when its hash changed', async (t) => {
  const { c, agent, id } = await withHost(t);
  const reads: (boolean | undefined)[] = [];
  const getHost = c.store.hosts.getHost.bind(c.store.hosts);
  c.store.hosts.getHost = async (hostId, options) => {
    if (hostId === id) reads.push(options?.softwareItems);
    return getHost(hostId, options);
  };
  const before = (await c.store.posture.getHostPosture(id))!.detail as { software: unknown[] };
  t.equal(before.software.length, 1, 'Node.js 18 is key software');
  t.equal(
    (await send(c, agent, reportWith(agent, 'm-svc', { security: security() }))).statusCode,
    202,
  );
  await c.app.posture.idle();
  t.same(reads, [false], 'one read, without the list');
  const after = (await c.store.posture.getHostPosture(id))!.detail as { software: unknown[] };
  t.same(after.software, before.software, 'the cached lifecycle is used');

  reads.length = 0;
  const changed = software([dpkg('nodejs', '20.19.2+dfsg-1')]);
  t.equal(
    (await send(c, agent, reportWith(agent, 'm-svc', { software: changed }))).statusCode,
    202,
  );
  await c.app.posture.idle();
  t.same(reads, [false, undefined], 'a new hash: the list is read');
  const updated = (await c.store.posture.getHostPosture(id))!.detail as {
    software: { cycle: string }[];
  };
  t.equal(updated.software[0]?.cycle, '20');
});

t.test('a failed assessment is retried, not dropped', async (t) => {
  const { c, agent, id, assessedAt } = await withHost(t);
  const first = await assessedAt();
  const record = c.store.posture.recordHostPosture.bind(c.store.posture);
  let failures = 1;
  c.store.posture.recordHostPosture = async (write) => {
    if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
    return record(write);
  };
  t.equal(
    (await send(c, agent, reportWith(agent, 'm-svc', { security: security() }))).statusCode,
    202,
  );
  await c.app.posture.idle();
  t.equal(await assessedAt(), first, 'the failed attempt stored nothing');
  // the retry is due 30 s later: bring it forward rather than wait
  c.app.posture.queueHost(id);
  await c.app.posture.idle();
  t.ok((await assessedAt()) > first, 'assessed on the retry');
});
