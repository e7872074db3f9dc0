import t from 'tap';
import { gzipSync } from 'node:zlib';
import { sampleReport } from '@vcio/shared/testing';
import { onceStorageRecovered, testCollector } from './helpers.js';

const post = (authorization: string | undefined, payload: unknown, headers = {}) => ({
  method: 'POST' as const,
  url: '/api/v1/reports',
  headers: {
    'content-type': 'application/json',
    ...(authorization ? { authorization } : {}),
    ...headers,
  },
  payload: payload as string,
});

t.test('a valid report is stored once and shows up in the API', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const report = sampleReport({
    agentId: agent.agentId,
    machineId: 'm-1',
    sections: ['system', 'performance'],
  });

  const first = await c.app.inject(post(agent.authorization, report));
  t.equal(first.statusCode, 202, first.body);
  t.same(first.json(), { reportId: report.reportId, duplicate: false, ignoredSections: [] });

  const again = await c.app.inject(post(agent.authorization, report));
  t.equal(again.statusCode, 202);
  t.equal(again.json().duplicate, true, 'a retried report is acknowledged as a duplicate');
  const count = c.store.db.prepare('SELECT count(*) AS n FROM performance_samples').get() as {
    n: number;
  };
  t.equal(count.n, 1, 'the duplicate stored nothing');

  const list = await c.app.inject({ url: '/api/v1/hosts', headers: c.admin });
  t.equal(list.statusCode, 200);
  const { hosts, total } = list.json();
  t.equal(total, 1);
  t.equal(hosts[0].hostname, report.host.hostname);
  t.equal(hosts[0].os.platform, 'linux');
  t.equal(hosts[0].tenantSlug, 'default');

  const detail = await c.app.inject({ url: `/api/v1/hosts/${hosts[0].id}`, headers: c.admin });
  t.equal(detail.statusCode, 200);
  const host = detail.json();
  t.equal(host.sections.system.data.memory.totalBytes, report.sections.system!.memory.totalBytes);
  t.equal(host.latestPerformance.memoryUsedBytes, report.sections.performance!.memory.usedBytes);

  const perf = await c.app.inject({
    url: `/api/v1/hosts/${hosts[0].id}/performance`,
    headers: c.admin,
  });
  t.equal(perf.json().samples.length, 1);
});

t.test('gzip bodies are accepted, and bombs are cut off at the limit', async (t) => {
  const c = await testCollector(t, { bodyLimitBytes: 64 * 1024 });
  const agent = await c.enroll();
  const report = sampleReport({ agentId: agent.agentId });
  const ok = await c.app.inject(
    post(agent.authorization, gzipSync(JSON.stringify(report)), { 'content-encoding': 'gzip' }),
  );
  t.equal(ok.statusCode, 202, ok.body);

  // 64 MiB of spaces compresses to ~64 KiB... keep it smaller but far beyond the limit.
  const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
  t.ok(bomb.length < 64 * 1024, 'the bomb itself is under the limit');
  const cut = await c.app.inject(post(agent.authorization, bomb, { 'content-encoding': 'gzip' }));
  t.equal(cut.statusCode, 413);
  t.equal(cut.json().error, 'payload_too_large');

  const broken = await c.app.inject(
    post(agent.authorization, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }),
  );
  t.equal(broken.statusCode, 400);
  t.equal(broken.json().error, 'invalid_gzip');

  const br = await c.app.inject(post(agent.authorization, 'x', { 'content-encoding': 'br' }));
  t.equal(br.statusCode, 415);
  t.equal(br.json().error, 'unsupported_encoding');
});

