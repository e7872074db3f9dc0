// Numbered schema migrations. A migration is never edited once released: add a new one.
// Times are stored as integer milliseconds since the epoch (UTC) so they sort and compare
// cheaply; the API turns them into ISO strings.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, access, agents, hosts, sections, samples, report ledger',
    sql: `
      CREATE TABLE tenants (
        id          TEXT PRIMARY KEY,
        slug        TEXT NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        tenant_id    TEXT REFERENCES tenants(id),
        role         TEXT NOT NULL CHECK (role IN ('admin', 'read')),
        name         TEXT NOT NULL,
        secret_hash  BLOB NOT NULL,
        created_at   INTEGER NOT NULL,
        revoked_at   INTEGER
      );

      CREATE TABLE enrollment_tokens (
        id           TEXT PRIMARY KEY,
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        name         TEXT NOT NULL,
        secret_hash  BLOB NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        max_uses     INTEGER,
        uses         INTEGER NOT NULL DEFAULT 0,
        revoked_at   INTEGER
      );

      CREATE TABLE agents (
        id                   TEXT PRIMARY KEY,
        tenant_id            TEXT NOT NULL REFERENCES tenants(id),
        secret_hash          BLOB NOT NULL,
        enrollment_token_id  TEXT NOT NULL REFERENCES enrollment_tokens(id),
        machine_id           TEXT NOT NULL,
        hostname             TEXT NOT NULL,
        version              TEXT NOT NULL,
        created_at           INTEGER NOT NULL,
        revoked_at           INTEGER
      );

      -- A host is a machine within a tenant; re-enrolling the same machine keeps its host.
      CREATE TABLE hosts (
        -- An integer key for the time-series rows: a 36-character id in every sample
        -- and its index cost ingest ~10 µs a report.
        key             INTEGER PRIMARY KEY,
        id              TEXT NOT NULL UNIQUE,
        tenant_id       TEXT NOT NULL REFERENCES tenants(id),
        machine_id      TEXT NOT NULL,
        hostname        TEXT NOT NULL,
        agent_id        TEXT NOT NULL REFERENCES agents(id),
        agent_version   TEXT NOT NULL,
        os_platform     TEXT,
        os_distro       TEXT,
        os_release      TEXT,
        first_seen      INTEGER NOT NULL,
        last_seen       INTEGER NOT NULL,
        last_report_at  INTEGER NOT NULL,
        UNIQUE (tenant_id, machine_id)
      );
      CREATE INDEX hosts_by_tenant ON hosts (tenant_id, hostname);

      -- The latest state of each section of each host (time series such as performance
      -- live in their own tables instead).
      CREATE TABLE host_sections (
        host_id       TEXT NOT NULL REFERENCES hosts(id),
        section       TEXT NOT NULL,
        collected_at  INTEGER NOT NULL,
        report_id     TEXT NOT NULL,
        data          TEXT NOT NULL,
        PRIMARY KEY (host_id, section)
      ) WITHOUT ROWID;

      CREATE TABLE performance_samples (
        host_key                INTEGER NOT NULL REFERENCES hosts(key),
        collected_at            INTEGER NOT NULL,
        cpu_utilisation         REAL,
        load1                   REAL,
        memory_total_bytes      INTEGER NOT NULL,
        memory_used_bytes       INTEGER NOT NULL,
        memory_available_bytes  INTEGER NOT NULL,
        swap_used_bytes         INTEGER,
        process_count           INTEGER,
        detail                  TEXT NOT NULL
      );
      CREATE INDEX performance_samples_by_host ON performance_samples (host_key, collected_at);

      -- Every accepted report id, so a retried report is stored once. Kept for the
      -- retention period. Keyed by the id itself: vcio agents send time-ordered UUIDv7
      -- ids, so new rows append at the end of this tree.
      CREATE TABLE reports (
        report_id     TEXT PRIMARY KEY,
        agent_id      TEXT NOT NULL,
        collected_at  INTEGER NOT NULL,
        received_at   INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX reports_by_received ON reports (received_at);
    `,
  },
];
