// Storing reports in PostgreSQL, with group commit, as the SQLite store does.
//
// ingest() queues the report; on the next turn of the event loop (or once MAX_BATCH are
// queued) the queue is written in one transaction on one pooled connection, and no promise
// resolves before that transaction has committed: a 202 always means durably stored. A few
// batches may be in flight at once (each on its own connection), so a slow commit does not
// stop the next batch from being written.
//
// A report id is stored once because the ledger's primary key says so: the ledger row is
// inserted first with ON CONFLICT DO NOTHING, and a report whose row already exists writes
// nothing else. Two collectors given the same report at the same moment both try the
// insert; the second waits for the first's transaction and then sees the conflict (or, if
// the first rolled back, stores it). No check-then-insert window.
//
// Lock order: the host row is locked (upserted) before the host's sections, software and
// samples, and a batch writes its reports in (tenant, machine, report id) order, so two
// batches, from this collector or another, take their locks in the same order. A deadlock
// that happens anyway is rolled back and retried by database.transaction().
//
// A report that fails for a reason of its own must not take its batch-mates down: the
// batch is written optimistically in one transaction and, only if that fails for a reason
// other than the database being unavailable, rewritten one report per transaction.
import { randomUUID } from 'node:crypto';
import type { PatchesSection, Report, SectionName, SoftwareSection } from '@vcio/shared';
import {
  isStateSection,
  osSummary,
  pendingUpdateRows,
  performanceSample,
  softwareResend,
  softwareRow,
} from '../../ingest/sections.js';
import { toMillis } from '../rows/columns.js';
import {
  StoreUnavailableError,
  type IngestInput,
  type IngestOutcome,
  type ReportStore,
} from '../types.js';
import type { QueryConfig, QueryResult } from 'pg';
import type { PgDatabase, Queryable } from './database.js';
import { DEFAULT_BATCH_ROWS, pgTimeSeriesPruner } from './maintenance.js';

const MAX_BATCH = 256;
/** Batches written at once, each on its own connection; the pool must hold more. */
const MAX_BATCHES_IN_FLIGHT = 4;

