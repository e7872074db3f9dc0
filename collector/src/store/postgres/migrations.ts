// The PostgreSQL schema: the same numbered migrations as SQLite's (sqlite/migrations.ts),
// each in PostgreSQL's dialect, so a version number means the same tables in both and
// every later migration lands in both lists. Never edit a released migration: add one.
//
// Mapping from the SQLite schema:
// - times stay BIGINT milliseconds since the epoch (UTC), so rows convert to the Store's
//   records the same way in both stores;
// - INTEGER PRIMARY KEY becomes a BIGINT identity; BLOB is BYTEA; REAL is DOUBLE PRECISION;
//   0/1 flags are BOOLEAN; a JSON array of strings is TEXT[];
// - JSON documents are JSON, not JSONB: kept exactly as written (key order included), as
//   SQLite's TEXT keeps them, and cheaper to write on every report; the few queries that
//   look inside them parse them, as SQLite's json_extract does;
// - keys, slugs, names and version keys that the API sorts or range-scans are COLLATE "C":
//   byte order, as SQLite's BINARY, whatever the database's default collation, so both
//   stores list in the same order and version_key ranges mean the same thing;
// - SQLite's name COLLATE NOCASE index is an index on lower(name COLLATE "C"), which folds
//   ASCII letters only, as NOCASE does.
import type { Migration } from '../sqlite/migrations.js';

