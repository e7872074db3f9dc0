// The collector on PostgreSQL, end to end: the real collector process started with
// --database on a throwaway cluster, the real agent enrolling and reporting this machine,
// and what a user then sees (hosts, posture, /metrics), with the database password kept
// out of the logs. Nothing is written to an SQLite file in the data directory.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  COLLECTOR_MAIN,
  enrollAgent,
  runAgent,
  startCollectorProcess,
  tempDir,
} from '../lib/processes.js';
import { postgresUnavailable, startCluster } from '../lib/postgres.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response): Promise<any> => res.json();

/** Trust authentication ignores it; it is here to prove it never reaches a log. */
const PASSWORD = 'e2e-never-logged-7f3a';

const unavailable = postgresUnavailable();

t.test(
  'the collector on PostgreSQL: agent report, hosts, posture, metrics',
  {
    skip: unavailable ?? false,
  },
  async (t) => {
    const cluster = startCluster(t);
    const url = cluster.url.replace('postgres@', `postgres:${PASSWORD}@`);
    const collector = await startCollectorProcess(['--database', url, '--log-level', 'info'], {
      timeoutMs: 30_000,
    });
    const stateDir = tempDir('agent-pg');
    t.teardown(async () => {
      await collector.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    const admin = { authorization: `Bearer ${collector.bootstrap.adminToken}` };
    const api = (path: string) => fetch(`${collector.url}/api/v1${path}`, { headers: admin });

    const started = collector.logs.find((l) => l.includes('vcio collector listening'))!;
    t.match(
      started,
      /"database":"postgresql:\/\/postgres:\*\*\*@\/postgres\?host=/,
      'logged, masked',
    );
    t.notOk(existsSync(join(collector.dataDir, 'vcio.db')), 'no SQLite database was created');

    const enroll = await enrollAgent(collector, stateDir);
    t.equal(enroll.code, 0, `enroll: ${enroll.stderr}`);
    const once = await runAgent(['once', '--state-dir', stateDir]);
    t.equal(once.code, 0, `once: ${once.stderr}`);

    const list = await json(await api('/hosts'));
    t.equal(list.total, 1, 'the report is stored');
    const host = list.hosts[0];
    t.equal(host.hostname, hostname());
    const detail = await json(await api(`/hosts/${host.id}`));
    t.ok(detail.latestPerformance?.memoryTotalBytes > 0, 'a performance sample was stored');

    const posture = await api(`/hosts/${host.id}/posture`);
    t.equal(posture.status, 200);
    const view = await json(posture);
    t.type(view.score, 'number', `the host is assessed: ${JSON.stringify(view).slice(0, 200)}`);
    const tenant = await api(`/tenants/${collector.bootstrap.tenant.slug}/posture`);
    t.equal(tenant.status, 200, 'the tenant posture answers');

    const metrics = await fetch(`${collector.url}/metrics`);
    t.equal(metrics.status, 200);
    const text = await metrics.text();
    t.match(
      text,
      /vcio_tenant_hosts\{tenant="default"\} 1\n/,
      'fleet figures read from PostgreSQL',
    );
    t.match(text, /vcio_host_up\{[^}]*\} 1\n/, 'the host is up');
    t.match(text, /vcio_metrics_fleet_read_failures_total 0\n/);

    // The admin command on the same database, given by the variable as serve takes it.
    const env = { ...process.env, VCIO_DATABASE_URL: url };
    const tenants = spawnSync(
      process.execPath,
      [COLLECTOR_MAIN, 'admin', '--data-dir', collector.dataDir, '--json', 'tenant', 'list'],
      { encoding: 'utf8', env },
    );
    t.equal(tenants.status, 0, tenants.stderr);
    t.match(
      JSON.parse(tenants.stdout),
      { tenants: [{ slug: 'default', hostCount: 1 }] },
      'admin reads the PostgreSQL tenants',
    );

    // backup copies SQLite files: on PostgreSQL it says what to use instead
    const backup = spawnSync(
      process.execPath,
      [COLLECTOR_MAIN, 'backup', '--data-dir', collector.dataDir, '--out', join(stateDir, 'x.db')],
      { encoding: 'utf8', env },
    );
    t.equal(backup.status, 1);
    t.match(backup.stderr, /^vcio-collector: error: .*PostgreSQL.*pg_dump/);
    t.notMatch(backup.stderr, PASSWORD, 'the error masks the password');

    t.equal(await collector.stop(), 0, 'SIGTERM shuts the collector down cleanly');
    const everything = collector.logs.join('\n') + tenants.stderr + backup.stderr;
    t.notMatch(everything, PASSWORD, 'the database password is in no log line');
  },
);

t.test('an unreachable database: one clear line, password masked, exit 1', async (t) => {
  const dataDir = tempDir('pg-down');
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = spawnSync(
    process.execPath,
    [COLLECTOR_MAIN, '--listen', '127.0.0.1:0', '--data-dir', dataDir],
    {
      encoding: 'utf8',
      env: { ...process.env, VCIO_DATABASE_URL: `postgres://vcio:${PASSWORD}@127.0.0.1:1/vcio` },
      timeout: 30_000,
    },
  );
  t.equal(run.status, 1);
  t.match(
    run.stderr,
    /^vcio-collector: error: cannot open the PostgreSQL database postgres:\/\/vcio:\*\*\*@127\.0\.0\.1:1\/vcio: /,
  );
  t.notMatch(run.stderr + run.stdout, PASSWORD);
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');

  const bad = spawnSync(process.execPath, [COLLECTOR_MAIN, '--database', 'mysql://u:p@h/d'], {
    encoding: 'utf8',
  });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /must be a postgres:\/\/ or postgresql:\/\/ URL \(got a mysql: URL\)/);
});
