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
