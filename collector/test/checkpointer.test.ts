import t from 'tap';
import { statSync } from 'node:fs';
import { sampleReport } from '@vcio/shared/testing';
import { testCollector } from './helpers.js';

t.test('WAL pages reach the database file without the ingest thread checkpointing', async (t) => {
  const c = await testCollector(t);
  t.equal(c.store.db.pragma('wal_autocheckpoint', { simple: true }), 0, 'ingest never checkpoints');
  const agent = (await c.store.access.findAgent((await c.enroll('m-1')).agentId))!;
  const before = statSync(c.store.path).size;
  await Promise.all(
    Array.from({ length: 2000 }, (_, i) =>
      c.store.reports.ingest({
        report: sampleReport({ agentId: agent.id, machineId: 'm-1', seed: i }),
        agent,
        receivedAt: new Date(),
        sections: ['performance'],
      }),
    ),
  );
  const deadline = Date.now() + 5000;
  while (statSync(c.store.path).size <= before && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(statSync(c.store.path).size > before, 'the worker copied the WAL into the database');
  await c.store.close();
  t.equal(c.store.db.open, false);
});
