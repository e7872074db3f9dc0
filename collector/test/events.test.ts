// The events the routes emit for metrics and the live feed: one per stored report, per
// duplicate, per rejection (with its error code) and per enrollment.
import { sampleReport } from '@vcio/shared/testing';
import t from 'tap';
import type { CollectorEventMap } from '../src/events.js';
import { testCollector } from './helpers.js';

type Watched = 'report.stored' | 'report.duplicate' | 'report.rejected' | 'agent.enrolled';
type Seen = { [K in Watched]: CollectorEventMap[K][0][] };

t.test('stored, duplicate, rejected and enrolled events', async (t) => {
  const c = await testCollector(t);
  const seen: Seen = {
    'report.stored': [],
    'report.duplicate': [],
    'report.rejected': [],
    'agent.enrolled': [],
  };
  c.events.on('report.stored', (e) => seen['report.stored'].push(e));
  c.events.on('report.duplicate', (e) => seen['report.duplicate'].push(e));
  c.events.on('report.rejected', (e) => seen['report.rejected'].push(e));
  c.events.on('agent.enrolled', (e) => seen['agent.enrolled'].push(e));

  const agent = await c.enroll('m-1');
  t.match(seen['agent.enrolled'], [
    { agentId: agent.agentId, hostname: 'host-m-1', machineId: 'm-1' },
  ]);

  const report = sampleReport({
    agentId: agent.agentId,
    machineId: 'm-1',
    hostname: 'h-1',
    sections: ['system', 'performance'],
  });
  const send = (payload: unknown, authorization = agent.authorization) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { authorization },
      payload: payload as object,
    });
  t.equal((await send(report)).statusCode, 202);
  t.equal(seen['report.stored'].length, 1);
  const stored = seen['report.stored'][0]!;
  t.match(stored, {
    agentId: agent.agentId,
    hostname: 'h-1',
    reportId: report.reportId,
    sections: ['system', 'performance'],
  });
  t.match(stored.hostId, /^[0-9a-f-]{36}$/);
  t.ok(stored.ingestSeconds > 0 && stored.ingestSeconds < 10, `${stored.ingestSeconds} s`);
  t.equal(stored.collectedAt.toISOString(), new Date(report.collectedAt).toISOString());

  t.equal((await send(report)).statusCode, 202);
  t.match(seen['report.duplicate'], [{ reportId: report.reportId }], 'a retry is not stored twice');
  t.equal(seen['report.stored'].length, 1);

  t.equal((await send({ ...report, schema: 'nope' })).statusCode, 400);
  t.equal((await send(report, 'Bearer nobody.nothing')).statusCode, 401);
  t.same(
    seen['report.rejected'].map((e) => [e.status, e.reason]),
    [
      [400, 'invalid_request'],
      [401, 'invalid_credentials'],
    ],
  );
});
