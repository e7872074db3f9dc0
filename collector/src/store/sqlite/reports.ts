// Storing reports, with group commit.
//
// Each ingest() call is queued and the queue is written in one transaction on the next
// turn of the event loop (or as soon as it holds MAX_BATCH reports). One commit for many
// reports costs far less than a commit per report, and the latency cost is one
// event-loop turn, not a timer. No promise resolves before the transaction holding its
// report has committed: a 202 always means durably stored.
//
// A software list is written as rows, replacing the host's rows, only when its hash differs
// from the stored one; a report with the hash alone costs one primary-key lookup. Pending
// updates are replaced whenever the host's patches section is.
//
// A report that fails for a reason of its own (not the database's) must not take its
// batch-mates down with it. Savepoints per report would guarantee that but cost a fifth
// of ingest; instead the batch is written optimistically in one transaction and, only if
// that fails, rewritten one report per transaction to isolate the failing one.
import { randomUUID } from 'node:crypto';
import type { PatchesSection, SectionName, SoftwareSection } from '@vcio/shared';
import {
  isStateSection,
  osSummary,
  pendingUpdateRows,
  performanceSample,
  softwareResend,
  softwareRow,
} from '../../ingest/sections.js';
import {
  StoreUnavailableError,
  type IngestInput,
  type IngestOutcome,
  type ReportStore,
} from '../types.js';
import { describeStorageError, isStorageFailure } from '../availability.js';
import type { SqliteDatabase } from './database.js';
import { sqliteMaintenance } from './maintenance.js';
import { toMillis } from '../rows/columns.js';

const MAX_BATCH = 256;

interface SoftwareStateRow {
  hash: string;
  sources: string;
  updated_at: number;
}

/** The held list as softwareResend (ingest/sections.ts, shared by the stores) takes it. */
const held = (state: SoftwareStateRow | undefined) =>
  state && { hash: state.hash, updatedAt: state.updated_at };

interface Pending {
  input: IngestInput;
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
}

export interface ReportStoreHooks {
  /** after each committed batch: its write-and-commit time and its report count (metrics) */
  onCommit?: (seconds: number, reports: number) => void;
}

