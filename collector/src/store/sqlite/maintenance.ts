// Retention of old time series, safe while ingest runs.
//
// What grows with time, and what happens to it (the rules are in RetentionPolicy):
//   performance_samples   raw samples: deleted after --retention-days
//   reports               the report-id ledger: a retried report is recognised by its id,
//                         which matters only while its sample is still stored, so it
//                         follows the samples (a row goes once both its received and
//                         collected times are past the cut-off: an agent whose clock runs
//                         ahead must not get a duplicate sample in)
//   posture_history       host and tenant scores: thinned to the last point of each UTC
//   initiative_progress   day past the detail window, then kept for good (90-day trends,
//                         quarterly reviews and year-on-year comparisons read them)
//   audit_log, findings,  kept: an audit trail, and "what changed since the last review"
//   risk_acceptances
// The other tables hold current state (one row per host, section, package...) and are
// replaced, not appended to.
//
// Every delete is a small IMMEDIATE transaction on the collector's own connection, and
// the loop yields to the event loop between transactions, so a batch of reports waiting
// to be written goes in between two of them: ingest waits at most one batch (a few
// milliseconds), never for the whole run.
import type { RetentionOutcome, RetentionPolicy } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { toMillis } from '../rows/columns.js';

const DAY_MS = 86_400_000;

export interface MaintenanceOptions {
  /** rows deleted per transaction at most (tests make it small to cross batch boundaries) */
  batchRows?: number;
}

/**
 * Rows per transaction: ~15 ms of deleting on this project's 2-core machine (~60,000 rows
 * a second, samples and ledger alike), then ingest gets its turn.
 */
export const DEFAULT_BATCH_ROWS = 1_000;
/** Series visited per transaction at most, however few rows each has to lose. */
const KEYS_PER_BATCH = 500;

export interface SqliteMaintenance {
  applyRetention(policy: RetentionPolicy): Promise<RetentionOutcome>;
  /** performance samples and ledger rows only (ReportStore.prune) */
  pruneTimeSeries(
    before: Date,
  ): Promise<Pick<RetentionOutcome, 'performanceSamples' | 'reportLedger'>>;
}

const yieldToIngest = () => new Promise<void>((resolve) => setImmediate(resolve));

export function sqliteMaintenance(
  db: SqliteDatabase,
  options: MaintenanceOptions = {},
): SqliteMaintenance {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;

  // Samples per host, along the (host_key, collected_at) index that ingest needs anyway: an
  // index on time alone would cost every insert for the sake of an hourly job.
  const hostKeysFrom = db
    .prepare('SELECT key FROM hosts WHERE key > ? ORDER BY key LIMIT ?')
    .pluck();
  const deleteHostSamples = db.prepare(`
    DELETE FROM performance_samples WHERE rowid IN
      (SELECT rowid FROM performance_samples WHERE host_key = ? AND collected_at < ? LIMIT ?)`);
  const deleteLedger = db.prepare(`
    DELETE FROM reports WHERE report_id IN
      (SELECT report_id FROM reports WHERE received_at < @cutoff AND collected_at < @cutoff
       LIMIT @limit)`);

  /**
   * Deletes one transaction's worth of samples, host after host from `afterKey`. Returns
   * the rows deleted and where to go on from (null: every host done).
   */
  const sampleBatch = db.transaction(
    (afterKey: number, cutoff: number): { removed: number; next: number | null } => {
      let removed = 0;
      const hostKeys = hostKeysFrom.all(afterKey, KEYS_PER_BATCH) as number[];
      for (const hostKey of hostKeys) {
        removed += deleteHostSamples.run(hostKey, cutoff, batchRows - removed).changes;
        // this host may have more: the next transaction starts from it again
        if (removed >= batchRows) return { removed, next: hostKey - 1 };
      }
      return { removed, next: hostKeys.length < KEYS_PER_BATCH ? null : hostKeys.at(-1)! };
    },
  );
  const ledgerBatch = db.transaction(
    (cutoff: number) => deleteLedger.run({ cutoff, limit: batchRows }).changes,
  );

  async function pruneTimeSeries(before: Date) {
    const cutoff = toMillis(before);
    let performanceSamples = 0;
    for (let next: number | null = Number.MIN_SAFE_INTEGER; next !== null;) {
      const batch = sampleBatch.immediate(next, cutoff);
      performanceSamples += batch.removed;
      next = batch.next;
      if (next !== null) await yieldToIngest();
    }
    let reportLedger = 0;
    for (;;) {
      const n = ledgerBatch.immediate(cutoff);
      reportLedger += n;
      if (n < batchRows) break;
      await yieldToIngest();
    }
    return { performanceSamples, reportLedger };
  }

  const postureHistory = historyThinner(db, {
    table: 'posture_history',
    keys: ['scope', 'scope_id'],
    batchRows,
  });
  const initiativeProgress = historyThinner(db, {
    table: 'initiative_progress',
    keys: ['initiative_id'],
    batchRows,
  });

  return {
    pruneTimeSeries,
    async applyRetention(policy) {
      const series = await pruneTimeSeries(policy.samplesBefore);
      // whole UTC days only: a day is thinned once, to its last point, never half of it
      const detailBefore = Math.floor(toMillis(policy.historyDetailBefore) / DAY_MS) * DAY_MS;
      return {
        ...series,
        postureHistory: await postureHistory.thin(detailBefore),
        initiativeProgress: await initiativeProgress.thin(detailBefore),
      };
    },
  };
}

