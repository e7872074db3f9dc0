// GET /metrics: the exposition is valid, the health figures follow the event bus, the
// fleet and per-host figures follow the database, the per-host cap and the cache work,
// and the optional auth holds.
import t from 'tap';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { sampleReport } from '@vcio/shared/testing';
import { buildMetricsConfig, type MetricsConfig } from '../src/config.js';
import { CollectorEvents } from '../src/events.js';
import { registerErrorHandling } from '../src/http/errors.js';
import { CollectorMetrics, liveClients, metricsRoutes, renderFleet } from '../src/metrics/index.js';
import { setLiveClientSource } from '../src/metrics/registry.js';
import { escapeLabelValue, formatValue } from '../src/metrics/exposition.js';
import { testCollector, type TestCollector } from './helpers.js';
import { find, parseExposition } from './metrics-format.js';
import { patches, patchSource, pending, reportWith, send, type Agent } from './sections.js';

const scrape = async (c: { app: TestCollector['app'] }, headers: Record<string, string> = {}) => {
  const res = await c.app.inject({ url: '/metrics', headers });
  return { res, e: res.statusCode === 200 ? parseExposition(res.body) : null };
};

/** A collector (inject only) with its own metrics config. */
const collectorWith = (t: { teardown(fn: () => unknown): void }, metrics: Partial<MetricsConfig>) =>
  testCollector(t, { metrics });

/** A full report: system, performance and patches (2 pending, 1 security critical). */
function fullReport(agent: Agent, machineId: string, hostname: string, reboot: boolean | null) {
  const base = sampleReport({
    agentId: agent.agentId,
    machineId,
    hostname,
    sections: ['system', 'performance'],
    seed: 7,
  });
  const p = patches([
    patchSource('apt', [
      pending('openssl', '3.0.1', '3.0.2', { security: true, severity: 'critical' }),
      pending('curl', '7.1', '7.2'),
    ]),
  ]);
  p.rebootRequired = reboot;
  return reportWith(agent, machineId, { ...base.sections, patches: p }, { hostname });
}

t.test('an empty collector exports every family, validly, without auth', async (t) => {
  const c = await testCollector(t);
  const { res, e } = await scrape(c);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const name of [
    'vcio_reports_ingested_total',
    'vcio_reports_rejected_total',
    'vcio_report_ingest_duration_seconds',
    'vcio_enrollments_total',
    'vcio_database_size_bytes',
    'vcio_database_commit_duration_seconds',
    'vcio_live_clients',
    'nodejs_eventloop_lag_seconds',
    'process_resident_memory_bytes',
    'vcio_tenant_hosts',
    'vcio_host_up',
    'vcio_host_os_info',
    'vcio_metrics_fleet_age_seconds',
  ]) {
    t.ok(e!.types.has(name), name);
  }
  t.same(
    find(e!, 'vcio_tenant_hosts', { tenant: 'default' }).map((s) => s.value),
    [0],
  );
  t.ok(find(e!, 'vcio_database_size_bytes', { file: 'main' })[0]!.value > 0, 'database sized');
});