// The hot path's statements are named: node-postgres prepares each once per connection and
// then only binds and executes it.
const INSERT_LEDGER = {
  name: 'vcio_ingest_ledger',
  text: `INSERT INTO reports (report_id, agent_id, collected_at, received_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (report_id) DO NOTHING`,
};
const LEDGER_OWNER = {
  name: 'vcio_ingest_ledger_owner',
  text: 'SELECT agent_id FROM reports WHERE report_id = $1',
};
// A new host starts in its enrollment token's site; an existing one keeps its own. An older
// report never moves last_seen or last_report_at back.
const UPSERT_HOST = {
  name: 'vcio_ingest_host',
  text: `
    INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id, agent_version,
                       os_platform, os_distro, os_release, first_seen, last_seen,
                       last_report_at, site_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11,
            (SELECT e.site_id FROM agents a
             JOIN enrollment_tokens e ON e.id = a.enrollment_token_id WHERE a.id = $5))
    ON CONFLICT (tenant_id, machine_id) DO UPDATE SET
      hostname       = excluded.hostname,
      agent_id       = excluded.agent_id,
      agent_version  = excluded.agent_version,
      os_platform    = coalesce(excluded.os_platform, hosts.os_platform),
      os_distro      = CASE WHEN excluded.os_platform IS NULL THEN hosts.os_distro
                            ELSE excluded.os_distro END,
      os_release     = CASE WHEN excluded.os_platform IS NULL THEN hosts.os_release
                            ELSE excluded.os_release END,
      last_seen      = greatest(hosts.last_seen, excluded.last_seen),
      last_report_at = greatest(hosts.last_report_at, excluded.last_report_at)
    RETURNING id, key`,
};
// Every state section of the report in one statement (one JSON object, section by name);
// a late, older report never overwrites a newer section. Returns the sections written.
const UPSERT_SECTIONS = {
  name: 'vcio_ingest_sections',
  text: `
    INSERT INTO host_sections (host_id, section, collected_at, report_id, data)
    SELECT $1, s.key, $2, $3, s.value FROM json_each($4::json) AS s
    ON CONFLICT (host_id, section) DO UPDATE SET
      collected_at = excluded.collected_at, report_id = excluded.report_id, data = excluded.data
    WHERE excluded.collected_at >= host_sections.collected_at
    RETURNING section`,
};
const INSERT_SAMPLE = {
  name: 'vcio_ingest_sample',
  text: `
    INSERT INTO performance_samples (host_key, collected_at, cpu_utilisation, load1,
      memory_total_bytes, memory_used_bytes, memory_available_bytes, swap_used_bytes,
      process_count, detail)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
};
// The common report (performance, no state sections, no software list) in batches: the
// whole batch is one statement, so a batch costs one round trip instead of three per
// report. Data-modifying CTEs over arrays, one element per report:
//   ledger   the report ids, ON CONFLICT DO NOTHING: the ids it returns are new;
//   newest   one row per host among the new reports (ON CONFLICT DO UPDATE may touch a row
//            once per statement): the newest report's names, the batch's first and last
//            times, in (tenant, machine) order, the lock order of every batch;
//   upserted the host rows, as UPSERT_HOST does for one report;
//   samples  a sample per new report that has one.
// The statement returns the batch positions stored and their host ids; a position missing
// is a report id that was already in the ledger (the caller asks whose).
const INGEST_BATCH = {
  name: 'vcio_ingest_batch',
  text: `
    WITH input AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                           $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[],
                           $11::text[], $12::text[], $13::bigint[], $14::float8[],
                           $15::float8[], $16::bigint[], $17::bigint[], $18::bigint[],
                           $19::bigint[], $20::integer[], $21::text[])
        WITH ORDINALITY AS i(report_id, agent_id, tenant_id, machine_id, collected_at,
          received_at, hostname, agent_version, os_platform, os_distro, os_release,
          new_host_id, sample_at, cpu_utilisation, load1, memory_total_bytes,
          memory_used_bytes, memory_available_bytes, swap_used_bytes, process_count,
          detail, pos)
    ),
    ledger AS (
      INSERT INTO reports (report_id, agent_id, collected_at, received_at)
      SELECT report_id, agent_id, collected_at, received_at FROM input ORDER BY pos
      ON CONFLICT (report_id) DO NOTHING
      RETURNING report_id
    ),
    fresh AS (SELECT input.* FROM input JOIN ledger USING (report_id)),
    newest AS (
      SELECT DISTINCT ON (tenant_id, machine_id) *,
             min(received_at) OVER host AS first_received,
             max(received_at) OVER host AS last_received,
             max(collected_at) OVER host AS last_collected
      FROM fresh
      WINDOW host AS (PARTITION BY tenant_id, machine_id)
      ORDER BY tenant_id, machine_id, collected_at DESC, pos DESC
    ),
    upserted AS (
      INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id, agent_version,
                         os_platform, os_distro, os_release, first_seen, last_seen,
                         last_report_at, site_id)
      SELECT n.new_host_id, n.tenant_id, n.machine_id, n.hostname, n.agent_id,
             n.agent_version, n.os_platform, n.os_distro, n.os_release, n.first_received,
             n.last_received, n.last_collected,
             (SELECT e.site_id FROM agents a
              JOIN enrollment_tokens e ON e.id = a.enrollment_token_id WHERE a.id = n.agent_id)
      FROM newest n ORDER BY n.tenant_id, n.machine_id
      ON CONFLICT (tenant_id, machine_id) DO UPDATE SET
        hostname       = excluded.hostname,
        agent_id       = excluded.agent_id,
        agent_version  = excluded.agent_version,
        os_platform    = coalesce(excluded.os_platform, hosts.os_platform),
        os_distro      = CASE WHEN excluded.os_platform IS NULL THEN hosts.os_distro
                              ELSE excluded.os_distro END,
        os_release     = CASE WHEN excluded.os_platform IS NULL THEN hosts.os_release
                              ELSE excluded.os_release END,
        last_seen      = greatest(hosts.last_seen, excluded.last_seen),
        last_report_at = greatest(hosts.last_report_at, excluded.last_report_at)
      RETURNING id, key, tenant_id, machine_id
    ),
    samples AS (
      INSERT INTO performance_samples (host_key, collected_at, cpu_utilisation, load1,
        memory_total_bytes, memory_used_bytes, memory_available_bytes, swap_used_bytes,
        process_count, detail)
      SELECT u.key, f.sample_at, f.cpu_utilisation, f.load1, f.memory_total_bytes,
             f.memory_used_bytes, f.memory_available_bytes, f.swap_used_bytes,
             f.process_count, f.detail::json
      FROM fresh f JOIN upserted u USING (tenant_id, machine_id)
      WHERE f.sample_at IS NOT NULL
      ORDER BY f.pos
    )
    SELECT f.pos, u.id AS host_id FROM fresh f JOIN upserted u USING (tenant_id, machine_id)`,
};
const SOFTWARE_STATE = {
  name: 'vcio_ingest_software_state',
  // sources as text: compared with the report's, as written
  text: `SELECT hash, sources::text AS sources, updated_at FROM host_software_state
         WHERE host_key = $1`,
};
const SOFTWARE_STATE_BY_MACHINE = {
  name: 'vcio_ingest_software_state_by_machine',
  text: `SELECT s.hash, s.updated_at FROM host_software_state s
         JOIN hosts h ON h.key = s.host_key WHERE h.tenant_id = $1 AND h.machine_id = $2`,
};
const DELETE_SOFTWARE = {
  name: 'vcio_ingest_software_delete',
  text: 'DELETE FROM host_software WHERE host_key = $1',
};
// Thousands of rows in one statement: the list as one JSON array of softwareRow objects.
const INSERT_SOFTWARE = {
  name: 'vcio_ingest_software_insert',
  text: `
    INSERT INTO host_software (host_key, item, source, name, version, version_key, publisher,
                               installed_at, arch)
    SELECT $1, r.item, r.source, r.name, r.version, r."versionKey", r.publisher,
           r."installedAt", r.arch
    FROM json_to_recordset($2::json) AS r(item integer, source text, name text, version text,
      "versionKey" text, publisher text, "installedAt" text, arch text)`,
};
const UPSERT_SOFTWARE_STATE = {
  name: 'vcio_ingest_software_state_upsert',
  text: `
    INSERT INTO host_software_state (host_key, hash, count, sources, updated_at, report_id)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (host_key) DO UPDATE SET
      hash = excluded.hash, count = excluded.count, sources = excluded.sources,
      updated_at = excluded.updated_at, report_id = excluded.report_id`,
};
const UPDATE_SOFTWARE_SOURCES = {
  name: 'vcio_ingest_software_sources',
  text: 'UPDATE host_software_state SET sources = $1 WHERE host_key = $2',
};
const DELETE_PENDING = {
  name: 'vcio_ingest_pending_delete',
  text: 'DELETE FROM host_pending_updates WHERE host_key = $1',
};
const INSERT_PENDING = {
  name: 'vcio_ingest_pending_insert',
  text: `
    INSERT INTO host_pending_updates (host_key, source_index, item, manager, checked_at, name,
      kb, current_version, available_version, security, severity, classification, advisories,
      restart_required, released_at)
    SELECT $1, r."sourceIndex", r.item, r.manager, r."checkedAt", r.name, r.kb,
           r."currentVersion", r."availableVersion", r.security, r.severity, r.classification,
           ARRAY(SELECT json_array_elements_text(r.advisories)), r."restartRequired",
           r."releasedAt"
    FROM json_to_recordset($2::json) AS r("sourceIndex" integer, item integer, manager text,
      "checkedAt" bigint, name text, kb text, "currentVersion" text, "availableVersion" text,
      security boolean, severity text, classification text, advisories json,
      "restartRequired" boolean, "releasedAt" bigint)`,
};

// PostgreSQL text cannot hold U+0000 (SQLite can): a string with one would fail its whole
// report (and, in a json column, every later query that reads the value as text). Agents
// read names from the machine, where a stray NUL is not the agent's fault and not worth
// losing the report over: it is stored as U+FFFD, the replacement character, as a
// decoder shows a byte it cannot read. Both checks are a scan of a string already built.
const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';
/** JSON.stringify writes U+0000 as \u0000; after an odd run of backslashes it is the text. */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

export function pgText<T extends string | null>(text: T): T {
  return (text !== null && text.includes(NUL) ? text.replaceAll(NUL, REPLACEMENT) : text) as T;
}

export function pgJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(JSON_NUL, '$1\\ufffd') : json;
}

interface SoftwareStateRow {
  hash: string;
  sources: string;
  updated_at: number;
}

const held = (state: { hash: string; updated_at: number } | undefined) =>
  state && { hash: state.hash, updatedAt: state.updated_at };

interface Pending {
  input: IngestInput;
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: unknown) => void;
}

export interface PgReportStoreHooks {
  /** after each committed batch: its write-and-commit time and its report count (metrics) */
  onCommit?: (seconds: number, reports: number) => void;
}

export interface PgReportStore extends ReportStore {
  /** resolves once every queued report has been written (or failed) */
  drain(): Promise<void>;
}

/** The order batches take their locks in: by host, then by report. */
function lockOrder(a: Pending, b: Pending): number {
  const ka = sortKey(a.input);
  const kb = sortKey(b.input);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const sortKey = (input: IngestInput) =>
  `${input.agent.tenantId}\u0000${input.report.host.machineId}\u0000${input.report.reportId}`;

async function writeSoftware(
  client: Queryable,
  hostKey: number,
  software: SoftwareSection,
  collectedAt: number,
  reportId: string,
): Promise<SectionName[]> {
  const state = (await client.query<SoftwareStateRow>({ ...SOFTWARE_STATE, values: [hostKey] }))
    .rows[0];
  const resend = softwareResend(held(state), software, collectedAt);
  // Asked for the list again, or a report older than the stored list: nothing to write.
  if (resend.length > 0 || (state && state.updated_at > collectedAt)) return resend;
  const sources = pgJson(software.sources);
  if (software.items === null) {
    // The list is current. Only a source's status can have changed.
    if (state!.sources !== sources) {
      await client.query({ ...UPDATE_SOFTWARE_SOURCES, values: [sources, hostKey] });
    }
    return [];
  }
  if (state?.hash !== software.hash) {
    await client.query({ ...DELETE_SOFTWARE, values: [hostKey] });
    if (software.items.length > 0) {
      const rows = software.items.map((entry, i) => softwareRow(entry, i));
      await client.query({ ...INSERT_SOFTWARE, values: [hostKey, pgJson(rows)] });
    }
  }
  await client.query({
    ...UPSERT_SOFTWARE_STATE,
    values: [hostKey, pgText(software.hash), software.count, sources, collectedAt, reportId],
  });
  return [];
}

async function replacePendingUpdates(
  client: Queryable,
  hostKey: number,
  patches: PatchesSection,
  collectedAt: number,
): Promise<void> {
  await client.query({ ...DELETE_PENDING, values: [hostKey] });
  const rows = pendingUpdateRows(patches, new Date(collectedAt)).map((r) => ({
    ...r,
    checkedAt: toMillis(r.checkedAt),
    releasedAt: r.releasedAt === null ? null : toMillis(r.releasedAt),
  }));
  if (rows.length > 0) {
    await client.query({ ...INSERT_PENDING, values: [hostKey, pgJson(rows)] });
  }
}

/** For a retried report: what the first answer asked for, if it still holds. */
async function duplicateResend(
  client: Queryable,
  input: IngestInput,
  collectedAt: number,
): Promise<SectionName[]> {
  const software = input.report.sections.software;
  if (!software || software.items !== null) return [];
  const { rows } = await client.query<{ hash: string; updated_at: number }>({
    ...SOFTWARE_STATE_BY_MACHINE,
    values: [input.agent.tenantId, pgText(input.report.host.machineId)],
  });
  return softwareResend(held(rows[0]), software, collectedAt);
}

function stateSections(input: IngestInput): Partial<Report['sections']> | null {
  const state: Record<string, unknown> = {};
  let any = false;
  for (const name of input.sections) {
    if (name === 'software' || !isStateSection(name)) continue;
    state[name] = input.report.sections[name];
    any = true;
  }
  return any ? state : null;
}

/** Writes one report; runs inside the caller's transaction. */
async function writeReport(client: Queryable, input: IngestInput): Promise<IngestOutcome> {
  const { report, agent, receivedAt } = input;
  const collectedAt = Date.parse(report.collectedAt);
  // The ledger first: a report id seen before writes nothing else.
  const ledger = await client.query({
    ...INSERT_LEDGER,
    values: [pgText(report.reportId), agent.id, collectedAt, toMillis(receivedAt)],
  });
  if (ledger.rowCount === 0) {
    const owner = await client.query<{ agent_id: string }>({
      ...LEDGER_OWNER,
      values: [pgText(report.reportId)],
    });
    return owner.rows[0]?.agent_id === agent.id
      ? { status: 'duplicate', resend: await duplicateResend(client, input, collectedAt) }
      : { status: 'conflict' };
  }
  const os = osSummary(report);
  const hostRow = await client.query<{ id: string; key: number }>({
    ...UPSERT_HOST,
    values: [
      randomUUID(),
      agent.tenantId,
      pgText(report.host.machineId),
      pgText(report.host.hostname),
      agent.id,
      pgText(report.agent.version),
      pgText(os?.platform ?? null),
      pgText(os?.distro ?? null),
      pgText(os?.release ?? null),
      toMillis(receivedAt),
      collectedAt,
    ],
  });
  const host = hostRow.rows[0]!;
  let resend: SectionName[] = [];
  if (input.sections.includes('software')) {
    resend = await writeSoftware(
      client,
      host.key,
      report.sections.software!,
      collectedAt,
      pgText(report.reportId),
    );
  }
  const state = stateSections(input);
  if (state) {
    const written = await client.query<{ section: string }>({
      ...UPSERT_SECTIONS,
      values: [host.id, collectedAt, pgText(report.reportId), pgJson(state)],
    });
    // The rows follow the section: replaced only when the section was (not by an older report).
    if (written.rows.some((r) => r.section === 'patches')) {
      await replacePendingUpdates(client, host.key, report.sections.patches!, collectedAt);
    }
  }
  const sample = performanceSample(report);
  if (sample) {
    await client.query({
      ...INSERT_SAMPLE,
      values: [
        host.key,
        toMillis(sample.collectedAt),
        sample.cpuUtilisation,
        sample.load1,
        sample.memoryTotalBytes,
        sample.memoryUsedBytes,
        sample.memoryAvailableBytes,
        sample.swapUsedBytes,
        sample.processCount,
        pgJson(sample.detail),
      ],
    });
  }
  return { status: 'stored', hostId: host.id, resend };
}

/** A report the one-statement batch can write: no software list, no state sections. */
function isSimple(input: IngestInput): boolean {
  return !input.sections.includes('software') && stateSections(input) === null;
}

// Rows typed by the caller, as pg's own query<R>() does (it does not check them either).
type Run = (query: QueryConfig) => Promise<QueryResult>;

/**
 * Writes simple reports (distinct report ids) in one statement through `run`; a report
 * whose id was already stored is a duplicate of its agent's or a conflict.
 */
async function writeSimpleBatch(run: Run, batch: IngestInput[]): Promise<IngestOutcome[]> {
  const columns: unknown[][] = Array.from({ length: 21 }, () => new Array<unknown>(batch.length));
  batch.forEach(({ report, agent, receivedAt }, i) => {
    const os = osSummary(report);
    const sample = performanceSample(report);
    const values = [
      pgText(report.reportId),
      agent.id,
      agent.tenantId,
      pgText(report.host.machineId),
      Date.parse(report.collectedAt),
      toMillis(receivedAt),
      pgText(report.host.hostname),
      pgText(report.agent.version),
      pgText(os?.platform ?? null),
      pgText(os?.distro ?? null),
      pgText(os?.release ?? null),
      randomUUID(),
      sample ? toMillis(sample.collectedAt) : null,
      sample?.cpuUtilisation ?? null,
      sample?.load1 ?? null,
      sample?.memoryTotalBytes ?? null,
      sample?.memoryUsedBytes ?? null,
      sample?.memoryAvailableBytes ?? null,
      sample?.swapUsedBytes ?? null,
      sample?.processCount ?? null,
      sample ? pgJson(sample.detail) : null,
    ];
    values.forEach((value, c) => (columns[c]![i] = value));
  });
  const rows = (await run({ ...INGEST_BATCH, values: columns })).rows as {
    pos: number;
    host_id: string;
  }[];
  const stored = new Map(rows.map((r) => [r.pos, r.host_id]));
  const outcomes: IngestOutcome[] = [];
  for (const [i, input] of batch.entries()) {
    const hostId = stored.get(i + 1);
    if (hostId !== undefined) {
      outcomes.push({ status: 'stored', hostId, resend: [] });
      continue;
    }
    // Rare (an agent's retry): a statement of its own, which sees the row that conflicted.
    const owner = await run({ ...LEDGER_OWNER, values: [pgText(input.report.reportId)] });
    // No software list in a simple report: nothing to ask for again.
    outcomes.push(
      owner.rows[0]?.agent_id === input.agent.id
        ? { status: 'duplicate', resend: [] }
        : { status: 'conflict' },
    );
  }
  return outcomes;
}

export function pgReportStore(db: PgDatabase, hooks: PgReportStoreHooks = {}): PgReportStore {
  const timeSeries = pgTimeSeriesPruner(db, DEFAULT_BATCH_ROWS);
  const queue: Pending[] = [];
  let scheduled = false;
  let inFlight = 0;
  let idle: (() => void)[] = [];

  /**
   * The simple reports in one statement, the others one by one. A batch of simple reports
   * alone is that one statement, its own transaction: committed when it returns.
   */
  async function writeAll(batch: IngestInput[]): Promise<IngestOutcome[]> {
    const simple: number[] = [];
    const other: number[] = [];
    const ids = new Set<string>();
    batch.forEach((input, i) => {
      // A report id twice in one batch: the second is written after, and finds the first.
      if (isSimple(input) && !ids.has(input.report.reportId)) {
        ids.add(input.report.reportId);
        simple.push(i);
      } else other.push(i);
    });
    const outcomes = new Array<IngestOutcome>(batch.length);
    const write = async (run: Run, client: Queryable | null) => {
      if (simple.length > 0) {
        const written = await writeSimpleBatch(
          run,
          simple.map((i) => batch[i]!),
        );
        simple.forEach((i, k) => (outcomes[i] = written[k]!));
      }
      for (const i of other) outcomes[i] = await writeReport(client!, batch[i]!);
    };
    if (other.length === 0) {
      await write((query) => db.query(query), null);
    } else {
      await db.transaction((client) => write((query) => client.query(query), client));
    }
    return outcomes;
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    batch.sort(lockOrder);
    const started = performance.now();
    try {
      const outcomes = await writeAll(batch.map((p) => p.input));
      hooks.onCommit?.((performance.now() - started) / 1000, batch.length);
      outcomes.forEach((outcome, i) => batch[i]!.resolve(outcome));
    } catch (error) {
      if (error instanceof StoreUnavailableError || batch.length === 1) {
        for (const p of batch) p.reject(error);
        return;
      }
      // One report is at fault: write each on its own so the others still land.
      for (const p of batch) {
        try {
          p.resolve(await db.transaction((client) => writeReport(client, p.input)));
        } catch (own) {
          p.reject(own);
        }
      }
    }
  }

  function pump(): void {
    scheduled = false;
    while (queue.length > 0 && inFlight < MAX_BATCHES_IN_FLIGHT) {
      const batch = queue.splice(0, MAX_BATCH);
      inFlight++;
      void writeBatch(batch).finally(() => {
        inFlight--;
        if (queue.length > 0) pump();
        else if (inFlight === 0) {
          const waiting = idle;
          idle = [];
          for (const resolve of waiting) resolve();
        }
      });
    }
  }

  return {
    ingest(input) {
      return new Promise<IngestOutcome>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (queue.length >= MAX_BATCH) pump();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        if (!scheduled) pump();
      });
    },
    async prune(olderThan) {
      // The retention rules (maintenance.ts): a ledger row goes once both its times are old.
      const removed = await timeSeries.prune(olderThan);
      return removed.performanceSamples + removed.reportLedger;
    },
  };
}