export function sqliteReportStore(
  db: SqliteDatabase,
  hooks: ReportStoreHooks = {},
): ReportStore & { flush(): void } {
  const insertLedger = db.prepare(`
    INSERT INTO reports (report_id, agent_id, collected_at, received_at)
    VALUES (?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING`);
  const ledgerOwner = db.prepare('SELECT agent_id FROM reports WHERE report_id = ?');
  const upsertHost = db.prepare(`
    INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id, agent_version,
                       os_platform, os_distro, os_release, first_seen, last_seen, last_report_at,
                       site_id)
    VALUES (@id, @tenantId, @machineId, @hostname, @agentId, @agentVersion,
            @platform, @distro, @release, @receivedAt, @receivedAt, @collectedAt,
            -- a new host starts in its enrollment token's site; an existing one keeps its own
            (SELECT e.site_id FROM agents a JOIN enrollment_tokens e ON e.id = a.enrollment_token_id
             WHERE a.id = @agentId))
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
    RETURNING id, key`);
  // The same columns as the upsert's update branch, for a host whose id is known.
  const updateHost = db.prepare(`
    UPDATE hosts SET
      hostname       = @hostname,
      agent_id       = @agentId,
      agent_version  = @agentVersion,
      os_platform    = coalesce(@platform, os_platform),
      os_distro      = CASE WHEN @platform IS NULL THEN os_distro ELSE @distro END,
      os_release     = CASE WHEN @platform IS NULL THEN os_release ELSE @release END,
      last_seen      = max(last_seen, @receivedAt),
      last_report_at = max(last_report_at, @collectedAt)
    WHERE key = @key`);
  // Hosts by tenant and machine id: after a host's first report, an UPDATE by integer
  // primary key replaces the upsert (an insert attempt, a unique-index conflict, then
  // the update). One entry per host: bounded by the fleet's size.
  const hostKeys = new Map<string, { id: string; key: number }>();
  // A late, older report never overwrites a newer section.
  const upsertSection = db.prepare(`
    INSERT INTO host_sections (host_id, section, collected_at, report_id, data)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (host_id, section) DO UPDATE SET
      collected_at = excluded.collected_at, report_id = excluded.report_id, data = excluded.data
    WHERE excluded.collected_at >= host_sections.collected_at`);
  const insertSample = db.prepare(`
    INSERT INTO performance_samples (host_key, collected_at, cpu_utilisation, load1,
      memory_total_bytes, memory_used_bytes, memory_available_bytes, swap_used_bytes,
      process_count, detail)
    VALUES (@hostKey, @collectedAt, @cpuUtilisation, @load1, @memoryTotalBytes,
      @memoryUsedBytes, @memoryAvailableBytes, @swapUsedBytes, @processCount, @detail)`);
  const hostKeyOf = db
    .prepare('SELECT key FROM hosts WHERE tenant_id = ? AND machine_id = ?')
    .pluck();
  const softwareState = db.prepare(
    'SELECT hash, sources, updated_at FROM host_software_state WHERE host_key = ?',
  );
  const deleteSoftware = db.prepare('DELETE FROM host_software WHERE host_key = ?');
  // Positional parameters: thousands of rows per list, and binding by name costs more.
  const insertSoftware = db.prepare(`
    INSERT INTO host_software (host_key, item, source, name, version, version_key, publisher,
                               installed_at, arch)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const upsertSoftwareState = db.prepare(`
    INSERT INTO host_software_state (host_key, hash, count, sources, updated_at, report_id)
    VALUES (@hostKey, @hash, @count, @sources, @updatedAt, @reportId)
    ON CONFLICT (host_key) DO UPDATE SET
      hash = excluded.hash, count = excluded.count, sources = excluded.sources,
      updated_at = excluded.updated_at, report_id = excluded.report_id`);
  const updateSoftwareSources = db.prepare(
    'UPDATE host_software_state SET sources = ? WHERE host_key = ?',
  );
  const deletePending = db.prepare('DELETE FROM host_pending_updates WHERE host_key = ?');
  const insertPending = db.prepare(`
    INSERT INTO host_pending_updates (host_key, source_index, item, manager, checked_at, name,
      kb, current_version, available_version, security, severity, classification, advisories,
      restart_required, released_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);

  const sqlBoolean = (value: boolean | null) => (value === null ? null : value ? 1 : 0);

  /** Writes a software section; returns what the agent should resend. */
  function writeSoftware(
    hostKey: number,
    software: SoftwareSection,
    collectedAt: number,
    reportId: string,
  ): SectionName[] {
    const state = softwareState.get(hostKey) as SoftwareStateRow | undefined;
    const resend = softwareResend(held(state), software, collectedAt);
    // Asked for the list again, or a report older than the stored list: nothing to write.
    if (resend.length > 0 || (state && state.updated_at > collectedAt)) return resend;
    const sources = JSON.stringify(software.sources);
    if (software.items === null) {
      // The list is current. Only a source's status can have changed.
      if (state!.sources !== sources) updateSoftwareSources.run(sources, hostKey);
      return [];
    }
    if (state?.hash !== software.hash) {
      deleteSoftware.run(hostKey);
      software.items.forEach((entry, i) => {
        const r = softwareRow(entry, i);
        insertSoftware.run(
          hostKey,
          r.item,
          r.source,
          r.name,
          r.version,
          r.versionKey,
          r.publisher,
          r.installedAt,
          r.arch,
        );
      });
    }
    upsertSoftwareState.run({
      hostKey,
      hash: software.hash,
      count: software.count,
      sources,
      updatedAt: collectedAt,
      reportId,
    });
    return [];
  }

  function replacePendingUpdates(
    hostKey: number,
    patches: PatchesSection,
    collectedAt: number,
  ): void {
    deletePending.run(hostKey);
    for (const r of pendingUpdateRows(patches, new Date(collectedAt))) {
      insertPending.run(
        hostKey,
        r.sourceIndex,
        r.item,
        r.manager,
        toMillis(r.checkedAt),
        r.name,
        r.kb,
        r.currentVersion,
        r.availableVersion,
        sqlBoolean(r.security),
        r.severity,
        r.classification,
        JSON.stringify(r.advisories),
        sqlBoolean(r.restartRequired),
        r.releasedAt === null ? null : toMillis(r.releasedAt),
      );
    }
  }

  /** For a retried report: what the first answer asked for, if it still holds. */
  function duplicateResend(input: IngestInput, collectedAt: number): SectionName[] {
    const software = input.report.sections.software;
    if (!software || software.items !== null) return [];
    const { agent, report } = input;
    const hostKey =
      hostKeys.get(`${agent.tenantId}\u0000${report.host.machineId}`)?.key ??
      (hostKeyOf.get(agent.tenantId, report.host.machineId) as number | undefined);
    const state =
      hostKey === undefined
        ? undefined
        : (softwareState.get(hostKey) as SoftwareStateRow | undefined);
    return softwareResend(held(state), software, collectedAt);
  }

  /** Writes one report; must run inside a transaction. */
  function writeReport(input: IngestInput): IngestOutcome {
    const { report, agent, receivedAt } = input;
    const collectedAt = Date.parse(report.collectedAt);
    // The ledger first: a report id seen before writes nothing else.
    if (
      insertLedger.run(report.reportId, agent.id, collectedAt, toMillis(receivedAt)).changes === 0
    ) {
      const owner = ledgerOwner.get(report.reportId) as { agent_id: string };
      return owner.agent_id === agent.id
        ? { status: 'duplicate', resend: duplicateResend(input, collectedAt) }
        : { status: 'conflict' };
    }
    const os = osSummary(report);
    const hostKey = `${agent.tenantId}\u0000${report.host.machineId}`;
    const known = hostKeys.get(hostKey);
    const columns = {
      id: known?.id ?? randomUUID(),
      key: known?.key ?? null,
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
    };
    let host = known;
    if (!host || updateHost.run(columns).changes === 0) {
      host = upsertHost.get(columns) as { id: string; key: number };
      hostKeys.set(hostKey, host);
    }
    const hostId = host.id;
    let resend: SectionName[] = [];
    for (const name of input.sections) {
      if (name === 'software') {
        resend = writeSoftware(host.key, report.sections.software!, collectedAt, report.reportId);
        continue;
      }
      if (!isStateSection(name)) continue;
      const written = upsertSection.run(
        hostId,
        name,
        collectedAt,
        report.reportId,
        JSON.stringify(report.sections[name]),
      ).changes;
      // The rows follow the section: replaced only when the section was (not by an older report).
      if (name === 'patches' && written > 0) {
        replacePendingUpdates(host.key, report.sections.patches!, collectedAt);
      }
    }
    const sample = performanceSample(report);
    if (sample) {
      insertSample.run({
        ...sample,
        hostKey: host.key,
        collectedAt: toMillis(sample.collectedAt),
        detail: JSON.stringify(sample.detail),
      });
    }
    return { status: 'stored', hostId, resend };
  }

  // A transaction that rolled back may have cached ids of hosts it created; forget them.
  const forgetHostIds = () => hostKeys.clear();

  // IMMEDIATE: take the write lock when the transaction begins. A deferred transaction
  // that reads first and then writes cannot wait for the lock: if the checkpointer reset
  // the WAL meanwhile, SQLite answers SQLITE_BUSY at once instead of honouring
  // busy_timeout. Every read-then-write transaction here is immediate for that reason.
  const writeBatch = db.transaction((batch: Pending[]) => batch.map((p) => writeReport(p.input)));
  const writeOne = db.transaction(writeReport);

  let queue: Pending[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    let outcomes: IngestOutcome[];
    const started = performance.now();
    try {
      outcomes = writeBatch.immediate(batch);
    } catch (error) {
      forgetHostIds();
      if (isStorageFailure(error)) {
        // The database cannot take writes (disk full, read-only): nothing is stored.
        const failure = new StoreUnavailableError(describeStorageError(error), { cause: error });
        for (const p of batch) p.reject(failure);
        return;
      }
      // One report is at fault: write each on its own so the others still land.
      for (const p of batch) {
        try {
          p.resolve(writeOne.immediate(p.input));
        } catch (own) {
          forgetHostIds();
          p.reject(
            isStorageFailure(own)
              ? new StoreUnavailableError(describeStorageError(own), { cause: own })
              : own,
          );
        }
      }
      return;
    }
    hooks.onCommit?.((performance.now() - started) / 1000, batch.length);
    outcomes.forEach((outcome, i) => batch[i]!.resolve(outcome));
  }

  // Retention lives in maintenance.ts with the rest of it (posture and initiative history).
  const maintenance = sqliteMaintenance(db);

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
      const removed = await maintenance.pruneTimeSeries(olderThan);
      return removed.performanceSamples + removed.reportLedger;
    },
    flush,
  };
}
