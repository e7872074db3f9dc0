import t from 'tap';
import { agentAuthorization, API_PREFIX } from '../src/index.js';

t.test('agent credentials travel as a bearer token', async (t) => {
  t.equal(agentAuthorization('id-1', 'secret'), 'Bearer id-1.secret');
  t.equal(API_PREFIX, '/api/v1');
});

t.test('formats agree with what agents send', async (t) => {
  const { FormatRegistry } = await import('@sinclair/typebox');
  const uuid = FormatRegistry.Get('uuid')!;
  const date = FormatRegistry.Get('date')!;
  const dateTime = FormatRegistry.Get('date-time')!;
  t.ok(uuid('3f2b8c1e-9d4a-4b7e-8f00-1a2b3c4d5e6f'));
  t.notOk(uuid('3f2b8c1e9d4a4b7e8f001a2b3c4d5e6f'));
  t.ok(date('2024-02-29'));
  t.notOk(date('2023-02-29'), 'not a calendar date');
  t.notOk(date('2023-2-9'));
  t.ok(dateTime(new Date().toISOString()));
  t.ok(dateTime('2026-11-27T10:00:00+01:00'));
  t.notOk(dateTime('2026-11-27'));
  t.notOk(dateTime('2026-13-27T10:00:00Z'));
});

t.test('report ids are time-ordered UUID v7', async (t) => {
  const { newReportId } = await import('../src/index.js');
  const a = newReportId(1_700_000_000_000);
  const b = newReportId(1_700_000_000_001);
  t.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.ok(a < b, 'a later id sorts after an earlier one');
  t.equal(a.slice(0, 13).replace('-', ''), (1_700_000_000_000).toString(16).padStart(12, '0'));
  t.not(newReportId(5), newReportId(5), 'random bits differ within the same millisecond');
});
