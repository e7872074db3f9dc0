// Retention of old time series on PostgreSQL: the same rules as SQLite's (see
// sqlite/maintenance.ts for what each table keeps and why), in small statements.
//
// Each DELETE is its own short transaction and removes at most a batch of rows, so the
// row locks it takes are few and short-lived: ingest on other connections of the pool (and
// on other collectors) goes on between statements, never waiting for the whole run.
//
// With several collectors on one database the hourly job runs on one of them at a time: a
// session-level advisory lock is tried first, and a collector that does not get it skips
// this run (the one holding it is doing the work). The lock goes with its connection, so a
// collector that dies mid-run frees it for the next one.
import type { MaintenanceStore, RetentionOutcome, RetentionPolicy } from '../types.js';
import { toMillis } from '../rows/columns.js';
import type { PgDatabase } from './database.js';

const DAY_MS = 86_400_000;

/** Rows deleted per statement at most (as SQLite's DEFAULT_BATCH_ROWS). */
export const DEFAULT_BATCH_ROWS = 1_000;
/** Hosts whose samples one statement looks at. */
const HOSTS_PER_BATCH = 500;
/** History series one statement thins (a few points a day each in the window). */
const SERIES_PER_BATCH = 100;
/** The advisory lock key: "vcio" and "rten" as two 32-bit integers. */
const RETENTION_LOCK = [0x7663696f, 0x7274656e] as const;

export interface PgMaintenanceOptions {
  /** rows deleted per statement at most (tests make it small to cross batch boundaries) */
  batchRows?: number;
}

const NOTHING: RetentionOutcome = {
  performanceSamples: 0,
  reportLedger: 0,
  postureHistory: 0,
  initiativeProgress: 0,
};

/**
 * Performance samples and ledger rows before a cut-off, in small statements: retention's
 * first part, and ReportStore.prune (the same rules whichever asks).
 */
export function pgTimeSeriesPruner(db: PgDatabase, batchRows: number) {
  const deleted = async (text: string, values: unknown[]) =>
    (await db.query(text, values)).rowCount ?? 0;

  async function pruneSamples(cutoff: number): Promise<number> {
    let removed = 0;
    // Hosts in key order, a chunk at a time; per host along the (host_key, collected_at)
    // index, so only the old part of each host's samples is read.
    for (let after = Number.MIN_SAFE_INTEGER; ;) {
      const { rows } = await db.query<{ key: number }>(
        'SELECT key FROM hosts WHERE key > $1 ORDER BY key LIMIT $2',
        [after, HOSTS_PER_BATCH],
      );
      if (rows.length === 0) return removed;
      const keys = rows.map((r) => r.key);
      for (;;) {
        const n = await deleted(
          `DELETE FROM performance_samples WHERE ctid = ANY (ARRAY(
             SELECT s.ctid FROM unnest($1::bigint[]) AS h(key)
             CROSS JOIN LATERAL (
               SELECT ctid FROM performance_samples
               WHERE host_key = h.key AND collected_at < $2 LIMIT $3) s
             LIMIT $3))`,
          [keys, cutoff, batchRows],
        );
        removed += n;
        // fewer than a batch: every host of the chunk is done
        if (n < batchRows) break;
      }
      after = keys.at(-1)!;
    }
  }

  async function pruneLedger(cutoff: number): Promise<number> {
    // A report id goes once both its received and collected times are past the cut-off
    // (an agent whose clock runs ahead must not get a duplicate sample in).
    let removed = 0;
    for (;;) {
      const n = await deleted(
        `DELETE FROM reports WHERE report_id IN (
           SELECT report_id FROM reports WHERE received_at < $1 AND collected_at < $1 LIMIT $2)`,
        [cutoff, batchRows],
      );
      removed += n;
      if (n < batchRows) return removed;
    }
  }

  return {
    async prune(
      before: Date,
    ): Promise<Pick<RetentionOutcome, 'performanceSamples' | 'reportLedger'>> {
      const cutoff = toMillis(before);
      const performanceSamples = await pruneSamples(cutoff);
      return { performanceSamples, reportLedger: await pruneLedger(cutoff) };
    },
  };
}