interface HistoryTable {
  table: 'posture_history' | 'initiative_progress';
  /** the series key: the table's primary key without recorded_at */
  keys: string[];
  batchRows: number;
}

/**
 * Thins a history table (primary key: the series key, then recorded_at) to the last point
 * of each UTC day before a cut-off. Points are recorded at the time of writing, never in
 * the past, so a day once thinned stays thinned: after its first full pass an instance
 * looks only at the days that crossed the cut-off since (the first run after a start goes
 * over everything once).
 */
function historyThinner(db: SqliteDatabase, spec: HistoryTable) {
  const { table, keys, batchRows } = spec;
  const keyList = keys.join(', ');
  const params = keys.map(() => '?').join(', ');
  // The next series after a given one: a seek in the primary key, so enumerating the series
  // costs one lookup each, not a scan of every point.
  const firstKey = db.prepare(`SELECT ${keyList} FROM ${table} ORDER BY ${keyList} LIMIT 1`).raw();
  const nextKey = db
    .prepare(
      `SELECT ${keyList} FROM ${table} WHERE (${keyList}) > (${params})
       ORDER BY ${keyList} LIMIT 1`,
    )
    .raw();
  const sameSeries = keys.map((k) => `q.${k} = p.${k}`).join(' AND ');
  // A point goes when a later point of the same series exists on the same UTC day.
  const thinSeries = db.prepare(`
    DELETE FROM ${table} AS p
    WHERE ${keys.map((k) => `${k} = ?`).join(' AND ')} AND recorded_at >= ? AND recorded_at < ?
      AND EXISTS (SELECT 1 FROM ${table} q WHERE ${sameSeries}
                  AND q.recorded_at > p.recorded_at
                  AND q.recorded_at < (p.recorded_at / ${DAY_MS} + 1) * ${DAY_MS})`);

  type Key = unknown[];
  /**
   * One transaction: the series after `after` (null: from the first), until batchRows are
   * gone or KEYS_PER_BATCH series were seen. Returns the last series done (null: all done).
   */
  const batch = db.transaction(
    (after: Key | null, from: number, before: number): { removed: number; next: Key | null } => {
      let removed = 0;
      let key = after;
      for (let seen = 0; seen < KEYS_PER_BATCH && removed < batchRows; seen++) {
        const row = (key === null ? firstKey.get() : nextKey.get(...key)) as Key | undefined;
        if (!row) return { removed, next: null };
        // one series' day-range at a time: its points in the window, at most a few per day
        removed += thinSeries.run(...row, from, before).changes;
        key = row;
      }
      return { removed, next: key };
    },
  );

  // Days before this were thinned by an earlier run of this instance.
  let thinnedBefore = 0;
  return {
    async thin(before: number): Promise<number> {
      if (before <= thinnedBefore) return 0;
      // a day back, in case a point landed on the boundary while the last run went on
      const from = Math.max(0, thinnedBefore - DAY_MS);
      let removed = 0;
      let key: Key | null = null;
      do {
        const step = batch.immediate(key, from, before);
        removed += step.removed;
        key = step.next;
        if (key !== null) await yieldToIngest();
      } while (key !== null);
      thinnedBefore = before;
      return removed;
    },
  };
}