t.test('bad input is a 4xx with a JSON error that says what and where', async (t) => {
  const c = await testCollector(t, { bodyLimitBytes: 16 * 1024 });
  const agent = await c.enroll();
  const good = sampleReport({ agentId: agent.agentId });

  const cases: [string, unknown, number, string, RegExp?][] = [
    ['wrong schema', { ...good, schema: 'vcio.report/v9' }, 400, 'invalid_request', /body\/schema/],
    ['bad uuid', { ...good, reportId: 'nope' }, 400, 'invalid_request', /reportId/],
    [
      'missing field deep inside',
      { ...good, sections: { performance: { ...good.sections.performance, memory: {} } } },
      400,
      'invalid_request',
      /performance\/memory/,
    ],
    ['unknown top-level field', { ...good, extra: 1 }, 400, 'invalid_request', /additional/],
    ['not JSON', '{"schema":', 400, 'invalid_json'],
    [
      'too large',
      { ...good, errors: [{ collector: 'x', message: 'y'.repeat(20_000) }] },
      413,
      'payload_too_large',
    ],
  ];
  for (const [name, payload, status, code, message] of cases) {
    const res = await c.app.inject(
      post(agent.authorization, typeof payload === 'string' ? payload : JSON.stringify(payload)),
    );
    t.equal(res.statusCode, status, `${name}: ${res.body}`);
    t.equal(res.json().error, code, name);
    if (message) t.match(res.json().message, message, name);
  }

  const wrongType = await c.app.inject({
    ...post(agent.authorization, 'schema=1'),
    headers: { authorization: agent.authorization, 'content-type': 'text/plain' },
  });
  t.equal(wrongType.statusCode, 415);
});

t.test('credentials: none, wrong, or another agent’s report', async (t) => {
  const c = await testCollector(t);
  const a = await c.enroll('m-a');
  const b = await c.enroll('m-b');
  const report = sampleReport({ agentId: a.agentId, machineId: 'm-a' });

  const none = await c.app.inject(post(undefined, report));
  t.equal(none.statusCode, 401);
  t.equal(none.json().error, 'unauthenticated');
  t.ok(none.headers['www-authenticate']);

  const wrong = await c.app.inject(post(`Bearer ${a.agentId}.${'x'.repeat(43)}`, report));
  t.equal(wrong.statusCode, 401);
  t.equal(wrong.json().error, 'invalid_credentials');

  const unknown = await c.app.inject(
    post(`Bearer 00000000-0000-4000-8000-000000000000.abc`, report),
  );
  t.equal(unknown.statusCode, 401);

  const apiTokenAsAgent = await c.app.inject(post(`Bearer ${c.secrets.adminToken}`, report));
  t.equal(apiTokenAsAgent.statusCode, 401, 'an API token is not an agent credential');

  const mismatch = await c.app.inject(post(b.authorization, report));
  t.equal(mismatch.statusCode, 403);
  t.equal(mismatch.json().error, 'agent_mismatch');

  t.equal((await c.app.inject(post(a.authorization, report))).statusCode, 202);
  const asB = { ...report, agent: { ...report.agent, id: b.agentId } };
  const otherMachine = await c.app.inject(post(b.authorization, asB));
  t.equal(otherMachine.statusCode, 403, "b's credentials speak for m-b only");
  t.equal(otherMachine.json().error, 'machine_mismatch');
  const stolenId = await c.app.inject(
    post(b.authorization, { ...asB, host: { ...report.host, machineId: 'm-b' } }),
  );
  t.equal(stolenId.statusCode, 409, 'a report id already stored for another agent');
});

t.test('sections from newer agents are ignored, not rejected', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll();
  const report = sampleReport({ agentId: agent.agentId });
  const withFuture = { ...report, sections: { ...report.sections, quantum: { qubits: 3 } } };
  const res = await c.app.inject(post(agent.authorization, withFuture));
  t.equal(res.statusCode, 202, res.body);
  t.same(res.json().ignoredSections, ['quantum']);
});

t.test('an older report never overwrites a newer section', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const newer = sampleReport({
    agentId: agent.agentId,
    machineId: 'm-1',
    seed: 2,
    collectedAt: new Date('2026-11-02T00:00:00Z'),
    sections: ['system', 'performance'],
  });
  const older = sampleReport({
    agentId: agent.agentId,
    machineId: 'm-1',
    seed: 3,
    collectedAt: new Date('2026-11-01T00:00:00Z'),
    sections: ['system', 'performance'],
  });
  t.equal((await c.app.inject(post(agent.authorization, newer))).statusCode, 202);
  t.equal((await c.app.inject(post(agent.authorization, older))).statusCode, 202);
  const { hosts } = (await c.app.inject({ url: '/api/v1/hosts', headers: c.admin })).json();
  const host = (
    await c.app.inject({ url: `/api/v1/hosts/${hosts[0].id}`, headers: c.admin })
  ).json();
  t.equal(host.sections.system.collectedAt, '2026-11-02T00:00:00.000Z');
  t.equal(host.sections.system.data.hardware.serial, newer.sections.system!.hardware.serial);
  t.notOk(host.sections.performance, 'performance is a time series, not kept as section state');
  t.equal(host.latestPerformance.memoryUsedBytes, newer.sections.performance!.memory.usedBytes);
});