t.test('reports, rejections and enrollments are counted; hosts appear', async (t) => {
  const c = await collectorWith(t, {});
  const agent = await c.enroll('m-1');
  // Everything a hostname may hold, and the format must escape.
  const hostname = 'ws "quoted" \\ back\nslash';
  t.equal(
    (await send(c as never, agent, fullReport(agent, 'm-1', hostname, true))).statusCode,
    202,
  );
  const bad = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: { 'content-type': 'application/json' },
    payload: '{}',
  });
  t.equal(bad.statusCode, 401);
  const { e } = await scrape(c);
  t.equal(find(e!, 'vcio_reports_ingested_total')[0]!.value, 1);
  t.equal(find(e!, 'vcio_enrollments_total')[0]!.value, 1);
  t.equal(find(e!, 'vcio_reports_rejected_total', { reason: 'unauthenticated' })[0]?.value, 1);
  t.equal(find(e!, 'vcio_report_ingest_duration_seconds_count')[0]!.value, 1);
  t.ok(find(e!, 'vcio_database_commit_duration_seconds_count')[0]!.value >= 1);
  t.ok(find(e!, 'vcio_database_committed_reports_total')[0]!.value >= 1);

  const [up] = find(e!, 'vcio_host_up');
  t.equal(up!.value, 1);
  t.equal(up!.labels.hostname, hostname, 'hostname survives escaping');
  t.equal(up!.labels.tenant, 'default');
  const host = up!.labels.host!;
  const of = (name: string) => find(e!, name, { host })[0]?.value;
  t.equal(of('vcio_host_pending_updates'), 2);
  t.equal(of('vcio_host_pending_security_updates'), 1);
  t.equal(of('vcio_host_reboot_required'), 1);
  t.ok(of('vcio_host_cpu_utilisation_ratio')! >= 0 && of('vcio_host_cpu_utilisation_ratio')! <= 1);
  t.ok(of('vcio_host_memory_used_ratio')! > 0 && of('vcio_host_memory_used_ratio')! < 1);
  t.ok(of('vcio_host_disk_used_ratio')! >= 0 && of('vcio_host_disk_used_ratio')! <= 1);
  t.ok(Math.abs(of('vcio_host_last_report_timestamp_seconds')! - Date.now() / 1000) < 60);
  t.same(find(e!, 'vcio_host_os_info', { host })[0]!.labels, {
    tenant: 'default',
    host,
    hostname,
    platform: 'linux',
    distro: 'Ubuntu',
    release: '22.04.4 LTS',
  });
  const tenant = (name: string, labels = {}) =>
    find(e!, name, { tenant: 'default', ...labels })[0]?.value;
  t.equal(tenant('vcio_tenant_hosts'), 1);
  t.equal(tenant('vcio_tenant_hosts_online'), 1);
  t.equal(tenant('vcio_tenant_hosts_reboot_required'), 1);
  t.equal(tenant('vcio_tenant_pending_security_updates'), 1);
  t.equal(tenant('vcio_tenant_pending_updates', { severity: 'critical' }), 1);
  t.equal(tenant('vcio_tenant_pending_updates', { severity: 'unknown' }), 1);
  t.equal(tenant('vcio_tenant_pending_updates', { severity: 'low' }), 0);
  t.equal(find(e!, 'vcio_metrics_per_host_hosts')[0]!.value, 1);
});

t.test('a host without patches or performance exports only what is known', async (t) => {
  const c = await collectorWith(t, {});
  const agent = await c.enroll('m-2');
  const report = reportWith(agent, 'm-2', {}, { hostname: 'bare' });
  t.equal((await send(c as never, agent, report)).statusCode, 202);
  const { e } = await scrape(c);
  const host = find(e!, 'vcio_host_up')[0]!.labels.host!;
  for (const name of [
    'vcio_host_pending_updates',
    'vcio_host_reboot_required',
    'vcio_host_cpu_utilisation_ratio',
    'vcio_host_os_info',
  ]) {
    t.same(find(e!, name, { host }), [], `${name} absent`);
  }
  // rebootRequired unknown: no reboot sample, and not counted
  const agent2 = await c.enroll('m-3');
  await send(c as never, agent2, fullReport(agent2, 'm-3', 'x', null));
  const c0 = await collectorWith(t, { cacheSeconds: 0 });
  t.ok(c0);
});

t.test('the per-host series can be capped or turned off; tenant totals stay whole', async (t) => {
  for (const [limit, expected] of [
    [0, 0],
    [1, 1],
    [Infinity, 2],
  ] as const) {
    const c = await collectorWith(t, { perHostLimit: limit });
    for (const m of ['a', 'b']) {
      const agent = await c.enroll(m);
      await send(c as never, agent, fullReport(agent, m, `host-${m}`, false));
    }
    const { e } = await scrape(c);
    t.equal(find(e!, 'vcio_host_up').length, expected, `limit ${limit}`);
    t.equal(find(e!, 'vcio_host_os_info').length, expected);
    t.equal(find(e!, 'vcio_metrics_per_host_omitted_hosts')[0]!.value, 2 - expected);
    t.equal(find(e!, 'vcio_tenant_hosts', { tenant: 'default' })[0]!.value, 2);
    t.equal(find(e!, 'vcio_tenant_hosts_reboot_required', { tenant: 'default' })[0]!.value, 0);
  }
});

