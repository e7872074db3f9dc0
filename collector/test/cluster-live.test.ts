// Two collectors (startCollector, as main.ts runs it) on one throwaway PostgreSQL database:
// a console on B sees what an agent reporting to A does, each collector's counters count
// only what it received, one of them leads the background jobs, and when the leader stops
// the other takes over.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { agentAuthorization, type EnrollResponse } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import { startCollector, type RunningCollector } from '../src/collector.js';
import { buildConfig } from '../src/config.js';
import { postgresUnavailable, startTestPostgres } from './support/postgres.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

// The ws package as @fastify/websocket installs it (the collector does not depend on it directly).
const requireHere = createRequire(import.meta.url);
const RealWebSocket = createRequire(requireHere.resolve('@fastify/websocket'))(
  'ws',
) as typeof WebSocket;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Message = any;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}

/** A console on the live feed: every message it got, and a wait for the one expected. */
async function openConsole(c: RunningCollector, t: Teardown, token: string) {
  const ws = new RealWebSocket(`${c.url.replace(/^http/, 'ws')}/api/v1/live`);
  t.teardown(() => ws.terminate());
  const messages: Message[] = [];
  ws.on('message', (data) => messages.push(...(JSON.parse(data.toString()) as Message[])));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = async (type: string, match: (m: Message) => boolean = () => true) => {
    await waitFor(() => messages.some((m) => m.type === type && match(m)), `a ${type} message`);
    return messages.find((m) => m.type === type && match(m));
  };
  ws.send(JSON.stringify({ type: 'auth', token }));
  await next('hello');
  ws.send(JSON.stringify({ type: 'subscribe', tenant: 'default' }));
  await next('subscribed');
  return { messages, next };
}

async function collectorOn(t: Teardown, database: string): Promise<RunningCollector> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-cluster-live-'));
  const config = buildConfig({
    listen: '127.0.0.1:0',
    dataDir,
    logLevel: 'silent',
    retentionDays: '30',
    bodyLimit: '4mb',
    synchronous: 'normal',
    database,
  });
  const collector = await startCollector(
    config,
    pino({ level: process.env.VCIO_TEST_LOG ?? 'silent' }),
  );
  t.teardown(async () => {
    await collector.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await collector.cluster.bridge?.ready();
  return collector;
}

/** A counter's value in a collector's /metrics. */
async function counter(c: RunningCollector, name: string): Promise<number | null> {
  const res = await c.app.inject({ method: 'GET', url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

const unavailable = postgresUnavailable();

t.test(
  'two collectors on one database: a console on B sees an agent of A',
  { skip: unavailable ?? false },
  async (t) => {
    const server = await startTestPostgres(t);
    const url = await server.createDatabase();
    const a = await collectorOn(t, url);
    const b = await collectorOn(t, url);
    t.ok(a.bootstrap, 'the first collector bootstraps the database');
    t.equal(b.bootstrap, null, 'the second finds it bootstrapped');
    const { adminToken, enrollToken } = a.bootstrap!;

    const console = await openConsole(b, t, adminToken);

    const enroll = await a.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: {
        token: enrollToken,
        machineId: 'm-1',
        hostname: 'host-m-1',
        agentVersion: '0.1.0',
      },
    });
    t.equal(enroll.statusCode, 201);
    const agent = enroll.json<EnrollResponse>();
    const enrolled = await console.next('agent.enrolled');
    t.match(enrolled.data, { agentId: agent.agentId, hostname: 'host-m-1', machineId: 'm-1' });

    const report = sampleReport({
      agentId: agent.agentId,
      machineId: 'm-1',
      hostname: 'host-m-1',
      sections: ['system', 'performance'],
    });
    const sent = await a.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: {
        authorization: agentAuthorization(agent.agentId, agent.secret),
        'content-type': 'application/json',
      },
      payload: JSON.stringify(report),
    });
    t.equal(sent.statusCode, 202);
    const reported = await console.next('host.reported');
    t.match(reported.data, {
      hostname: 'host-m-1',
      agentId: agent.agentId,
      reportId: report.reportId,
      os: { platform: report.sections.system!.os.platform },
    });
    t.ok(reported.data.performance, "the report's summary came along");
    const online = await console.next('host.online');
    t.equal(online.host, reported.host, 'B knows the host is online');
    // A assesses the host (it received the report) and B's console hears the change
    const posture = await console.next('posture.changed', (m) => m.data.scope === 'host');
    t.equal(posture.host, reported.host);

    await sleep(300); // anything duplicated would have arrived by now
    const count = (type: string) => console.messages.filter((m) => m.type === type).length;
    t.equal(count('host.reported'), 1, 'once on B');
    t.equal(count('agent.enrolled'), 1, 'once on B');
    t.equal(await counter(a, 'vcio_reports_ingested_total'), 1, 'A counts the report it stored');
    t.equal(await counter(b, 'vcio_reports_ingested_total'), 0, 'B does not count it again');
    t.equal(await counter(b, 'vcio_enrollments_total'), 0, 'nor the enrollment');

    // one of them leads the background jobs; when it stops the other takes over
    await waitFor(
      () => a.cluster.leadership.isLeader() || b.cluster.leadership.isLeader(),
      'a leader is elected',
    );
    t.equal([a, b].filter((c) => c.cluster.leadership.isLeader()).length, 1, 'exactly one leader');
    const [leader, survivor] = a.cluster.leadership.isLeader() ? [a, b] : [b, a];
    await leader.close();
    await waitFor(() => survivor.cluster.leadership.isLeader(), 'the survivor leads');
    t.pass('the survivor took over the background jobs');
  },
);