export const pgMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, access, agents, hosts, sections, samples, report ledger',
    sql: `
      CREATE TABLE tenants (
        id          TEXT COLLATE "C" PRIMARY KEY,
        slug        TEXT COLLATE "C" NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        created_at  BIGINT NOT NULL
      );

      CREATE TABLE api_tokens (
        id           TEXT COLLATE "C" PRIMARY KEY,
        tenant_id    TEXT REFERENCES tenants(id),
        role         TEXT NOT NULL CHECK (role IN ('admin', 'read')),
        name         TEXT NOT NULL,
        secret_hash  BYTEA NOT NULL,
        created_at   BIGINT NOT NULL,
        revoked_at   BIGINT
      );

      CREATE TABLE enrollment_tokens (
        id           TEXT COLLATE "C" PRIMARY KEY,
        tenant_id    TEXT NOT NULL REFERENCES tenants(id),
        name         TEXT NOT NULL,
        secret_hash  BYTEA NOT NULL,
        created_at   BIGINT NOT NULL,
        expires_at   BIGINT,
        max_uses     INTEGER,
        uses         INTEGER NOT NULL DEFAULT 0,
        revoked_at   BIGINT
      );
      CREATE INDEX enrollment_tokens_by_tenant ON enrollment_tokens (tenant_id);

      CREATE TABLE agents (
        id                   TEXT COLLATE "C" PRIMARY KEY,
        tenant_id            TEXT NOT NULL REFERENCES tenants(id),
        secret_hash          BYTEA NOT NULL,
        enrollment_token_id  TEXT NOT NULL REFERENCES enrollment_tokens(id),
        machine_id           TEXT NOT NULL,
        hostname             TEXT NOT NULL,
        version              TEXT NOT NULL,
        created_at           BIGINT NOT NULL,
        revoked_at           BIGINT
      );

      -- A host is a machine within a tenant; re-enrolling the same machine keeps its host.
      -- key: a compact integer for the time-series and inventory rows.
      CREATE TABLE hosts (
        key             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id              TEXT COLLATE "C" NOT NULL UNIQUE,
        tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
        machine_id      TEXT COLLATE "C" NOT NULL,
        hostname        TEXT COLLATE "C" NOT NULL,
        agent_id        TEXT NOT NULL REFERENCES agents(id),
        agent_version   TEXT NOT NULL,
        os_platform     TEXT,
        os_distro       TEXT,
        os_release      TEXT,
        first_seen      BIGINT NOT NULL,
        last_seen       BIGINT NOT NULL,
        last_report_at  BIGINT NOT NULL,
        UNIQUE (tenant_id, machine_id)
      );
      CREATE INDEX hosts_by_tenant ON hosts (tenant_id, hostname);

      -- The latest state of each section of each host.
      CREATE TABLE host_sections (
        host_id       TEXT COLLATE "C" NOT NULL REFERENCES hosts(id),
        section       TEXT COLLATE "C" NOT NULL,
        collected_at  BIGINT NOT NULL,
        report_id     TEXT NOT NULL,
        data          JSON NOT NULL,
        PRIMARY KEY (host_id, section)
      );

      CREATE TABLE performance_samples (
        host_key                BIGINT NOT NULL REFERENCES hosts(key),
        collected_at            BIGINT NOT NULL,
        cpu_utilisation         DOUBLE PRECISION,
        load1                   DOUBLE PRECISION,
        memory_total_bytes      BIGINT NOT NULL,
        memory_used_bytes       BIGINT NOT NULL,
        memory_available_bytes  BIGINT NOT NULL,
        swap_used_bytes         BIGINT,
        process_count           INTEGER,
        detail                  JSON NOT NULL
      );
      CREATE INDEX performance_samples_by_host ON performance_samples (host_key, collected_at);

      -- Every accepted report id, so a retried report is stored once: the primary key is
      -- what enforces it (INSERT ... ON CONFLICT DO NOTHING), across collectors too.
      CREATE TABLE reports (
        report_id     TEXT COLLATE "C" PRIMARY KEY,
        agent_id      TEXT NOT NULL,
        collected_at  BIGINT NOT NULL,
        received_at   BIGINT NOT NULL
      );
      CREATE INDEX reports_by_received ON reports (received_at);
    `,
  },
  {
    version: 2,
    name: 'software inventory and pending updates as rows',
    sql: `
      CREATE TABLE host_software (
        host_key      BIGINT NOT NULL REFERENCES hosts(key),
        item          INTEGER NOT NULL,
        source        TEXT NOT NULL,
        name          TEXT NOT NULL,
        version       TEXT,
        -- versionKey(version) from @vcio/shared: byte order is version order
        version_key   TEXT COLLATE "C",
        publisher     TEXT,
        installed_at  TEXT,
        arch          TEXT,
        PRIMARY KEY (host_key, item)
      );
      CREATE INDEX host_software_by_name ON host_software (lower(name COLLATE "C"), version_key);

      CREATE TABLE host_software_state (
        host_key    BIGINT PRIMARY KEY REFERENCES hosts(key),
        hash        TEXT NOT NULL,
        count       INTEGER NOT NULL,
        sources     JSON NOT NULL,
        updated_at  BIGINT NOT NULL,
        report_id   TEXT NOT NULL
      );

      CREATE TABLE host_pending_updates (
        host_key           BIGINT NOT NULL REFERENCES hosts(key),
        source_index       INTEGER NOT NULL,
        item               INTEGER NOT NULL,
        manager            TEXT NOT NULL,
        checked_at         BIGINT NOT NULL,
        name               TEXT NOT NULL,
        kb                 TEXT,
        current_version    TEXT,
        available_version  TEXT,
        security           BOOLEAN,
        severity           TEXT,
        classification     TEXT,
        advisories         TEXT[] NOT NULL,
        restart_required   BOOLEAN,
        released_at        BIGINT,
        PRIMARY KEY (host_key, source_index, item)
      );
      CREATE INDEX host_pending_updates_by_security
        ON host_pending_updates (security, severity);

      -- SQLite's migration 2 also turned patches sections stored by migration 1 into rows
      -- and dropped JSON software lists. No PostgreSQL database was ever at version 1 with
      -- data (the PostgreSQL store starts at the latest version), so only the second part,
      -- which is harmless, is kept.
      DELETE FROM host_sections WHERE section = 'software';
    `,
  },
  {
    version: 3,
    name: 'posture: assessments, findings, history, risk acceptances, host and tenant settings',
    sql: `
      CREATE TABLE host_attributes (
        host_id        TEXT COLLATE "C" PRIMARY KEY REFERENCES hosts(id),
        role           TEXT CHECK (role IN ('server', 'workstation')),
        purchase_date  TEXT,
        updated_at     BIGINT NOT NULL,
        updated_by     TEXT NOT NULL
      );

      CREATE TABLE tenant_settings (
        tenant_id   TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants(id),
        posture     JSON NOT NULL,
        updated_at  BIGINT NOT NULL,
        updated_by  TEXT NOT NULL
      );

      CREATE TABLE risk_acceptances (
        id           TEXT COLLATE "C" PRIMARY KEY,
        tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
        host_id      TEXT REFERENCES hosts(id),
        check_id     TEXT COLLATE "C" NOT NULL,
        reason       TEXT NOT NULL,
        accepted_by  TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        expires_at   BIGINT NOT NULL,
        revoked_at   BIGINT,
        revoked_by   TEXT
      );
      CREATE INDEX risk_acceptances_by_tenant ON risk_acceptances (tenant_id, expires_at);

      CREATE TABLE host_posture (
        host_id      TEXT COLLATE "C" PRIMARY KEY REFERENCES hosts(id),
        tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
        assessed_at  BIGINT NOT NULL,
        score        DOUBLE PRECISION,
        coverage     DOUBLE PRECISION,
        role         TEXT NOT NULL,
        categories   JSON NOT NULL,
        detail       JSON NOT NULL
      );
      CREATE INDEX host_posture_by_tenant ON host_posture (tenant_id);
      CREATE INDEX host_posture_by_age ON host_posture (assessed_at);

      CREATE TABLE posture_history (
        scope        TEXT NOT NULL CHECK (scope IN ('host', 'tenant')),
        scope_id     TEXT COLLATE "C" NOT NULL,
        recorded_at  BIGINT NOT NULL,
        score        DOUBLE PRECISION,
        categories   JSON NOT NULL,
        PRIMARY KEY (scope, scope_id, recorded_at)
      );

      CREATE TABLE findings (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
        host_id      TEXT COLLATE "C" NOT NULL REFERENCES hosts(id),
        check_id     TEXT COLLATE "C" NOT NULL,
        severity     TEXT NOT NULL,
        weight       INTEGER NOT NULL,
        credit       DOUBLE PRECISION NOT NULL,
        evidence     TEXT NOT NULL,
        opened_at    BIGINT NOT NULL,
        updated_at   BIGINT NOT NULL,
        resolved_at  BIGINT,
        resolution   TEXT
      );
      CREATE UNIQUE INDEX findings_open ON findings (host_id, check_id) WHERE resolved_at IS NULL;
      CREATE INDEX findings_by_tenant_opened ON findings (tenant_id, opened_at);
      CREATE INDEX findings_by_tenant_resolved ON findings (tenant_id, resolved_at);
    `,
  },
  {
    version: 4,
    name: 'sites, archived tenants, the audit log',
    sql: `
      ALTER TABLE tenants ADD COLUMN archived_at BIGINT;

      CREATE TABLE sites (
        id           TEXT COLLATE "C" PRIMARY KEY,
        tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
        slug         TEXT COLLATE "C" NOT NULL,
        name         TEXT NOT NULL,
        created_at   BIGINT NOT NULL,
        archived_at  BIGINT,
        UNIQUE (tenant_id, slug)
      );

      ALTER TABLE hosts ADD COLUMN site_id TEXT COLLATE "C" REFERENCES sites(id);
      CREATE INDEX hosts_by_site ON hosts (site_id) WHERE site_id IS NOT NULL;
      ALTER TABLE enrollment_tokens ADD COLUMN site_id TEXT COLLATE "C" REFERENCES sites(id);

      CREATE TABLE audit_log (
        id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at              BIGINT NOT NULL,
        actor_token_id  TEXT,
        actor_name      TEXT NOT NULL,
        action          TEXT COLLATE "C" NOT NULL,
        tenant_id       TEXT COLLATE "C" REFERENCES tenants(id),
        target_type     TEXT NOT NULL,
        target_id       TEXT,
        detail          JSON NOT NULL
      );
      CREATE INDEX audit_log_by_time ON audit_log (at);
      CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at);
    `,
  },
  {
    version: 5,
    name: 'initiatives and their progress history',
    sql: `
      CREATE TABLE initiatives (
        id              TEXT COLLATE "C" PRIMARY KEY,
        tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
        title           TEXT NOT NULL,
        owner           TEXT NOT NULL,
        filter          JSON NOT NULL,
        target          JSON NOT NULL,
        start_date      TEXT NOT NULL,
        due_date        TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('active', 'done', 'cancelled')),
        suggestion_key  TEXT,
        created_at      BIGINT NOT NULL,
        created_by      TEXT NOT NULL,
        updated_at      BIGINT NOT NULL
      );
      CREATE INDEX initiatives_by_tenant ON initiatives (tenant_id, status);

      CREATE TABLE initiative_progress (
        initiative_id  TEXT COLLATE "C" NOT NULL REFERENCES initiatives(id),
        recorded_at    BIGINT NOT NULL,
        in_scope       INTEGER NOT NULL,
        met            INTEGER NOT NULL,
        PRIMARY KEY (initiative_id, recorded_at)
      );
    `,
  },
  {
    version: 6,
    name: 'agent secret rotation',
    sql: `
      -- The schema only: AccessStore's rotation methods are not in the PostgreSQL store yet.
      ALTER TABLE agents ADD COLUMN pending_secret_hash BYTEA;
      ALTER TABLE agents ADD COLUMN rotate_requested_at BIGINT;
      ALTER TABLE agents ADD COLUMN secret_rotated_at BIGINT;
      CREATE INDEX agents_by_tenant ON agents (tenant_id, created_at);
    `,
  },
];
