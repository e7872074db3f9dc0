// Did the collector store what it acknowledged? Figures from a server that answers 202
// and loses reports are worthless, so the benchmark checks, after the load:
//   - through the API, that every enrolled agent's host exists;
//   - in the database (SQLite opened read-only, PostgreSQL read with psql, once the
//     collectors have stopped), that every report answered 202 has its row, once; that no
//     row exists for a report never sent; that each stored report has its sample.
// Rows may exceed the 202s by the requests in flight when a round ended: autocannon
// closes those connections without reading the answer, but the collector may already
// have committed them. Those are counted and shown, not treated as errors.
import Database from 'better-sqlite3';
import { API_PREFIX } from '@vcio/shared';
import { psqlLines } from '../lib/postgres.js';
import { postgresCounts } from './ingest-postgres.js';

export async function apiHostTotal(url: string, adminToken: string): Promise<number> {
  const response = await fetch(`${url}${API_PREFIX}/hosts?limit=1`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { total?: unknown };
  if (response.status !== 200 || typeof body.total !== 'number') {
    throw new Error(`GET ${API_PREFIX}/hosts answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.total;
}

export interface StoredCheck {
  /** rows in the reports table (the ledger of accepted report ids) */
  rows: number;
  /** distinct report ids among them (the primary key makes it equal to rows) */
  distinct: number;
  samples: number;
  /** answered 202 but not stored: lost reports */
  missing: number;
  /** stored but never sent by this benchmark: should be impossible */
  unknown: number;
  /** stored, sent, but the answer was never read (in flight when a round ended) */
  inFlight: number;
  /** answered with an error status, yet stored */
  rejectedButStored: number;
}

export interface Ledger {
  /** every report id sent */
  sent: Set<string>;
  /** report ids answered 2xx */
  acknowledged: Set<string>;
  /** report ids answered with any other status */
  rejected: Set<string>;
}

export function newLedger(): Ledger {
  return { sent: new Set(), acknowledged: new Set(), rejected: new Set() };
}

/** The SQLite collector's database, opened read-only once it has stopped. */
export function checkStored(dbPath: string, ledger: Ledger): StoredCheck {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = (db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
    const samples = (
      db.prepare('SELECT count(*) AS n FROM performance_samples').get() as { n: number }
    ).n;
    const ids = db.prepare('SELECT report_id FROM reports').pluck().iterate() as Iterable<string>;
    return compareStored(ids, rows, samples, ledger);
  } finally {
    db.close();
  }
}

/** The PostgreSQL database the collectors shared, read with psql once they have stopped. */
export function checkStoredPostgres(url: string, ledger: Ledger): StoredCheck {
  const { rows, samples } = postgresCounts(url);
  return compareStored(psqlLines(url, 'SELECT report_id FROM reports'), rows, samples, ledger);
}

function compareStored(
  ids: Iterable<string>,
  rows: number,
  samples: number,
  ledger: Ledger,
): StoredCheck {
  const { sent, acknowledged, rejected } = ledger;
  const stored = new Set<string>(ids);
  let missing = 0;
  for (const id of acknowledged) if (!stored.has(id)) missing++;
  let unknown = 0;
  let inFlight = 0;
  let rejectedButStored = 0;
  for (const id of stored) {
    if (!sent.has(id)) unknown++;
    else if (rejected.has(id)) rejectedButStored++;
    else if (!acknowledged.has(id)) inFlight++;
  }
  // A report id stored twice would show as rows > distinct ids.
  return { rows, distinct: stored.size, samples, missing, unknown, inFlight, rejectedButStored };
}