t.test('fleet figures are cached, and the scrape says how old they are', async (t) => {
  const cached = await collectorWith(t, { cacheSeconds: 3600 });
  const fresh = await collectorWith(t, { cacheSeconds: 0 });
  for (const c of [cached, fresh]) {
    await scrape(c); // fills the cache
    const agent = await c.enroll('late');
    await send(c as never, agent, fullReport(agent, 'late', 'late', false));
  }
  await new Promise((r) => setTimeout(r, 20));
  const a = (await scrape(cached)).e!;
  t.equal(find(a, 'vcio_tenant_hosts')[0]!.value, 0, 'cached: the new host is not seen yet');
  t.ok(find(a, 'vcio_metrics_fleet_age_seconds')[0]!.value >= 0.02, 'age grows');
  t.equal(find(a, 'vcio_reports_ingested_total')[0]!.value, 1, 'health figures are live');
  const b = (await scrape(fresh)).e!;
  t.equal(find(b, 'vcio_tenant_hosts')[0]!.value, 1, 'uncached: seen at once');
  t.ok(find(b, 'vcio_metrics_fleet_age_seconds')[0]!.value < 1);
});

t.test('offline hosts are down, after the online window, by the clock', async (t) => {
  const c = await collectorWith(t, {});
  const agent = await c.enroll('old');
  await send(c as never, agent, fullReport(agent, 'old', 'old', false));
  const app = Fastify();
  registerErrorHandling(app);
  const metrics = new CollectorMetrics();
  app.register(
    metricsRoutes({
      store: c.store,
      events: new CollectorEvents(),
      metrics,
      config: { ...buildMetricsConfig({}), onlineSeconds: 60 },
      now: () => Date.now() + 61_000,
    }),
  );
  t.teardown(() => app.close());
  const e = parseExposition((await app.inject({ url: '/metrics' })).body);
  t.equal(find(e, 'vcio_host_up')[0]!.value, 0);
  t.equal(find(e, 'vcio_tenant_hosts_online')[0]!.value, 0);
  t.equal(find(e, 'vcio_tenant_hosts')[0]!.value, 1);
});

t.test('a failing fleet read still answers, with the health figures', async (t) => {
  const app = Fastify({ logger: false });
  registerErrorHandling(app);
  const c = await testCollector(t);
  let fail = false;
  app.register(
    metricsRoutes({
      store: c.store,
      events: new CollectorEvents(),
      metrics: new CollectorMetrics(),
      config: { ...buildMetricsConfig({}), cacheSeconds: 0 },
      fleet: {
        read(now) {
          if (fail) throw new Error('database is locked');
          return { tenants: ['acme'], hosts: [], readAtMs: now, tenantPosture: new Map() };
        },
      },
    }),
  );
  t.teardown(() => app.close());
  t.equal(parseExposition((await app.inject({ url: '/metrics' })).body).samples.length > 0, true);
  fail = true;
  const res = await app.inject({ url: '/metrics' });
  t.equal(res.statusCode, 200);
  const e = parseExposition(res.body);
  t.equal(find(e, 'vcio_metrics_fleet_read_failures_total')[0]!.value, 1);
  t.equal(find(e, 'vcio_tenant_hosts', { tenant: 'acme' })[0]!.value, 0, 'last figures kept');
  t.ok(find(e, 'vcio_reports_ingested_total').length === 1);

  // No fleet source at all (a store without SQLite): health only.
  const bare = Fastify();
  bare.register(
    metricsRoutes({
      store: c.store,
      events: new CollectorEvents(),
      metrics: new CollectorMetrics(),
      config: buildMetricsConfig({}),
      fleet: null,
    }),
  );
  t.teardown(() => bare.close());
  const none = parseExposition((await bare.inject({ url: '/metrics' })).body);
  t.same(find(none, 'vcio_tenant_hosts'), []);
  t.same(find(none, 'vcio_metrics_fleet_age_seconds'), []);
});

