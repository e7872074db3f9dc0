// A throwaway PostgreSQL server for one test file.
//
// By default a cluster of its own: initdb into a temporary directory (trust auth, no
// fsync), started by pg_ctl with its unix socket in that directory and no TCP listener,
// so parallel test files never contend for a port and nothing outside the directory is
// touched. Measured on a 2-core test machine: initdb ~0.95 s, pg_ctl start ~0.16 s, stop
// ~0.12 s; each database after that (createDatabase) ~0.05 s.
//
// VCIO_TEST_DATABASE_URL=postgres://... uses that server instead: each database is created
// under a unique name and dropped afterwards.
//
// Without PostgreSQL binaries the tests that need it skip with the reason, except under
// CI=true, where a missing PostgreSQL fails the run rather than silently testing less.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** where it came from: "cluster in /tmp/..." or "VCIO_TEST_DATABASE_URL" */
  origin: string;
  /** seconds the cluster took to initialise and start (0 for VCIO_TEST_DATABASE_URL) */
  startSeconds: number;
  /** a new, empty database on the server: its connection string */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

const SERVICE_USER = 'postgres';

/** The directory holding initdb, pg_ctl and postgres, or null. */
export function findPostgresBin(): string | null {
  const candidates: string[] = [];
  if (process.env.VCIO_POSTGRES_BIN) candidates.push(process.env.VCIO_POSTGRES_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const onPath = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (onPath.status === 0) candidates.push(onPath.stdout.trim());
  return (
    candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ??
    null
  );
}

/**
 * Why PostgreSQL tests cannot run here (null: they can). Under CI=true an absent
 * PostgreSQL is an error, not a reason to skip.
 */
export function postgresUnavailable(): string | null {
  if (process.env.VCIO_TEST_DATABASE_URL) return null;
  if (findPostgresBin()) return null;
  const reason =
    'PostgreSQL not found (no initdb in /usr/lib/postgresql/*/bin, VCIO_POSTGRES_BIN or pg_config ' +
    '--bindir; apt-get install postgresql, or set VCIO_TEST_DATABASE_URL)';
  if (process.env.CI === 'true') throw new Error(`${reason}: required when CI=true`);
  return reason;
}

/** Starts (or attaches to) the test server; stopped on the test's teardown. */
export async function startTestPostgres(t: Teardown): Promise<TestPostgres> {
  const external = process.env.VCIO_TEST_DATABASE_URL;
  const server = external ? externalServer(external) : await throwawayCluster();
  t.teardown(() => server.stop());
  return server;
}

/** Runs a PostgreSQL program; as the postgres user when we are root (initdb refuses root). */
function run(bin: string, program: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'runuser' : join(bin, program);
  const argv = asRoot ? ['-u', SERVICE_USER, '--', join(bin, program), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${program} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout || String(result.error)).trim()}`,
    );
  }
}

function serviceUserIds(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`running as root, and there is no "${SERVICE_USER}" user to run initdb as`);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function throwawayCluster(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresUnavailable() ?? 'PostgreSQL not found');
  const started = performance.now();
  // Short path: the socket's path must fit in 107 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'vcio-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = serviceUserIds();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  let running = false;
  const stopSync = () => {
    if (running) {
      running = false;
      try {
        run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-s', 'stop']);
      } catch {
        // already gone: nothing to stop
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test file that crashes still stops its server rather than leaving it running.
  process.once('exit', stopSync);
  try {
    run(bin, 'initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      SERVICE_USER,
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    // No TCP listener, the socket in our directory; durability off: nothing here outlives
    // the test.
    const options = [
      `-c listen_addresses=''`,
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
    ].join(' ');
    run(bin, 'pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-s', '-o', options, 'start']);
    running = true;
  } catch (error) {
    stopSync();
    process.removeListener('exit', stopSync);
    throw error;
  }
  const startSeconds = (performance.now() - started) / 1000;
  const url = (database: string) =>
    `postgresql://${SERVICE_USER}@/${database}?host=${encodeURIComponent(dir)}`;
  const admin = new pg.Pool({ connectionString: url('postgres'), max: 1 });
  let n = 0;
  return {
    origin: `cluster in ${dir}`,
    startSeconds,
    async createDatabase() {
      const name = `vcio_test_${++n}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await admin.end();
      stopSync();
      process.removeListener('exit', stopSync);
    },
  };
}

function externalServer(connectionString: string): TestPostgres {
  const admin = new pg.Pool({ connectionString, max: 1 });
  const prefix = `vcio_test_${process.pid}_${Date.now().toString(36)}`;
  const created: string[] = [];
  return {
    origin: 'VCIO_TEST_DATABASE_URL',
    startSeconds: 0,
    async createDatabase() {
      const name = `${prefix}_${created.length + 1}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(connectionString);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