export function pgMaintenanceStore(
  db: PgDatabase,
  options: PgMaintenanceOptions = {},
): MaintenanceStore {
  const timeSeries = pgTimeSeriesPruner(db, options.batchRows ?? DEFAULT_BATCH_ROWS);

  const postureHistory = historyThinner(db, {
    table: 'posture_history',
    keys: ['scope', 'scope_id'],
  });
  const initiativeProgress = historyThinner(db, {
    table: 'initiative_progress',
    keys: ['initiative_id'],
  });

  return {
    async applyRetention(policy: RetentionPolicy): Promise<RetentionOutcome> {
      const client = await db.pool.connect();
      let broken: Error | undefined;
      try {
        const { rows } = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, $2) AS locked',
          [...RETENTION_LOCK],
        );
        // another collector is running retention right now
        if (!rows[0]?.locked) return { ...NOTHING };
        try {
          const { performanceSamples, reportLedger } = await timeSeries.prune(policy.samplesBefore);
          // whole UTC days only: a day is thinned once, to its last point, never half of it
          const detailBefore = Math.floor(toMillis(policy.historyDetailBefore) / DAY_MS) * DAY_MS;
          return {
            performanceSamples,
            reportLedger,
            postureHistory: await postureHistory.thin(detailBefore),
            initiativeProgress: await initiativeProgress.thin(detailBefore),
          };
        } finally {
          await client
            .query('SELECT pg_advisory_unlock($1, $2)', [...RETENTION_LOCK])
            .catch((error: unknown) => {
              // the connection failed: the server dropped the lock with it; do not reuse it
              broken = error instanceof Error ? error : new Error(String(error));
            });
        }
      } finally {
        client.release(broken);
      }
    },
  };
}

interface HistoryTable {
  table: 'posture_history' | 'initiative_progress';
  /** the series key: the table's primary key without recorded_at (all text columns) */
  keys: string[];
}

/**
 * Thins a history table to the last point of each UTC day before a cut-off, as SQLite's
 * does: points are never recorded in the past, so after a first full pass an instance
 * looks only at the days that crossed the cut-off since.
 */
function historyThinner(db: PgDatabase, spec: HistoryTable) {
  const { table, keys } = spec;
  const keyList = keys.join(', ');
  const params = (from: number) => keys.map((_, i) => `$${from + i}`).join(', ');
  // The next SERIES_PER_BATCH series after a given one, by a recursive seek along the
  // primary key (a "loose index scan"): one lookup per series, not a scan of every point.
  const seek = (first: boolean) => `
    WITH RECURSIVE s AS (
      (SELECT ${keyList} FROM ${table}
       ${first ? '' : `WHERE (${keyList}) > (${params(2)})`}
       ORDER BY ${keyList} LIMIT 1)
      UNION ALL
      SELECT n.* FROM s CROSS JOIN LATERAL (
        SELECT ${keyList} FROM ${table} t
        WHERE (${keys.map((k) => `t.${k}`).join(', ')}) > (${keys.map((k) => `s.${k}`).join(', ')})
        ORDER BY ${keyList} LIMIT 1) n
    )
    SELECT ${keyList} FROM s LIMIT $1`;
  const seekFirst = seek(true);
  const seekNext = seek(false);
  const sameSeries = keys.map((k) => `q.${k} = p.${k}`).join(' AND ');
  // A point goes when a later point of the same series exists on the same UTC day.
  const thinSeries = `
    DELETE FROM ${table} p
    WHERE (${keys.map((k) => `p.${k}`).join(', ')}) IN (
            SELECT * FROM unnest(${keys.map((_, i) => `$${3 + i}::text[]`).join(', ')}))
      AND p.recorded_at >= $1 AND p.recorded_at < $2
      AND EXISTS (SELECT 1 FROM ${table} q WHERE ${sameSeries}
                  AND q.recorded_at > p.recorded_at
                  AND q.recorded_at < (p.recorded_at / ${DAY_MS} + 1) * ${DAY_MS})`;

  // Days before this were thinned by an earlier run of this instance.
  let thinnedBefore = 0;
  return {
    async thin(before: number): Promise<number> {
      if (before <= thinnedBefore) return 0;
      // a day back, in case a point landed on the boundary while the last run went on
      const from = Math.max(0, thinnedBefore - DAY_MS);
      let removed = 0;
      let last: string[] | null = null;
      for (;;) {
        const { rows }: { rows: Record<string, string>[] } = await db.query(
          last === null ? seekFirst : seekNext,
          last === null ? [SERIES_PER_BATCH] : [SERIES_PER_BATCH, ...last],
        );
        if (rows.length === 0) break;
        const columns = keys.map((k) => rows.map((r) => r[k]!));
        const result = await db.query(thinSeries, [from, before, ...columns]);
        removed += result.rowCount ?? 0;
        if (rows.length < SERIES_PER_BATCH) break;
        last = keys.map((k) => rows.at(-1)![k]!);
      }
      thinnedBefore = before;
      return removed;
    },
  };
}