t.test('many concurrent reports are all committed (group commit)', async (t) => {
  const c = await testCollector(t);
  const agents = await Promise.all(Array.from({ length: 20 }, (_, i) => c.enroll(`m-${i}`)));
  const results = await Promise.all(
    Array.from({ length: 600 }, (_, i) => {
      const a = agents[i % agents.length]!;
      return c.app.inject(
        post(
          a.authorization,
          sampleReport({ agentId: a.agentId, machineId: `m-${i % 20}`, seed: i }),
        ),
      );
    }),
  );
  t.same(
    results.map((r) => r.statusCode).filter((s) => s !== 202),
    [],
    'every report got a 202',
  );
  const n = (c.store.db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
  t.equal(n, 600);
  const hosts = (c.store.db.prepare('SELECT count(*) AS n FROM hosts').get() as { n: number }).n;
  t.equal(hosts, 20);
});

t.test('a database that cannot take writes answers 503 with Retry-After', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll();
  c.store.db.pragma('query_only = ON');
  const res = await c.app.inject(
    post(agent.authorization, sampleReport({ agentId: agent.agentId })),
  );
  t.equal(res.statusCode, 503, res.body);
  t.equal(res.json().error, 'storage_unavailable');
  t.equal(res.headers['retry-after'], '30');
  c.store.db.pragma('query_only = OFF');
  const after = await onceStorageRecovered(() =>
    c.app.inject(post(agent.authorization, sampleReport({ agentId: agent.agentId }))),
  );
  t.equal(after.statusCode, 202, 'recovers once writes work again');
});

t.test('a patches section is stored as the host’s latest state', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const report = sampleReport({ agentId: agent.agentId, machineId: 'm-1' });
  const patches = {
    sources: [
      {
        manager: 'apt' as const,
        checkedAt: new Date().toISOString(),
        durationSeconds: 1.2,
        ok: false,
        error: 'apt: Could not get lock /var/lib/dpkg/lock-frontend',
        pending: [],
        pendingCount: null,
        securityCount: null,
        lastInstallAt: null,
      },
    ],
    rebootRequired: null,
    rebootReasons: [],
  };
  const res = await c.app.inject(
    post(agent.authorization, { ...report, sections: { ...report.sections, patches } }),
  );
  t.equal(res.statusCode, 202, res.body);
  t.same(res.json().ignoredSections, []);
  const { hosts } = (await c.app.inject({ url: '/api/v1/hosts', headers: c.admin })).json();
  const host = (
    await c.app.inject({ url: `/api/v1/hosts/${hosts[0].id}`, headers: c.admin })
  ).json();
  t.equal(host.sections.patches.data.sources[0].ok, false);
  t.equal(host.sections.patches.data.sources[0].pendingCount, null, 'an error is not 0 pending');
});

t.test('unknown values are stored as null, never coerced to 0 or ""', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-1');
  const report = sampleReport({
    agentId: agent.agentId,
    machineId: 'm-1',
    sections: ['system', 'performance'],
  });
  const system = report.sections.system!;
  system.hardware.serial = null;
  system.cpu.speedGhz = null;
  system.os.build = null;
  report.sections.performance!.cpu.utilisation = null;
  report.sections.performance!.processes.total = null;
  t.equal((await c.app.inject(post(agent.authorization, report))).statusCode, 202);
  const { hosts } = (await c.app.inject({ url: '/api/v1/hosts', headers: c.admin })).json();
  const host = (
    await c.app.inject({ url: `/api/v1/hosts/${hosts[0].id}`, headers: c.admin })
  ).json();
  const stored = host.sections.system.data;
  t.equal(stored.hardware.serial, null);
  t.equal(stored.cpu.speedGhz, null);
  t.equal(stored.os.build, null);
  t.equal(host.latestPerformance.cpuUtilisation, null);
  t.equal(host.latestPerformance.processCount, null);
});
