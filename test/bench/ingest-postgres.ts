// PostgreSQL for the ingest benchmark: a throwaway cluster (`--postgres`) or the server the
// caller names (`--database postgres://...`), and what the benchmark reads back from it.
//
// The throwaway cluster runs with fsync, synchronous commit and full page writes ON by
// default, as a production server does: a 202 then waits for the WAL flush, which is what
// an operator's server costs. `--postgres-fsync off` measures the store's own work instead.
//
// This package has no `pg`; the benchmark reads the database with psql (installed with
// the server, and on most machines that talk to one), once the collectors have stopped.
import { postgresUnavailable, psqlLines, startCluster } from '../lib/postgres.js';
import { onCleanup } from './support/cleanup.js';

export interface BenchPostgres {
  url: string;
  /** what to print: "throwaway cluster (fsync on)" or the URL with its password masked */
  description: string;
}

export function startBenchPostgres(durable: boolean): BenchPostgres {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new Error(`--postgres: ${unavailable}`);
  const started = performance.now();
  const cluster = startCluster(
    {
      teardown: (stop) => {
        onCleanup({
          name: 'stop the PostgreSQL cluster',
          graceful: async () => void stop(),
          immediate: () => void stop(),
        });
      },
    },
    { durable },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return {
    url: cluster.url,
    description:
      `throwaway PostgreSQL cluster in ${cluster.dir} (fsync ${durable ? 'on' : 'off'}, ` +
      `synchronous_commit ${durable ? 'on' : 'off'}; started in ${seconds} s)`,
  };
}

export function externalPostgres(url: string): BenchPostgres {
  return { url, description: `PostgreSQL at ${maskPassword(url)}` };
}

/** The URL with its password replaced by ***, for printing. */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Table sizes the benchmark reports: the ledger and the samples. */
export function postgresCounts(url: string): { rows: number; samples: number; bytes: number } {
  const [line] = psqlLines(
    url,
    `SELECT (SELECT count(*) FROM reports) || ',' || (SELECT count(*) FROM performance_samples)
            || ',' || pg_database_size(current_database())`,
  );
  const [rows, samples, bytes] = (line ?? '').split(',').map(Number);
  return { rows: rows!, samples: samples!, bytes: bytes! };
}
