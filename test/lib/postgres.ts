// A throwaway PostgreSQL cluster for end-to-end tests: a thin copy of
// collector/test/support/postgres.ts (test packages do not share files, and this package
// has no `pg`: the cluster's own `postgres` database is used, no CREATE DATABASE needed).
// initdb into a temporary directory (trust auth, no fsync unless `durable`), started by
// pg_ctl with its unix socket in that directory and no TCP listener; stopped and removed on
// teardown, or when the test process exits.
//
// Without PostgreSQL binaries the tests that need it skip with the reason, except under
// CI=true, where a missing PostgreSQL fails the run.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVICE_USER = 'postgres';

export interface TestCluster {
  /** a connection string for the cluster's `postgres` database (unix socket) */
  url: string;
  /** the socket directory, also the cluster's temporary directory */
  dir: string;
  stop(): void;
}

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

/** Why the PostgreSQL end-to-end tests cannot run here (null: they can); throws under CI=true. */
export function postgresUnavailable(): string | null {
  if (findPostgresBin()) return null;
  const reason =
    'PostgreSQL not found (no initdb in /usr/lib/postgresql/*/bin, VCIO_POSTGRES_BIN or ' +
    'pg_config --bindir; apt-get install postgresql)';
  if (process.env.CI === 'true') throw new Error(`${reason}: required when CI=true`);
  return reason;
}

function run(bin: string, program: string, args: string[]): void {
  // initdb refuses root: as root, run the programs as the postgres user
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

export interface ClusterOptions {
  /**
   * fsync, synchronous commit and full page writes on, as a production server runs
   * (benchmarks: honest figures); off by default (tests: nothing outlives them).
   */
  durable?: boolean;
}

export function startCluster(
  t: { teardown(fn: () => unknown): void },
  options: ClusterOptions = {},
): TestCluster {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresUnavailable() ?? 'PostgreSQL not found');
  // short: the socket's path must fit in 107 bytes
  const dir = mkdtempSync(join(tmpdir(), 'vcio-e2epg-'));
  if (process.getuid?.() === 0) {
    const uid = spawnSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) {
      throw new Error(`running as root, and there is no "${SERVICE_USER}" user to run initdb as`);
    }
    chownSync(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  let running = false;
  const stop = () => {
    if (running) {
      running = false;
      try {
        run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-s', 'stop']);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', stop);
  };
  process.once('exit', stop);
  t.teardown(stop);
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
    const durability = options.durable
      ? []
      : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'];
    const serverOptions = [`-c listen_addresses=''`, `-k ${dir}`, ...durability].join(' ');
    run(bin, 'pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-s',
      '-o',
      serverOptions,
      'start',
    ]);
    running = true;
  } catch (error) {
    stop();
    throw error;
  }
  return {
    url: `postgresql://${SERVICE_USER}@/postgres?host=${encodeURIComponent(dir)}`,
    dir,
    stop,
  };
}

/**
 * Runs one query with the cluster's psql (this package has no `pg`): its rows, one per
 * line, unaligned, without headers. Throws with psql's message, any password masked.
 */
export function psqlLines(url: string, sql: string): string[] {
  const bin = findPostgresBin();
  const psql = bin && existsSync(join(bin, 'psql')) ? join(bin, 'psql') : 'psql';
  const result = spawnSync(
    psql,
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  if (result.status !== 0) {
    const why = (result.stderr || String(result.error ?? '')).trim();
    throw new Error(
      `psql failed (${result.status ?? result.signal}): ${why.replace(/:[^:@/\s]+@/g, ':***@')}`,
    );
  }
  return result.stdout.split('\n').filter((line) => line !== '');
}
