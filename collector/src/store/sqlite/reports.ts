// Storing reports, with group commit.
//
// Each ingest() call is queued and the queue is written in one transaction on the next
// turn of the event loop (or as soon as it holds MAX_BATCH reports). One commit for many
// reports roughly doubles throughput over a commit per report, and the latency cost is
// one event-loop turn, not a timer. Each report runs inside its own savepoint, so one
// failing report does not take its batch-mates down with it. No promise resolves before
// the transaction holding its report has committed: a 202 always means durably stored.
import { randomUUID } from 'node:crypto';
import { osSummary, performanceSample } from '../../ingest/sections.js';
import {
  StoreUnavailableError,
  type IngestInput,
  type IngestOutcome,
  type ReportStore,
} from '../types.js';
import type { SqliteDatabase } from './database.js';
import { toMillis } from './rows.js';

const MAX_BATCH = 256;
const PRUNE_BATCH = 5_000;

interface Pending {
  input: IngestInput;
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
}

export function sqliteReportStore(db: SqliteDatabase): ReportStore & { flush(): void } {
  const insertLedger = db.prepare(`
    INSERT INTO reports (report_id, agent_id, host_id, collected_at, received_at)
    VALUES (?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING`);
  const ledgerOwner = db.prepare('SELECT agent_id, host_id FROM reports WHERE report_id = ?');
  const upsertHost = db.prepare(`
    INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id, agent_version,
                       os_platform, os_distro, os_release, first_seen, last_seen, last_report_at)
    VALUES (@id, @tenantId, @machineId, @hostname, @agentId, @agentVersion,
            @platform, @distro, @release, @receivedAt, @receivedAt, @collectedAt)
    ON CONFLICT (tenant_id, machine_id) DO UPDATE SET
      hostname       = excluded.hostname,
      agent_id       = excluded.agent_id,
      agent_version  = excluded.agent_version,
      os_platform    = coalesce(excluded.os_platform, hosts.os_platform),
      os_distro      = CASE WHEN excluded.os_platform IS NULL THEN hosts.os_distro
                            ELSE excluded.os_distro END,
      os_release     = CASE WHEN excluded.os_platform IS NULL THEN hosts.os_release
                            ELSE excluded.os_release END,
      last_seen      = max(hosts.last_seen, excluded.last_seen),
      last_report_at = max(hosts.last_report_at, excluded.last_report_at)
    RETURNING id`);
  // A late, older report never overwrites a newer section.
  const upsertSection = db.prepare(`
    INSERT INTO host_sections (host_id, section, collected_at, report_id, data)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (host_id, section) DO UPDATE SET
      collected_at = excluded.collected_at, report_id = excluded.report_id, data = excluded.data
    WHERE excluded.collected_at >= host_sections.collected_at`);
  const insertSample = db.prepare(`
    INSERT INTO performance_samples (host_id, collected_at, cpu_utilisation, load1,
      memory_total_bytes, memory_used_bytes, memory_available_bytes, swap_used_bytes,
      process_count, detail)
    VALUES (@hostId, @collectedAt, @cpuUtilisation, @load1, @memoryTotalBytes,
      @memoryUsedBytes, @memoryAvailableBytes, @swapUsedBytes, @processCount, @detail)`);

  const ingestOne = db.transaction((input: IngestInput): IngestOutcome => {
    const { report, agent, receivedAt } = input;
    const collectedAt = Date.parse(report.collectedAt);
    const os = osSummary(report);
    const hostId = (
      upsertHost.get({
        id: randomUUID(),
        tenantId: agent.tenantId,
        machineId: report.host.machineId,
        hostname: report.host.hostname,
        agentId: agent.id,
        agentVersion: report.agent.version,
        platform: os?.platform ?? null,
        distro: os?.distro ?? null,
        release: os?.release ?? null,
        receivedAt: toMillis(receivedAt),
        collectedAt,
      }) as { id: string }
    ).id;
    const ledger = insertLedger.run(
      report.reportId,
      agent.id,
      hostId,
      collectedAt,
      toMillis(receivedAt),
    );
    if (ledger.changes === 0) {
      // Seen before: undo the host upsert (the savepoint) and say whose it was.
      const owner = ledgerOwner.get(report.reportId) as { agent_id: string; host_id: string };
      throw new AlreadyStored(
        owner.agent_id === agent.id
          ? { status: 'duplicate', hostId: owner.host_id }
          : { status: 'conflict' },
      );
    }
    for (const name of input.sections) {
      upsertSection.run(
        hostId,
        name,
        collectedAt,
        report.reportId,
        JSON.stringify(report.sections[name]),
      );
    }
    const sample = performanceSample(report);
    if (sample) {
      insertSample.run({
        ...sample,
        hostId,
        collectedAt: toMillis(sample.collectedAt),
        detail: JSON.stringify(sample.detail),
      });
    }
    return { status: 'stored', hostId };
  });

  let queue: Pending[] = [];
  let scheduled = false;

  const writeBatch = db.transaction((batch: Pending[]) => {
    const outcomes: ({ ok: IngestOutcome } | { error: unknown })[] = [];
    for (const p of batch) {
      try {
        outcomes.push({ ok: ingestOne(p.input) });
      } catch (error) {
        if (error instanceof AlreadyStored) outcomes.push({ ok: error.outcome });
        else if (isStorageFailure(error))
          throw error; // the whole batch fails, see flush()
        else outcomes.push({ error });
      }
    }
    return outcomes;
  });

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    let outcomes;
    try {
      outcomes = writeBatch(batch);
    } catch (error) {
      // The commit itself failed (disk full, read-only file): nothing in the batch is stored.
      const failure = isStorageFailure(error)
        ? new StoreUnavailableError(describeSqliteError(error), { cause: error })
        : error;
      for (const p of batch) p.reject(failure);
      return;
    }
    outcomes.forEach((o, i) => {
      const p = batch[i]!;
      if ('ok' in o) p.resolve(o.ok);
      else p.reject(o.error);
    });
  }

  const pruneReports = db.prepare(
    `DELETE FROM reports WHERE report_id IN
       (SELECT report_id FROM reports WHERE received_at < ? LIMIT ${PRUNE_BATCH})`,
  );
  const pruneSamples = db.prepare(
    `DELETE FROM performance_samples WHERE rowid IN
       (SELECT rowid FROM performance_samples WHERE collected_at < ? LIMIT ${PRUNE_BATCH})`,
  );

  return {
    ingest(input) {
      return new Promise<IngestOutcome>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (queue.length >= MAX_BATCH) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async prune(olderThan) {
      // Small batches, yielding between them, so pruning never stalls ingest for long.
      const cutoff = toMillis(olderThan);
      let removed = 0;
      for (const stmt of [pruneSamples, pruneReports]) {
        for (;;) {
          const n = stmt.run(cutoff).changes;
          removed += n;
          if (n < PRUNE_BATCH) break;
          await new Promise((r) => setImmediate(r));
        }
      }
      return removed;
    },
    flush,
  };
}

/** Thrown inside a report's savepoint to roll back its partial writes. */
class AlreadyStored extends Error {
  constructor(readonly outcome: IngestOutcome) {
    super('report already stored');
  }
}

/** SQLite errors that mean the database cannot take writes, as opposed to a bad report. */
const STORAGE_FAILURES = new Set([
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
]);

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isStorageFailure(error: unknown): boolean {
  // Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED) share the primary's prefix.
  const primary = sqliteCode(error)?.split('_').slice(0, 2).join('_');
  return primary !== undefined && STORAGE_FAILURES.has(primary);
}

function describeSqliteError(error: unknown): string {
  const code = sqliteCode(error) ?? 'unknown';
  return `${code}: ${error instanceof Error ? error.message : String(error)}`;
}