t.test('bearer token and basic auth on /metrics', async (t) => {
  const token = 'scrape-token-0123456789';
  const c = await collectorWith(t, {
    auth: { bearerToken: token, basic: { username: 'prom', password: 'pa:ss word!' } },
  });
  const basic = (user: string, pass: string) =>
    `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const cases: [string | undefined, number, string?][] = [
    [undefined, 401, 'unauthenticated'],
    ['Bearer', 401, 'unauthenticated'],
    [`Bearer ${token}x`, 401, 'invalid_credentials'],
    [`Token ${token}`, 401, 'invalid_credentials'],
    [basic('prom', 'wrong'), 401, 'invalid_credentials'],
    [`Bearer ${token}`, 200],
    [`bearer ${token}`, 200],
    [basic('prom', 'pa:ss word!'), 200],
  ];
  for (const [authorization, status, code] of cases) {
    const res = await c.app.inject({
      url: '/metrics',
      headers: authorization ? { authorization } : {},
    });
    t.equal(res.statusCode, status, authorization ?? '(none)');
    if (code) {
      t.equal(res.json().error, code);
      t.match(res.headers['www-authenticate'], /Bearer realm="vcio metrics", Basic realm/);
      t.notMatch(res.body, token);
    }
  }

  const onlyBasic = await collectorWith(t, {
    auth: { bearerToken: null, basic: { username: 'u', password: 'password' } },
  });
  const res = await onlyBasic.app.inject({
    url: '/metrics',
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(res.statusCode, 401);
  t.equal(res.headers['www-authenticate'], 'Basic realm="vcio metrics", charset="UTF-8"');
  const none = await onlyBasic.app.inject({ url: '/metrics' });
  t.match(none.json().message, /basic auth$/);
});

t.test('rejection reasons are bounded; live clients are read on scrape', async (t) => {
  const c = await collectorWith(t, {});
  for (let i = 0; i < 40; i++) c.events.emit('report.rejected', { reason: `r${i}`, status: 400 });
  c.events.emit('report.duplicate', { tenantId: 't', agentId: 'a', reportId: 'r' });
  c.events.emit('report.stored', {
    tenantId: 't',
    hostId: 'h',
    agentId: 'a',
    hostname: 'h',
    reportId: 'r',
    collectedAt: new Date(),
    receivedAt: new Date(),
    sections: [],
    ingestSeconds: NaN,
  });
  setLiveClientSource(() => 3);
  const { e } = await scrape(c);
  setLiveClientSource(null);
  const reasons = find(e!, 'vcio_reports_rejected_total');
  t.equal(reasons.length, 33, '32 reasons and other');
  t.equal(find(e!, 'vcio_reports_rejected_total', { reason: 'other' })[0]!.value, 8);
  t.equal(find(e!, 'vcio_reports_duplicate_total')[0]!.value, 1);
  t.equal(find(e!, 'vcio_report_ingest_duration_seconds_count')[0]!.value, 0, 'NaN not observed');
  t.equal(find(e!, 'vcio_live_clients')[0]!.value, 3);
  liveClients.set(5); // a feed that sets the gauge itself
  t.equal(find((await scrape(c)).e!, 'vcio_live_clients')[0]!.value, 5);
});

t.test('exposition helpers', async (t) => {
  t.equal(escapeLabelValue('plain'), 'plain');
  t.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  t.equal(formatValue(NaN), 'NaN');
  t.equal(formatValue(Infinity), '+Inf');
  t.equal(formatValue(-Infinity), '-Inf');
  t.equal(formatValue(0.5), '0.5');
  const rendered = renderFleet(
    {
      tenants: [],
      readAtMs: 1_000_000,
      tenantPosture: new Map(),
      hosts: [
        {
          id: 'h1',
          hostname: 'x',
          tenant: 'new-tenant',
          os: { platform: 'windows', distro: null, release: null },
          lastSeenMs: 1_000_000,
          cpuUtilisation: NaN,
          memoryUsedRatio: null,
          diskUsedRatio: 0.5,
          patches: null,
          posture: null,
        },
      ],
    },
    { perHostLimit: Infinity, onlineSeconds: 60 },
  );
  const e = parseExposition(rendered.text);
  t.equal(find(e, 'vcio_tenant_hosts', { tenant: 'new-tenant' })[0]!.value, 1);
  t.same(find(e, 'vcio_host_cpu_utilisation_ratio'), [], 'NaN ratio left out');
  t.equal(find(e, 'vcio_host_os_info')[0]!.labels.distro, '');
  t.throws(() => parseExposition('x 1'), /line feed/);
  t.throws(() => parseExposition('x 1\n'), /outside its family/);
});

t.test('a stale cache is served at once and refreshed behind the scrape', async (t) => {
  let clock = 1_000_000;
  let tenants = ['first'];
  const app = Fastify();
  registerErrorHandling(app);
  const c = await testCollector(t);
  app.register(
    metricsRoutes({
      store: c.store,
      events: new CollectorEvents(),
      metrics: new CollectorMetrics(),
      config: { ...buildMetricsConfig({}), cacheSeconds: 15 },
      fleet: { read: (now) => ({ tenants, hosts: [], readAtMs: now, tenantPosture: new Map() }) },
      now: () => clock,
    }),
  );
  t.teardown(() => app.close());
  const tenantsIn = async () => {
    const e = parseExposition((await app.inject({ url: '/metrics' })).body);
    return {
      tenants: find(e, 'vcio_tenant_hosts').map((s) => s.labels.tenant),
      age: find(e, 'vcio_metrics_fleet_age_seconds')[0]!.value,
    };
  };
  t.same(await tenantsIn(), { tenants: ['first'], age: 0 });
  tenants = ['second'];
  clock += 10_000;
  t.same(await tenantsIn(), { tenants: ['first'], age: 10 }, 'within the cache time');
  clock += 6_000;
  t.same(await tenantsIn(), { tenants: ['first'], age: 16 }, 'stale: served, refresh started');
  await new Promise((r) => setImmediate(r));
  t.same(await tenantsIn(), { tenants: ['second'], age: 0 }, 'refreshed');
});

t.test('the worker renderer reports failures and stops cleanly', async (t) => {
  const { workerRenderer } = await import('../src/metrics/fleet-renderer.js');
  const renderer = workerRenderer(join(tmpdir(), 'vcio-no-such-dir', 'vcio.db'), {
    perHostLimit: Infinity,
    onlineSeconds: 180,
  });
  await t.rejects(renderer.render(Date.now()), /unable to open|no such file|directory/i);
  const pending = renderer.render(Date.now()).then(
    () => 'rendered',
    (error: Error) => error.message,
  );
  await renderer.close();
  t.match(await pending, /stopped|exited/);
  await renderer.close(); // twice is harmless
});

t.test('the SQLite fleet source, read on the calling thread', async (t) => {
  const { sqliteFleetSource } = await import('../src/metrics/fleet-sqlite.js');
  const c = await collectorWith(t, {});
  const a = await c.enroll('a');
  await send(c as never, a, fullReport(a, 'a', 'alpha', false));
  const b = await c.enroll('b');
  await send(c as never, b, reportWith(b, 'b', {}, { hostname: 'bravo' }));
  const source = sqliteFleetSource(c.store.db);
  const first = source.read(Date.now());
  t.same(
    first.hosts.map((h) => h.hostname),
    ['alpha', 'bravo'],
  );
  const alpha = first.hosts[0]!;
  t.same(alpha.os, { platform: 'linux', distro: 'Ubuntu', release: '22.04.4 LTS' });
  t.equal(alpha.patches?.pending, 2);
  t.equal(alpha.patches?.security, 1);
  t.same([...alpha.patches!.bySeverity].sort(), [
    ['critical', 1],
    ['unknown', 1],
  ]);
  t.equal(alpha.patches?.rebootRequired, false);
  t.ok(alpha.diskUsedRatio! > 0 && alpha.diskUsedRatio! <= 1);
  t.same(first.hosts[1]!.patches, null);
  t.same(first.tenants, ['default']);
  // Read again: the cached disk and reboot figures are the same.
  const again = source.read(Date.now());
  t.equal(again.hosts[0]!.diskUsedRatio, alpha.diskUsedRatio);
  t.equal(again.hosts[0]!.patches?.rebootRequired, false);
  // A new patches section replaces the cached reboot figure.
  await send(c as never, a, fullReport(a, 'a', 'alpha', true));
  t.equal(source.read(Date.now()).hosts[0]!.patches?.rebootRequired, true);
  const rendered = renderFleet(source.read(Date.now()), {
    perHostLimit: Infinity,
    onlineSeconds: 180,
  });
  const e = parseExposition(rendered.text);
  t.equal(find(e, 'vcio_host_reboot_required', { hostname: 'alpha' })[0]!.value, 1);
  t.equal(find(e, 'vcio_tenant_hosts_reboot_required')[0]!.value, 1);
});
